/**
 * HashiCorp Vault audit log (file audit device: one JSON object per line) → IdentityEvent.
 *
 * Format: https://developer.hashicorp.com/vault/docs/audit/schema and `audit/types.go` in
 * hashicorp/vault. Every API call is written twice: a `type: "request"` entry when it arrives and a
 * `type: "response"` entry when it completes; both carry `request.id`, and the response entry repeats
 * the original `auth` and `request` objects. The parser holds each request and emits ONE event when
 * its response arrives (the event takes the request's time and points at the response line, which
 * holds everything); `flush()` emits requests that never got a response, with outcome `unknown`.
 *
 * Strings in `auth`, `request.data` and `response.data` are HMAC-SHA256'd with the device's salt
 * (`audit/hashstructure.go`), so `hmac-sha256:…` values from different entries of one device compare
 * equal for equal plaintext: the caller's `auth.accessor`, a new token's `response.auth.accessor` and
 * the `accessor` in a later `auth/token/revoke-accessor` body all join. `response.secret.lease_id` is
 * NOT hashed, while a `lease_id` in a request body is (unless listed in `audit_non_hmac_request_keys`):
 * lease revocations by body therefore name an HMAC, revocations by path (`sys/leases/revoke/<id>`)
 * the lease id itself.
 *
 * Tag rules (on top of the caller's credential being `used`):
 * - `credential.issued`: token logins and `auth/token/create*` (subject: the new token's accessor,
 *   or `wrap_info.wrapped_accessor` when the response was wrapped), dynamic-secret leases
 *   (`response.secret.lease_id`, subject: the lease id), AppRole secret-id generation.
 * - `credential.revoked`: `auth/token/revoke*`, `sys/leases/revoke*` (and the pre-1.0 `sys/revoke*`),
 *   AppRole secret-id destroy; the subject comes from the request body or path when present.
 * - `secret.read`: reads of KV (`mount_type` kv, or `secret/…`, `kv/…`, `*\/data/*` paths on logs
 *   without `mount_type`), cubbyhole and dynamic `…/creds/…` paths; failed reads keep the tag.
 * - `privilege.change`: writes to ACL/RGP/EGP policies, identity groups and entities, auth-method roles.
 * - `auth.login`: `auth/<mount>/login…` and OIDC callbacks, failed or not.
 * Credential lifecycle tags (`credential.issued|revoked`) are left off failed calls: a call that
 * failed issued or revoked nothing, and its credential is only `used`.
 *
 * @example
 * const parser = createVaultParser();
 * for (const [i, line] of lines.entries()) {
 *   const out = parser.push(JSON.parse(line), { file: 'audit.log', line: i + 1 });
 *   if (Array.isArray(out)) events.push(...out);
 * }
 * events.push(...parser.flush());
 */
import type { IdentityEvent } from '../../model/identity-event.js';
import { isoMs } from '../../model/time.js';
import type { EventParser, EventParserFactory, RecordOrigin } from '../types.js';
import { msToIso, num, obj, put, rfc3339Time, stableId, str } from './util.js';

export interface VaultParserOptions {
  /**
   * Most requests held waiting for their response (default 100,000). Past it the oldest is emitted
   * with outcome `unknown`, so memory stays bounded when responses are lost (audit device blocked,
   * log rotated between the two entries). The same bound applies to the two small lookup tables.
   */
  maxHeldRequests?: number;
}

const DEFAULT_MAX_HELD = 100_000;

type Rec = Record<string, unknown>;
type Result = IdentityEvent[] | { reject: string; detail?: string };
type Outcome = IdentityEvent['outcome'];
type Credential = NonNullable<IdentityEvent['credential']>;

/** A change to a credential other than the caller's: issued or revoked, and which one. */
interface Lifecycle {
  kind: 'issued' | 'revoked';
  subject: string | undefined;
  expiresAt?: string | undefined;
}

/**
 * Vault audit parser factory; `options` only tune memory bounds.
 *
 * @example
 * const parser = createVaultParser({ maxHeldRequests: 10_000 });
 */
