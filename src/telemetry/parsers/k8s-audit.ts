/**
 * Kubernetes API server audit log (`audit.k8s.io/v1` `Event`, one JSON object per line as the log
 * backend writes it; an `EventList` with `items` is accepted too) → IdentityEvent.
 *
 * Format: https://kubernetes.io/docs/reference/config-api/apiserver-audit.v1/ and
 * https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/. One request can be logged at up to
 * four stages (RequestReceived, ResponseStarted for long-running calls, ResponseComplete, Panic) under
 * the same `auditID`; only ResponseComplete and Panic know the outcome, so the parser turns those into
 * the event and returns `[]` for the others (they are duplicates, not errors).
 *
 * - Identity: `user.username`. `system:serviceaccount:NS:NAME` → service-account scoped to NS;
 *   `system:node:NAME` and other `system:` control-plane users → `app` (a machine identity with no
 *   closer type in the model); `system:anonymous` and failed authentication (empty `user`) → unknown;
 *   anything else → user. With impersonation the identity stays the authenticated caller (whose
 *   credential was presented); the impersonated user is in `raw.extra.impersonatedUser` and the event
 *   is tagged `impersonation`.
 * - Credential: `user.extra["authentication.kubernetes.io/credential-id"]` (`JTI=<uuid>` for bound
 *   service-account tokens, KEP-4193; `X509SHA256=<hex>` for client certificates on newer servers).
 * - Client: the LAST `sourceIPs` entry, the only one clients cannot forge (earlier ones come from
 *   X-Forwarded-For / X-Real-IP); pod name as workload and node name as host from `user.extra`.
 * - Tags: TokenRequest (`serviceaccounts/token` create) → credential.issued, subject the
 *   `authentication.kubernetes.io/issued-credential-id` audit annotation (Kubernetes ≥ 1.30), else the
 *   service account; a legacy `kubernetes.io/service-account-token` Secret create (seen at Request
 *   level) → credential.issued; Secret get/list/watch → secret.read; create/update/patch of RBAC
 *   roles and bindings → privilege.change. Lifecycle tags are left off failed calls.
 * - Outcome: `responseStatus.code` ≥ 400 → failure (reason: `responseStatus.reason`); a Panic stage
 *   without a code → failure.
 *
 * @example
 * const parser = createK8sAuditParser();
 * const out = parser.push(JSON.parse(line), { file: 'kube-apiserver-audit.log', line: 42 });
 */
import type { IdentityEvent } from '../../model/identity-event.js';
import type { EventParser, EventParserFactory, RecordOrigin } from '../types.js';
import { isoTime, num, obj, put, rfc3339Time, stableId, str } from './util.js';

type Rec = Record<string, unknown>;
type Result = IdentityEvent[] | { reject: string; detail?: string };
type Credential = NonNullable<IdentityEvent['credential']>;

const CREDENTIAL_ID = 'authentication.kubernetes.io/credential-id';
const POD_NAME = 'authentication.kubernetes.io/pod-name';
const NODE_NAME = 'authentication.kubernetes.io/node-name';
const ISSUED_CREDENTIAL_ID = 'authentication.kubernetes.io/issued-credential-id';
const SA_PREFIX = 'system:serviceaccount:';
const NODE_PREFIX = 'system:node:';