export const createVaultParser = ((options: VaultParserOptions = {}): EventParser => {
  const maxHeld = Math.max(1, Math.floor(options.maxHeldRequests ?? DEFAULT_MAX_HELD));
  /** request.id → event built from the request entry, in arrival order (oldest first). */
  const held = new Map<string, IdentityEvent>();
  /** request.ids whose response came first: the late request is then a duplicate to drop. */
  const answered = new Set<string>();
  /** HMAC of a token → HMAC of its accessor, so a revocation by token names the accessor. */
  const accessorOf = new Map<string, string>();

  function remember(token: string, accessor: string): void {
    if (accessorOf.has(token)) return;
    accessorOf.set(token, accessor);
    if (accessorOf.size > maxHeld) accessorOf.delete(accessorOf.keys().next().value as string);
  }

  function detect(record: unknown): boolean {
    const o = obj(record);
    if (o === undefined) return false;
    const t = o.type;
    return (t === 'request' || t === 'response') && obj(o.request) !== undefined;
  }

  function push(record: unknown, origin: RecordOrigin): Result {
    const o = obj(record);
    if (o === undefined) return { reject: 'not-vault-audit', detail: 'not a JSON object' };
    const req = obj(o.request);
    const t = o.type;
    let isResponse: boolean;
    if (t === 'response') isResponse = true;
    else if (t === 'request') isResponse = false;
    else if (t === undefined && req !== undefined) isResponse = obj(o.response) !== undefined;
    else return { reject: 'not-vault-audit', detail: t === undefined ? 'no type and no request' : 'unknown type' };
    if (req === undefined) return { reject: 'not-vault-audit', detail: 'no request object' };
    const time = rfc3339Time(o.time);
    if (time === undefined) return { reject: 'missing-time', detail: o.time === undefined ? 'no time' : 'unparsable time' };
    const id = str(req.id);

    if (!isResponse) {
      // A response needs its request's id to pair; Vault always sets one, so a request without it is broken.
      if (id === undefined) return { reject: 'missing-request-id' };
      if (answered.delete(id)) return []; // its response already became the event
      if (held.has(id)) return []; // the same entry read twice
      held.set(id, build(o, req, undefined, time, id, origin, undefined));
      if (held.size <= maxHeld) return [];
      const oldest = held.keys().next().value as string;
      const evicted = held.get(oldest)!;
      held.delete(oldest);
      return [evicted];
    }

    let pending: IdentityEvent | undefined;
    if (id !== undefined) {
      pending = held.get(id);
      if (pending !== undefined) held.delete(id);
      else {
        answered.add(id);
        if (answered.size > maxHeld) answered.delete(answered.values().next().value as string);
      }
    }
    const resp = obj(o.response) ?? EMPTY;
    return [build(o, req, resp, pending?.time ?? time, id ?? stableId('vault', o), origin, pending)];
  }

  function flush(): IdentityEvent[] {
    const out = [...held.values()];
    held.clear();
    answered.clear();
    return out;
  }

  /**
   * One event from an entry. `resp` is undefined for a request entry (outcome unknown unless it
   * already carries an error); `pending` is the held request event a response completes.
   */
  function build(
    o: Rec,
    req: Rec,
    resp: Rec | undefined,
    time: string,
    id: string,
    origin: RecordOrigin,
    pending: IdentityEvent | undefined,
  ): IdentityEvent {
    const auth = obj(o.auth);
    const respAuth = resp === undefined ? undefined : obj(resp.auth);
    const path = str(req.path) ?? '';
    const op = str(req.operation) ?? 'unknown';
    const error = str(o.error);
    const outcome: Outcome = error !== undefined ? 'failure' : resp !== undefined ? 'success' : 'unknown';
    const mountType = str(req.mount_type) ?? (resp === undefined ? undefined : str(resp.mount_type));

    // Who: the caller's auth; on a login the caller has none and the response's new auth says who logged in.
    const who = hasPrincipal(auth) ? auth : hasPrincipal(respAuth) ? respAuth : auth;
    const identity = identityOf(who, obj(req.namespace));

    // The caller's credential, by HMAC'd accessor (batch tokens have none: HMAC'd token then).
    const callerToken = (who === undefined ? undefined : str(who.client_token)) ?? str(req.client_token);
    // A revoked token's requests carry only the token HMAC (its auth can no longer be looked up): name
    // it by the accessor seen with it earlier, so the use joins the revocation, which names the accessor.
    const callerAccessor =
      (who === undefined ? undefined : str(who.accessor)) ??
      str(req.client_token_accessor) ??
      (callerToken === undefined ? undefined : accessorOf.get(callerToken));
    if (callerAccessor !== undefined && callerToken !== undefined) remember(callerToken, callerAccessor);
    const callerKey = callerAccessor ?? callerToken;

    const tags: string[] = [];
    const login = path.startsWith('auth/') && (path.endsWith('/login') || path.includes('/login/') || path.endsWith('/callback'));
    if (login) tags.push('auth.login');
    const lease = resp === undefined ? undefined : str(obj(resp.secret)?.lease_id);
    if (op === 'read' && isSecretRead(path, mountType, lease !== undefined)) tags.push('secret.read');
    if (isPrivilegeChange(op, path)) tags.push('privilege.change');

    let change: Lifecycle | undefined;
    if (outcome !== 'failure') {
      change = issued(path, op, resp, respAuth, lease, time) ?? revoked(path, obj(req.data), callerKey);
      if (change !== undefined) tags.push(change.kind === 'issued' ? 'credential.issued' : 'credential.revoked');
    }

    const event: IdentityEvent = {
      id,
      time,
      source: 'vault',
      identity,
      action: 'vault:' + op,
      outcome,
      client: {},
      tags,
      raw: {},
    };
    const credential = credentialOf(callerAccessor, callerToken, change);
    if (credential !== undefined) {
      // A token in use says when it was issued and for how long (token_ttl 0: it never expires), which
      // is what tells a long-lived token apart from a short one.
      if (change === undefined && who !== undefined) {
        const issuedAt = str(who.token_issue_time);
        const ttl = num(who.token_ttl);
        const issuedIso = issuedAt === undefined ? undefined : rfc3339Time(issuedAt);
        if (issuedIso !== undefined) {
          credential.issuedAt = issuedIso;
          if (ttl !== undefined && ttl > 0) {
            const expires = addSeconds(issuedIso, ttl);
            if (expires !== undefined) credential.expiresAt = expires;
          } else if (ttl === 0) tags.push('credential.no-expiry');
        }
      }
      event.credential = credential;
    }
    if (path !== '') event.resource = { type: 'vault-path', id: path };
    if (error !== undefined) event.reason = error;
    const ip = str(req.remote_address);
    if (ip !== undefined) event.client.ip = ip;
    const ua = firstHeader(req.headers, 'user-agent');
    if (ua !== undefined) event.client.userAgent = ua;
    if (origin.file !== undefined) event.raw.file = origin.file;
    if (origin.line !== undefined) event.raw.line = origin.line;

    // A few vendor fields detections ask for; the rest stays on the raw line.
    let extra: Rec | undefined;
    if (who !== undefined) {
      if (Array.isArray(who.policies)) extra = { policies: who.policies };
      const tokenType = str(who.token_type);
      if (tokenType !== undefined) extra = put(extra, 'token_type', tokenType);
      const metadata = obj(who.metadata);
      if (metadata !== undefined) extra = put(extra, 'metadata', metadata);
    }
    if (mountType !== undefined) extra = put(extra, 'mount_type', mountType);
    const forwardedFrom = str(o.forwarded_from);
    if (forwardedFrom !== undefined) extra = put(extra, 'forwarded_from', forwardedFrom);
    if (pending?.raw.line !== undefined) extra = put(extra, 'requestLine', pending.raw.line);
    if (extra !== undefined) event.raw.extra = extra;
    return event;
  }

  /** Issuance by this call, if any: a new token (login, token create), a lease, an AppRole secret-id. */
  function issued(
    path: string,
    op: string,
    resp: Rec | undefined,
    respAuth: Rec | undefined,
    lease: string | undefined,
    time: string,
  ): Lifecycle | undefined {
    if (resp === undefined) return undefined;
    if (!path.startsWith('auth/')) {
      // Renewals (sys/leases/renew, op renew) answer with the same lease id: extending a lease issues nothing.
      if (lease !== undefined && op !== 'renew' && !path.startsWith('sys/')) return { kind: 'issued', subject: lease };
      return undefined;
    }
    if (respAuth !== undefined && !path.includes('/renew') && !path.includes('/lookup')) {
      const accessor = str(respAuth.accessor);
      const token = str(respAuth.client_token);
      if (accessor !== undefined || token !== undefined) {
        if (accessor !== undefined && token !== undefined) remember(token, accessor);
        // The audit entry carries token_ttl (seconds) and token_issue_time; lease_duration is the API's name for it.
        const ttl = num(respAuth.token_ttl) ?? num(respAuth.lease_duration);
        const expiresAt = ttl === undefined ? undefined : addSeconds(str(respAuth.token_issue_time) ?? time, ttl);
        return { kind: 'issued', subject: accessor ?? token, expiresAt };
      }
    }
    // A wrapped response hides the new token; wrap_info names its accessor (HMAC'd like any accessor).
    const wrapped = str(obj(resp.wrap_info)?.wrapped_accessor);
    if (wrapped !== undefined && (path.startsWith('auth/token/create') || path.includes('/login'))) {
      return { kind: 'issued', subject: wrapped };
    }
    if ((path.endsWith('/secret-id') || path.endsWith('/custom-secret-id')) && (op === 'update' || op === 'create')) {
      const secretIdAccessor = str(obj(resp.data)?.secret_id_accessor);
      if (secretIdAccessor !== undefined) return { kind: 'issued', subject: secretIdAccessor };
    }
    return undefined;
  }

  /** Revocation requested by this call, if any, and of what (HMAC'd token → its accessor when known). */
  function revoked(path: string, data: Rec | undefined, callerKey: string | undefined): Lifecycle | undefined {
    if (path.startsWith('auth/token/revoke')) {
      const rest = path.slice(17);
      if (rest === '-self') return { kind: 'revoked', subject: callerKey };
      if (rest.startsWith('-accessor')) {
        return { kind: 'revoked', subject: str(data?.accessor) ?? afterSlash(rest) };
      }
      // auth/token/revoke, revoke-orphan; `revoke/<token>` is the deprecated path form.
      const token = str(data?.token) ?? afterSlash(rest);
      return { kind: 'revoked', subject: token === undefined ? undefined : (accessorOf.get(token) ?? token) };
    }
    if (path.startsWith('sys/leases/revoke') || path.startsWith('sys/revoke')) {
      // revoke[/<lease>], revoke-prefix/<prefix>, revoke-force/<prefix>: the path form is not HMAC'd, so prefer it.
      const rest = path.startsWith('sys/leases/') ? path.slice(11) : path.slice(4);
      return { kind: 'revoked', subject: afterSlash(rest) ?? str(data?.lease_id) };
    }
    if (path.startsWith('auth/') && (path.endsWith('/secret-id/destroy') || path.endsWith('/secret-id-accessor/destroy'))) {
      return { kind: 'revoked', subject: str(data?.secret_id_accessor) ?? str(data?.secret_id) };
    }
    return undefined;
  }

  /** The token → accessor joins, oldest first (the order the bound forgets them in). */
  function memory(): Array<[string, string]> {
    return [...accessorOf];
  }

  function recall(saved: unknown): void {
    if (!Array.isArray(saved)) return;
    for (const pair of saved)
      if (Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'string') remember(pair[0], pair[1]);
  }

  return { source: 'vault', detect, push, flush, memory, recall };
}) satisfies EventParserFactory;