/** Kubernetes audit parser factory: stateless, one event per ResponseComplete/Panic entry. */
export const createK8sAuditParser = ((): EventParser => {
  function detect(record: unknown): boolean {
    const o = obj(record);
    if (o === undefined) return false;
    const kind = o.kind;
    if (kind === 'Event' || kind === 'EventList') {
      return typeof o.apiVersion === 'string' && o.apiVersion.startsWith('audit.k8s.io/');
    }
    // Shippers sometimes drop kind/apiVersion; auditID + stage is specific enough.
    return kind === undefined && typeof o.auditID === 'string' && typeof o.stage === 'string';
  }

  function push(record: unknown, origin: RecordOrigin): Result {
    const o = obj(record);
    if (o === undefined) return { reject: 'not-k8s-audit', detail: 'not a JSON object' };
    if (o.kind === 'EventList') return pushList(o, origin);
    return one(o, origin);
  }

  /**
   * An EventList yields the events of its items; items that are other stages add nothing. When no
   * item gives an event and some were rejected, the list is rejected with the first reason.
   */
  function pushList(o: Rec, origin: RecordOrigin): Result {
    if (!Array.isArray(o.items)) return { reject: 'not-k8s-audit', detail: 'EventList without items' };
    const events: IdentityEvent[] = [];
    let firstReject: { reject: string; detail?: string } | undefined;
    let rejected = 0;
    for (const item of o.items) {
      const io = obj(item);
      const r: Result = io === undefined ? { reject: 'not-k8s-audit', detail: 'item not an object' } : one(io, origin);
      if (Array.isArray(r)) {
        for (const e of r) events.push(e);
      } else {
        rejected++;
        firstReject ??= r;
      }
    }
    if (events.length === 0 && firstReject !== undefined) {
      return { reject: firstReject.reject, detail: `${rejected} of ${o.items.length} items rejected` };
    }
    return events;
  }

  function one(o: Rec, origin: RecordOrigin): Result {
    if (o.kind === undefined ? typeof o.auditID !== 'string' : o.kind !== 'Event') {
      return { reject: 'not-k8s-audit', detail: o.kind === undefined ? 'no kind and no auditID' : 'kind is not Event' };
    }
    const stage = o.stage;
    if (stage === 'RequestReceived' || stage === 'ResponseStarted') return [];
    if (stage !== 'ResponseComplete' && stage !== 'Panic') {
      return { reject: 'unknown-stage', detail: typeof stage === 'string' ? stage.slice(0, 64) : 'no stage' };
    }
    // v1beta1 entries also carried a top-level `timestamp`.
    const time = rfc3339Time(o.stageTimestamp) ?? rfc3339Time(o.requestReceivedTimestamp) ?? isoTime(o.timestamp);
    if (time === undefined) return { reject: 'missing-time' };

    const user = obj(o.user);
    const extra = user === undefined ? undefined : obj(user.extra);
    const identity = identityOf(user === undefined ? undefined : str(user.username));
    const verb = str(o.verb) ?? 'unknown';
    const ref = obj(o.objectRef);
    const resource = ref === undefined ? undefined : str(ref.resource);
    const subresource = ref === undefined ? undefined : str(ref.subresource);
    const namespace = ref === undefined ? undefined : str(ref.namespace);
    const name = ref === undefined ? undefined : str(ref.name);
    const annotations = obj(o.annotations);

    // Outcome from the HTTP status the server sent.
    const status = obj(o.responseStatus);
    const code = status === undefined ? undefined : num(status.code);
    let outcome: IdentityEvent['outcome'];
    let reason: string | undefined;
    if (code !== undefined) {
      outcome = code >= 400 ? 'failure' : 'success';
      if (code >= 400) reason = str(status!.reason) ?? str(status!.message) ?? String(code);
    } else if (stage === 'Panic') {
      outcome = 'failure';
      reason = 'Panic';
    } else outcome = 'unknown';

    const tags: string[] = [];
    let issued: { subject: string | undefined; expiresAt: string | undefined } | undefined;
    const isRbac =
      resource === 'roles' || resource === 'clusterroles' || resource === 'rolebindings' || resource === 'clusterrolebindings';
    if (resource === 'secrets' && subresource === undefined) {
      if (verb === 'get' || verb === 'list' || verb === 'watch') tags.push('secret.read');
      else if (
        verb === 'create' &&
        outcome !== 'failure' &&
        str(obj(o.requestObject)?.type) === 'kubernetes.io/service-account-token'
      ) {
        // A legacy long-lived token Secret: the controller fills it in, so creating it issues a token.
        issued = { subject: namespace !== undefined && name !== undefined ? `${namespace}/${name}` : name, expiresAt: undefined };
      }
    } else if (isRbac && (verb === 'create' || verb === 'update' || verb === 'patch')) {
      tags.push('privilege.change');
    } else if (resource === 'serviceaccounts' && subresource === 'token' && verb === 'create' && outcome !== 'failure') {
      const jti = annotations === undefined ? undefined : str(annotations[ISSUED_CREDENTIAL_ID]);
      const sa = namespace !== undefined && name !== undefined ? SA_PREFIX + namespace + ':' + name : undefined;
      // RequestResponse level only: the TokenRequest status carries the expiry (never copy its token).
      const expiry = isoTime(obj(obj(o.responseObject)?.status)?.expirationTimestamp);
      issued = { subject: jti ?? sa, expiresAt: expiry };
    }
    if (issued !== undefined) tags.push('credential.issued');

    const event: IdentityEvent = {
      id: str(o.auditID) ?? stableId('k8s-audit', o),
      time,
      source: 'k8s-audit',
      identity,
      action: 'k8s:' + verb,
      outcome,
      client: {},
      tags,
      raw: {},
    };
    const credential = credentialOf(extraValue(extra, CREDENTIAL_ID), issued);
    if (credential !== undefined) event.credential = credential;
    if (resource !== undefined) {
      event.resource = {
        type: subresource === undefined ? resource : resource + '/' + subresource,
        // Collection calls (list, watch, create before a name exists) target every object of the kind.
        id:
          name !== undefined
            ? namespace !== undefined
              ? namespace + '/' + name
              : name
            : namespace !== undefined
              ? namespace + '/*'
              : '*',
      };
    } else {
      const uri = str(o.requestURI);
      if (uri !== undefined) event.resource = { type: 'non-resource-url', id: uri };
    }
    if (reason !== undefined) event.reason = reason;

    const ips = o.sourceIPs;
    const ip = Array.isArray(ips) && ips.length > 0 ? str(ips[ips.length - 1]) : undefined;
    if (ip !== undefined) event.client.ip = ip;
    const ua = str(o.userAgent);
    if (ua !== undefined) event.client.userAgent = ua;
    const pod = extraValue(extra, POD_NAME);
    if (pod !== undefined) event.client.workload = pod;
    const node = extraValue(extra, NODE_NAME);
    if (node !== undefined) event.client.host = node;
    if (origin.file !== undefined) event.raw.file = origin.file;
    if (origin.line !== undefined) event.raw.line = origin.line;

    // Vendor fields kept by reference: authz decision/reason annotations, groups, impersonation, proxy chain.
    let kept: Rec | undefined;
    if (annotations !== undefined) kept = { annotations };
    if (user !== undefined && Array.isArray(user.groups)) kept = put(kept, 'groups', user.groups);
    const impersonated = obj(o.impersonatedUser);
    const impersonatedName = impersonated === undefined ? undefined : str(impersonated.username);
    if (impersonatedName !== undefined) {
      kept = put(kept, 'impersonatedUser', impersonatedName);
      tags.push('impersonation');
    }
    if (Array.isArray(ips) && ips.length > 1) kept = put(kept, 'sourceIPs', ips);
    if (kept !== undefined) event.raw.extra = kept;
    return [event];
  }

  return { source: 'k8s-audit', detect, push, flush: () => [] };
}) satisfies EventParserFactory;