const EMPTY: Rec = Object.freeze({}) as Rec;

function hasPrincipal(a: Rec | undefined): a is Rec {
  return (
    a !== undefined &&
    (str(a.entity_id) !== undefined ||
      str(a.display_name) !== undefined ||
      str(a.accessor) !== undefined ||
      str(a.client_token) !== undefined)
  );
}

/**
 * Identity behind a token: entity id when Vault resolved one; else the Kubernetes service account
 * (as `system:serviceaccount:NS:NAME`, the id the k8s-audit parser gives it), else the auth role, else
 * the display name. A Kubernetes-auth login with an entity keeps the service account as `via`.
 */
function identityOf(auth: Rec | undefined, namespace: Rec | undefined): IdentityEvent['identity'] {
  const scope = namespace === undefined ? undefined : (str(namespace.path) ?? str(namespace.id));
  if (auth === undefined || !hasPrincipal(auth)) {
    const anon: IdentityEvent['identity'] = { id: 'unauthenticated', type: 'unknown' };
    if (scope !== undefined) anon.scope = scope;
    return anon;
  }
  const meta = obj(auth.metadata);
  const saName = meta === undefined ? undefined : str(meta.service_account_name);
  const saNs = meta === undefined ? undefined : str(meta.service_account_namespace);
  const sa = saName !== undefined && saNs !== undefined ? `system:serviceaccount:${saNs}:${saName}` : undefined;
  const role = meta === undefined ? undefined : (str(meta.role_name) ?? str(meta.role));
  const entity = str(auth.entity_id);
  const name = str(auth.display_name);
  const accessor = str(auth.accessor);
  const id =
    entity ??
    sa ??
    (role !== undefined ? `role:${role}` : undefined) ??
    name ??
    (accessor !== undefined ? `token:${accessor}` : 'unauthenticated');
  const isRoot = Array.isArray(auth.policies) && auth.policies.includes('root');
  const identity: IdentityEvent['identity'] = {
    id,
    type: isRoot ? 'root' : saName !== undefined ? 'service-account' : 'vault-token',
  };
  if (name !== undefined) identity.name = name;
  if (scope !== undefined) identity.scope = scope;
  if (sa !== undefined && sa !== id) identity.via = sa;
  return identity;
}

function credentialOf(
  accessor: string | undefined,
  token: string | undefined,
  change: Lifecycle | undefined,
): Credential | undefined {
  let key = accessor ?? token;
  let type = accessor !== undefined ? 'vault-accessor' : 'vault-token';
  if (key === undefined) {
    // A login has no caller token: the credential is the one it issued.
    if (change === undefined || change.kind !== 'issued' || change.subject === undefined) return undefined;
    key = change.subject;
    type = key.startsWith('hmac-') ? 'vault-accessor' : 'vault-lease';
  }
  const credential: Credential = { key, type, lifecycle: change === undefined ? 'used' : change.kind };
  if (change !== undefined) {
    if (change.subject !== undefined) credential.subject = change.subject;
    if (change.expiresAt !== undefined) credential.expiresAt = change.expiresAt;
  }
  return credential;
}

/**
 * Whether a read returns secret material: KV (v1 paths, v2 `…/data/…`), cubbyhole, dynamic
 * credentials (`…/creds/…`, or any response carrying a lease). Logs from before `mount_type` was
 * audited fall back to path shapes.
 */
function isSecretRead(path: string, mountType: string | undefined, leased: boolean): boolean {
  if (leased) return true;
  if (path.includes('/metadata/') || path.endsWith('/config')) return false;
  if (mountType === 'kv' || mountType === 'generic') return !path.includes('/subkeys/');
  if (mountType === 'cubbyhole') return true;
  if (mountType !== undefined) return path.includes('/creds/');
  if (path.startsWith('sys/') || path.startsWith('auth/') || path.startsWith('identity/')) return false;
  return (
    path.startsWith('secret/') ||
    path.startsWith('kv/') ||
    path.startsWith('cubbyhole/') ||
    path.includes('/data/') ||
    path.includes('/creds/')
  );
}