/** `user.extra` is `map[string][]string`; a plain string is tolerated. */
function extraValue(extra: Rec | undefined, key: string): string | undefined {
  if (extra === undefined) return undefined;
  const v = extra[key];
  return Array.isArray(v) ? str(v[0]) : str(v);
}

function identityOf(username: string | undefined): IdentityEvent['identity'] {
  // Failed authentication is audited with an empty user (401).
  if (username === undefined) return { id: 'system:unauthenticated', type: 'unknown' };
  if (username.startsWith(SA_PREFIX)) {
    const rest = username.slice(SA_PREFIX.length);
    const colon = rest.indexOf(':');
    if (colon > 0 && colon < rest.length - 1) {
      return { id: username, type: 'service-account', name: rest.slice(colon + 1), scope: rest.slice(0, colon) };
    }
    return { id: username, type: 'service-account' };
  }
  if (username.startsWith(NODE_PREFIX)) return { id: username, type: 'app', name: username.slice(NODE_PREFIX.length) };
  if (username === 'system:anonymous') return { id: username, type: 'unknown', name: 'anonymous' };
  if (username.startsWith('system:')) return { id: username, type: 'app', name: username.slice(7) };
  return { id: username, type: 'user', name: username };
}

function credentialOf(
  credentialId: string | undefined,
  issued: { subject: string | undefined; expiresAt: string | undefined } | undefined,
): Credential | undefined {
  const key = credentialId ?? issued?.subject;
  if (key === undefined) return undefined;
  const credential: Credential = { key, type: credentialType(key), lifecycle: issued === undefined ? 'used' : 'issued' };
  if (issued !== undefined) {
    if (issued.subject !== undefined) credential.subject = issued.subject;
    if (issued.expiresAt !== undefined) credential.expiresAt = issued.expiresAt;
  }
  return credential;
}

function credentialType(key: string): string {
  if (key.startsWith('X509SHA256=')) return 'k8s-client-cert';
  return 'k8s-token';
}