/** Writes that change what some token may do: policies, identity groups/entities, auth-method roles. */
function isPrivilegeChange(op: string, path: string): boolean {
  if (op !== 'create' && op !== 'update' && op !== 'patch' && op !== 'delete') return false;
  if (
    path.startsWith('sys/policy/') ||
    path.startsWith('sys/policies/acl/') ||
    path.startsWith('sys/policies/rgp/') ||
    path.startsWith('sys/policies/egp/') ||
    path.startsWith('identity/group') ||
    path.startsWith('identity/entity') ||
    path.startsWith('auth/token/roles/')
  ) {
    return true;
  }
  // auth/<mount>/role/<name>: the role's token_policies, not its secret-ids or role-id.
  return (
    path.startsWith('auth/') &&
    path.includes('/role/') &&
    !path.includes('/secret-id') &&
    !path.endsWith('/role-id') &&
    !path.includes('/login')
  );
}

function afterSlash(s: string): string | undefined {
  const i = s.indexOf('/');
  return i < 0 || i === s.length - 1 ? undefined : s.slice(i + 1);
}

/** Audited request headers are `map[string][]string` (`audit/types.go`); Vault lower-cases the names. */
function firstHeader(headers: unknown, name: string): string | undefined {
  const h = obj(headers);
  if (h === undefined) return undefined;
  const v = h[name];
  return Array.isArray(v) ? str(v[0]) : str(v);
}

/** `base` + `seconds` as ISO 8601 UTC, or undefined when either is unusable (never throws). */
export function addSeconds(base: string, seconds: number): string | undefined {
  if (seconds <= 0) return undefined;
  const t = isoMs(base) + seconds * 1000;
  // Date's range is ±8.64e15 ms; toISOString throws outside it.
  if (t >= 0 && t < 253_402_300_800_000) return msToIso(t);
  return Number.isFinite(t) && Math.abs(t) <= 8.64e15 ? new Date(t).toISOString() : undefined;
}
