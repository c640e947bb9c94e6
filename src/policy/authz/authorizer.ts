import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import cedar from '@cedar-policy/cedar-wasm/nodejs';
import { z } from 'zod';
import { WardenError } from '../../model/errors.js';
import type { IdentityEvent } from '../../model/identity-event.js';
import { wildcardMatch } from '../../model/wildcard.js';
import type { ClientInfo, CredentialCheck } from '../jit/broker.js';
import { jitCredentialKey } from '../jit/broker.js';
import { globMatch as linearGlob } from '../jit/glob.js';
import { inAnyNetwork } from '../match.js';
import { resolveIdentity } from '../resolve.js';
import type { Manifest } from '../schema.js';
import {
  ACTION_ID,
  ACTION_TYPE,
  type AuthzIdentity,
  compileToCedar,
  PRINCIPAL_TYPE,
  type QGlob,
  RESOURCE_TYPE,
} from './compile.js';
import { type CompiledWindows, compileWindows, inCompiledWindows } from './windows.js';

/** One authorization request (CONTRACTS §3). */
export const AuthzRequestSchema = z.object({
  /** A Warden name, anything its `match` lists, or a just-in-time credential (JWT). */
  principal: z.string().min(1).max(16_384),
  action: z.string().min(1).max(512),
  resource: z.string().min(1).max(4096),
  context: z
    .object({
      time: z.string().max(64).optional(),
      sourceIp: z.string().max(64).optional(),
      environment: z.string().max(256).optional(),
      region: z.string().max(64).optional(),
    })
    .catchall(z.unknown())
    .default({}),
});
export type AuthzRequest = z.infer<typeof AuthzRequestSchema>;

/** A decision: allow or deny, why, and the Cedar policies (`NAME/allow/N`) that decided. */
export interface Decision {
  decision: 'allow' | 'deny';
  reasons: string[];
  policies: string[];
  /** The declared identity the principal resolved to. */
  identity?: string;
  /** The just-in-time credential presented as principal, by id. */
  credential?: string;
  task?: string;
}

/** What the authorizer needs of the JIT broker (src/policy/jit/broker.ts). */
export interface CredentialChecker {
  check(token: string): Promise<CredentialCheck>;
  presented(check: CredentialCheck, where: 'warden-authz' | 'warden-jit', client?: ClientInfo): void;
}

export interface AuthorizerOptions {
  credentials?: CredentialChecker;
  /**
   * Remember Cedar's answer per identity and truth assignment of the policies' conditions (default
   * true); false asks Cedar for every request (the bench's comparison with raw Cedar).
   */
  decisionCache?: boolean;
  /** Every decision, as an IdentityEvent (source `warden-authz`). */
  onEvent?: (e: IdentityEvent) => void;
  now?: () => number;
}

export interface Authorizer {
  authorize(request: unknown, client?: ClientInfo): Promise<Decision>;
  /** Compiles and swaps in a new set of identities; the old set keeps serving until this returns. */
  load(manifest: Manifest): void;
  /**
   * How many times policies were (re)loaded and how many policies are live; of the requests that
   * reached Cedar's step, how many Cedar decided and how many a remembered answer did.
   */
  readonly stats: { loads: number; policies: number; cedarCalls: number; cacheHits: number };
}

interface Snapshot {
  byName: Map<string, AuthzIdentity>;
  resolve: (name: string) => AuthzIdentity | undefined;
  qglobs: Map<string, QGlob[]>;
  /** The preparsed Cedar policy set of each identity's slice. */
  sets: Map<string, string>;
  windows: Map<string, CompiledWindows>;
  /** Each identity's allow entries with action globs lower-cased, for explaining denials. */
  allow: Map<string, ReadonlyArray<{ actions: string[]; resources: readonly string[] | undefined }>>;
  /** Each identity's condition atoms, for the decision cache (absent: that identity is never cached). */
  atoms: Map<string, Atoms>;
  /** Cedar's answers by identity and atom key; this snapshot's own, so a reload starts empty. */
  answers: Map<string, Map<string, CedarAnswer>>;
  policies: number;
}

/** What of Cedar's answer a decision uses. */
interface CedarAnswer {
  decision: 'allow' | 'deny';
  reasons: readonly string[];
  errors: ReadonlyArray<{ policyId: string; message: string }>;
}

/**
 * The conditions an identity's compiled policies test, as the request facts they read. Every Cedar
 * condition the compiler writes is one of these atoms (a `like` over the lower-cased action, the
 * resource or the region; environment membership; a network range; the window flag; the `?`-glob
 * numbers), so an identity's policies decide the same for two requests whose atoms all agree.
 */
interface Atoms {
  actions: string[];
  resources: string[];
  environments: readonly string[] | undefined;
  /** IPv4 networks as [base, mask]; undefined when the identity declares none. */
  networks: Array<[number, number]> | undefined;
  regions: string[] | undefined;
}

/** Answers remembered per manifest load; the map is emptied when it reaches this size. */
const MAX_ANSWERS = 50_000;
/** Lone or paired surrogates: Cedar sees scalar values, the JavaScript matcher UTF-16 units. */
const SURROGATE = /[\uD800-\uDFFF]/;

/** Cedar keeps preparsed sets per thread by id: each authorizer gets its own pair of ids. */
let instances = 0;
/** A JWT: three base64url parts, the first a JSON header (`eyJ`). */
const JWT = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/** Reads of secrets, so a decision about one feeds the resource-mismatch detection as a secret read. */
const SECRET_ACTION = /^(vault:read|vault:list|secretsmanager:getsecretvalue|ssm:getparameter|k8s:get|k8s:list|kms:decrypt)/i;

const CONTEXT_LIMITS: ReadonlyArray<readonly [string, number]> = [
  ['time', 64],
  ['sourceIp', 64],
  ['environment', 256],
  ['region', 64],
];

/**
 * The request when it is plainly well-formed (the common case), checked by hand in a fraction of
 * the schema's time; undefined sends it through AuthzRequestSchema, which also explains what is wrong.
 * The two accept the same requests (the test runs both over the same inputs).
 */
export function wellFormed(input: unknown): AuthzRequest | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const r = input as Record<string, unknown>;
  const { principal, action, resource } = r;
  if (typeof principal !== 'string' || principal.length === 0 || principal.length > 16_384) return undefined;
  if (typeof action !== 'string' || action.length === 0 || action.length > 512) return undefined;
  if (typeof resource !== 'string' || resource.length === 0 || resource.length > 4096) return undefined;
  const context = r.context === undefined ? {} : r.context;
  if (typeof context !== 'object' || context === null || Array.isArray(context)) return undefined;
  for (const [k, max] of CONTEXT_LIMITS) {
    const v = (context as Record<string, unknown>)[k];
    if (v !== undefined && (typeof v !== 'string' || v.length > max)) return undefined;
  }
  return { principal, action, resource, context: context as AuthzRequest['context'] };
}

/** Decision events are numbered within a process run: cheaper than a UUID each, unique all the same. */
const RUN = randomUUID().slice(0, 8);
let seq = 0;

/** Longest principal name looked up in the manifest (a JWT may be longer). */
const MAX_NAME = 1024;
/** Principal names remembered per manifest load with the identity they resolve to (or none). */
const MAX_RESOLVED = 10_000;

/** IPv4 networks as [base, mask] pairs of unsigned 32-bit numbers, per network list; null for a list with IPv6. */
const v4Nets = new WeakMap<readonly string[], Array<[number, number]> | null>();
const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function v4(ip: string): number | undefined {
  const m = DOTTED.exec(ip);
  if (m === null) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255 || (m[i]!.length > 1 && m[i]!.startsWith('0'))) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

/**
 * inAnyNetwork with the common case (IPv4 address, IPv4 networks) in 32-bit arithmetic on networks
 * parsed once per list; anything else goes to inAnyNetwork.
 */
function parseV4Nets(nets: readonly string[]): Array<[number, number]> | null {
  let parsed = v4Nets.get(nets);
  if (parsed === undefined) {
    parsed = [];
    for (const n of nets) {
      const slash = n.indexOf('/');
      const base = v4(slash < 0 ? n : n.slice(0, slash));
      const bits = slash < 0 ? 32 : Number(n.slice(slash + 1));
      if (base === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) {
        parsed = null;
        break;
      }
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      parsed.push([(base & mask) >>> 0, mask]);
    }
    v4Nets.set(nets, parsed);
  }
  return parsed;
}

function inNetworks(ip: string, nets: readonly string[]): boolean {
  const parsed = parseV4Nets(nets);
  const a = parsed === null ? undefined : v4(ip);
  if (parsed === null || a === undefined) return inAnyNetwork(ip, nets);
  for (const [base, mask] of parsed) if ((a & mask) >>> 0 === base) return true;
  return false;
}

/* Request strings are matched with a linear-time glob (see jit/glob.ts); actions lower-cased on both sides. */

/**
 * An identity's condition atoms, or undefined when its decisions are not to be remembered: a network
 * that is not IPv4 (Cedar's IPv6 parsing is not repeated here) or a pattern with surrogates.
 */
function atomsOf(id: AuthzIdentity): Atoms | undefined {
  const actions = new Set<string>();
  const resources = new Set<string>();
  for (const entry of id.allow ?? []) {
    // `?` globs reach Cedar as numbers in context.qmatch, which is part of the key as it is.
    for (const a of entry.actions) if (!a.includes('?')) actions.add(a.toLowerCase());
    for (const r of entry.resources ?? []) if (!r.includes('?')) resources.add(r);
  }
  const nets = id.sources?.networks;
  const networks = nets === undefined ? undefined : parseV4Nets(nets);
  if (networks === null) return undefined;
  const atoms: Atoms = {
    actions: [...actions],
    resources: [...resources],
    environments: id.environments,
    networks,
    regions: id.sources?.regions === undefined ? undefined : [...id.sources.regions],
  };
  const strings = [...atoms.actions, ...atoms.resources, ...(atoms.environments ?? []), ...(atoms.regions ?? [])];
  return strings.some((x) => SURROGATE.test(x)) ? undefined : atoms;
}

/**
 * The truth value of every atom for one request, as a short string; undefined sends the request to
 * Cedar uncached (surrogates in the request, or an address only Cedar's own parser should read).
 */
function atomKey(
  a: Atoms,
  action: string,
  req: AuthzRequest,
  ipOk: boolean,
  inWindow: boolean | undefined,
  qmatch: number[] | undefined,
): string | undefined {
  const ctx = req.context;
  const env = typeof ctx.environment === 'string' ? ctx.environment : undefined;
  const region = typeof ctx.region === 'string' ? ctx.region : undefined;
  if (SURROGATE.test(action) || SURROGATE.test(req.resource) || (env !== undefined && SURROGATE.test(env))) return undefined;
  if (region !== undefined && SURROGATE.test(region)) return undefined;
  // Any address Cedar is given must be one whose reading here is certain, even when no policy tests it:
  // an address Cedar refuses fails the whole request.
  const ip = ipOk ? v4(ctx.sourceIp as string) : undefined;
  if (ipOk && ip === undefined) return undefined;
  let key = '';
  for (const g of a.actions) key += wildcardMatch(g, action, false, false) ? '1' : '0';
  key += '|';
  for (const g of a.resources) key += wildcardMatch(g, req.resource, false, false) ? '1' : '0';
  key += '|';
  if (a.environments !== undefined) key += env === undefined ? 'x' : a.environments.includes(env) ? '1' : '0';
  key += '|';
  if (a.networks !== undefined) {
    if (ip === undefined) key += 'x';
    else for (const [base, mask] of a.networks) key += (ip & mask) >>> 0 === base ? '1' : '0';
  }
  key += '|';
  if (a.regions !== undefined) {
    if (region === undefined) key += 'x';
    else for (const g of a.regions) key += wildcardMatch(g, region, false, false) ? '1' : '0';
  }
  key += inWindow === undefined ? '|x|' : inWindow ? '|1|' : '|0|';
  if (qmatch !== undefined) key += qmatch.join(',');
  return key;
}

function cedarErrors(errors: Array<{ message: string }>): string {
  return errors.map((e) => e.message).join('; ');
}

/**
 * Request-time authorization (CONTRACTS §3) over the manifest compiled to Cedar. Policies and schema
 * are compiled to Cedar once per load, validated against the schema, and preparsed one slice per identity; every request is one
 * `statefulIsAuthorized` call. Deny unless an allow entry matches; missing context that the identity's
 * entry needs, an unknown principal and an inactive credential deny before Cedar is asked.
 * @example const a = createAuthorizer(loadManifest('warden.policy.yaml')); await a.authorize({ principal: 'ci-deployer', action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', context: {...} })
 */
export function createAuthorizer(manifest: Manifest, options: AuthorizerOptions = {}): Authorizer {
  const now = options.now ?? Date.now;
  const emit = options.onEvent;
  let current: Snapshot | undefined;
  const stats = { loads: 0, policies: 0, cedarCalls: 0, cacheHits: 0 };
  const caching = options.decisionCache !== false;
  const base = `warden-authz-${instances++}`;

  let slot = 0;
  function load(m: Manifest): void {
    const ids: readonly AuthzIdentity[] = m.identities;
    const compiled = compileToCedar(ids);
    // Each slice is validated against the schema once per load (slice by slice: validating the whole
    // set at once grows faster than the set), so a manifest that does not compile leaves the live
    // policies untouched.
    for (const [name, slice] of compiled.byIdentity) {
      const v = cedar.validate({
        schema: compiled.schema,
        policies: { staticPolicies: slice },
        validationSettings: { mode: 'strict' },
      });
      if (v.type === 'failure')
        throw new WardenError('WARDEN_CONFIG_INVALID', `${name} does not compile to Cedar: ${cedarErrors(v.errors)}`);
      if (v.validationErrors.length > 0)
        throw new WardenError(
          'WARDEN_CONFIG_INVALID',
          `${name} compiles to invalid Cedar: ${v.validationErrors.map((e) => `${e.policyId}: ${e.error.message}`).join('; ')}`,
        );
    }
    // Each identity's slice is preparsed under the slot not in use, so the live slot stays whole until
    // the swap below; two slots bound the sets Cedar keeps however often the manifest reloads.
    const next = 1 - slot;
    const sets = new Map<string, string>();
    for (const [name, slice] of compiled.byIdentity) {
      const psetId = `${base}/${next}/${name}`;
      const p = cedar.preparsePolicySet(psetId, { staticPolicies: slice });
      if (p.type === 'failure')
        throw new WardenError('WARDEN_CONFIG_INVALID', `Cedar policies of ${name}: ${cedarErrors(p.errors)}`);
      sets.set(name, psetId);
    }
    const byName = new Map(ids.map((i) => [i.name, i]));
    const resolved = new Map<string, AuthzIdentity | null>();
    // Everything above and this swap are synchronous: no request sees half of each manifest.
    slot = next;
    current = {
      byName,
      resolve: (name) => {
        if (name.length > MAX_NAME) return undefined;
        // Names the manifest resolves (an ARN, a service account) recur: remember them, bounded.
        let hit = resolved.get(name);
        if (hit === undefined) {
          hit = resolveIdentity(m, name) ?? null;
          if (resolved.size >= MAX_RESOLVED) resolved.clear();
          resolved.set(name, hit);
        }
        return hit ?? undefined;
      },
      qglobs: compiled.qglobs,
      sets,
      windows: new Map(
        m.identities
          .filter((i) => i.windows !== undefined && i.windows.length > 0)
          .map((i) => [i.name, compileWindows(i.windows!)]),
      ),
      allow: new Map(
        m.identities.map((i) => [
          i.name,
          (i.allow ?? []).map((a) => ({ actions: a.actions.map((g) => g.toLowerCase()), resources: a.resources })),
        ]),
      ),
      atoms: new Map(
        caching
          ? ids.flatMap((i) => {
              const a = atomsOf(i);
              return a === undefined ? [] : [[i.name, a] as const];
            })
          : [],
      ),
      answers: new Map(),
      policies: Object.keys(compiled.policies).length,
    };
    stats.loads++;
    stats.policies = current.policies;
  }

  // Requests that carry the same time string (a client's clock reads the same second) parse it once.
  let lastTimeText = '';
  let lastTime = Number.NaN;
  function parseTime(text: string): number {
    if (text !== lastTimeText) {
      lastTime = Date.parse(text);
      lastTimeText = text;
    }
    return lastTime;
  }

  // Decisions within one millisecond share their time string.
  let lastMs = Number.NaN;
  let lastIso = '';
  function event(
    req: AuthzRequest,
    d: Decision,
    client: ClientInfo | undefined,
    expiresAt: number | undefined,
    ipOk: boolean,
    jwt: boolean,
  ): void {
    if (emit === undefined) return;
    const ctx = req.context;
    const deny = d.decision === 'deny';
    const tags = SECRET_ACTION.test(req.action)
      ? ['authz.decision', deny ? 'authz.deny' : 'authz.allow', 'secret.read']
      : ['authz.decision', deny ? 'authz.deny' : 'authz.allow'];
    const identity = d.identity ?? (jwt ? 'unknown-credential' : req.principal.slice(0, 256));
    // Built by assignment rather than spreads: this runs once per decision.
    const c: IdentityEvent['client'] = {};
    const ip = ipOk ? (ctx.sourceIp as string) : client?.ip;
    if (ip !== undefined) c.ip = ip;
    if (typeof ctx.region === 'string') c.region = ctx.region;
    if (typeof ctx.environment === 'string') c.environment = ctx.environment;
    if (client?.userAgent !== undefined) c.userAgent = client.userAgent.slice(0, 256);
    const extra: Record<string, unknown> = { decision: d.decision, policies: d.policies };
    if (ctx.time !== undefined) extra.contextTime = ctx.time;
    if (d.task !== undefined) extra.task = d.task;
    const ms = now();
    if (ms !== lastMs) {
      lastMs = ms;
      lastIso = new Date(ms).toISOString();
    }
    const e: IdentityEvent = {
      id: `warden-authz-${RUN}-${++seq}`,
      time: lastIso,
      source: 'warden-authz',
      identity: { id: identity, type: d.identity === undefined ? 'unknown' : 'app', name: identity },
      action: req.action,
      resource: { id: req.resource },
      outcome: deny ? 'failure' : 'success',
      client: c,
      tags,
      raw: { extra },
    };
    if (deny) e.reason = d.reasons[0]?.slice(0, 512) ?? 'denied';
    if (d.credential !== undefined) {
      e.credential = { key: jitCredentialKey(d.credential), type: 'warden-jit', lifecycle: 'used' };
      if (expiresAt !== undefined) e.credential.expiresAt = new Date(expiresAt).toISOString();
    }
    emit(e);
  }

  /** Why an identity's entries do not allow the request, in manifest terms (Cedar said deny). */
  function explain(snap: Snapshot, id: AuthzIdentity, req: AuthzRequest, when: number, inWindow: boolean | undefined): string[] {
    const allow = snap.allow.get(id.name) ?? [];
    if (allow.length === 0) return [`${id.name} has no allow entries`];
    const action = req.action.toLowerCase();
    const covers = allow.some(
      (a) =>
        a.actions.some((g) => linearGlob(g, action)) &&
        (a.resources === undefined || a.resources.some((g) => linearGlob(g, req.resource))),
    );
    if (!covers) return [`no allow entry of ${id.name} covers ${req.action} on ${req.resource}`];
    const out: string[] = [];
    const ctx = req.context;
    if (id.environments !== undefined && !id.environments.includes(String(ctx.environment)))
      out.push(`environment ${String(ctx.environment)} is not one of ${id.name}'s environments (${id.environments.join(', ')})`);
    const nets = id.sources?.networks;
    if (nets !== undefined && !inNetworks(String(ctx.sourceIp), nets))
      out.push(`source ${String(ctx.sourceIp)} is outside ${id.name}'s networks`);
    const regions = id.sources?.regions;
    if (regions !== undefined && !regions.some((r) => linearGlob(r, String(ctx.region))))
      out.push(`region ${String(ctx.region)} is not one of ${id.name}'s regions (${regions.join(', ')})`);
    if (inWindow === false) out.push(`${new Date(when).toISOString()} is outside ${id.name}'s time windows`);
    return out.length > 0 ? out : [`no allow entry of ${id.name} holds for this request`];
  }

  function required(id: AuthzIdentity, req: AuthzRequest, ipOk: boolean, when: number): string[] | undefined {
    const ctx = req.context;
    if (id.environments === undefined && id.sources === undefined && (id.windows === undefined || id.windows.length === 0))
      return undefined;
    const out: string[] = [];
    if (id.environments !== undefined && typeof ctx.environment !== 'string')
      out.push(`context.environment is missing: ${id.name} declares environments`);
    if (id.sources?.networks !== undefined && typeof ctx.sourceIp !== 'string')
      out.push(`context.sourceIp is missing: ${id.name} declares source networks`);
    else if (id.sources?.networks !== undefined && !ipOk)
      out.push(`context.sourceIp ${String(ctx.sourceIp).slice(0, 64)} is not an IP address`);
    if (id.sources?.regions !== undefined && typeof ctx.region !== 'string')
      out.push(`context.region is missing: ${id.name} declares regions`);
    if (id.windows !== undefined && id.windows.length > 0) {
      if (typeof ctx.time !== 'string') out.push(`context.time is missing: ${id.name} declares time windows`);
      else if (!Number.isFinite(when)) out.push(`context.time ${ctx.time.slice(0, 64)} is not an ISO 8601 time`);
    }
    return out.length > 0 ? out : undefined;
  }

  async function authorize(input: unknown, client?: ClientInfo): Promise<Decision> {
    const fast = wellFormed(input);
    const parsed = fast === undefined ? AuthzRequestSchema.safeParse(input) : ({ success: true, data: fast } as const);
    if (!parsed.success) {
      return {
        decision: 'deny',
        reasons: [`invalid request: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'} ${i.message}`).join('; ')}`],
        policies: [],
      };
    }
    const req = parsed.data;
    const ctx = req.context;
    const jwt = JWT.test(req.principal);
    const ipOk = typeof ctx.sourceIp === 'string' && isIP(ctx.sourceIp) !== 0;
    let exp: number | undefined;
    let credential: string | undefined;
    let task: string | undefined;
    const deny = (reasons: string[], identity?: string): Decision => {
      const d: Decision = { decision: 'deny', reasons, policies: [] };
      if (identity !== undefined) d.identity = identity;
      if (credential !== undefined) d.credential = credential;
      if (task !== undefined) d.task = task;
      event(req, d, client, exp, ipOk, jwt);
      return d;
    };

    // A JIT credential as principal: its identity decides, and only while it lives.
    let name = req.principal;
    if (jwt) {
      if (options.credentials === undefined) return deny(['unknown principal: credentials are not enabled']);
      const c = await options.credentials.check(req.principal);
      if (c.record === undefined) return deny([`unknown principal: ${c.reason}`]);
      credential = c.record.id;
      if (c.record.task) task = c.record.task;
      exp = c.record.expiresAt;
      if (c.state !== 'active') {
        options.credentials.presented(c, 'warden-authz', client);
        return deny([`${c.reason}: credential ${c.record.id} of ${c.record.identity}`], c.record.identity);
      }
      name = c.record.identity;
    }

    // Everything from here is synchronous: one snapshot decides the whole request.
    const snap = current;
    if (snap === undefined) return deny(['no policy loaded']);
    const id = snap.byName.get(name) ?? snap.resolve(name);
    if (id === undefined) return deny([`unknown principal: ${name.slice(0, 256)} is not declared in the manifest`]);
    const when = typeof ctx.time === 'string' ? parseTime(ctx.time) : now();
    const missing = required(id, req, ipOk, when);
    if (missing !== undefined) return deny(missing, id.name);

    if (exp !== undefined && when >= exp)
      return deny([`the request time is after credential ${credential}'s expiry (${new Date(exp).toISOString()})`], id.name);

    const action = req.action.toLowerCase();
    const context: Record<string, cedar.CedarValueJson> = { action, resource: req.resource };
    if (typeof ctx.environment === 'string') context.environment = ctx.environment;
    if (ipOk) context.sourceIp = { __extn: { fn: 'ip', arg: ctx.sourceIp as string } };
    if (typeof ctx.region === 'string') context.region = ctx.region;
    let inWindow: boolean | undefined;
    const windows = snap.windows.get(id.name);
    if (windows !== undefined) {
      inWindow = inCompiledWindows(when, windows);
      context.inWindow = inWindow;
    }
    const q = snap.qglobs.get(id.name);
    let qmatch: number[] | undefined;
    if (q !== undefined)
      context.qmatch = qmatch = q.filter((g) => linearGlob(g.glob, g.action ? action : req.resource)).map((g) => g.n);

    const psetId = snap.sets.get(id.name);
    if (psetId === undefined) return deny(explain(snap, id, req, when, inWindow), id.name);
    // Cedar's answer depends on the request only through the atoms its policies test: a request whose
    // atoms all agree with an earlier one's gets the answer Cedar gave then.
    const atoms = snap.atoms.get(id.name);
    const key = atoms === undefined ? undefined : atomKey(atoms, action, req, ipOk, inWindow, qmatch);
    const known = key === undefined ? undefined : snap.answers.get(id.name)?.get(key);
    let r: CedarAnswer;
    if (known !== undefined) {
      stats.cacheHits++;
      r = known;
    } else {
      stats.cedarCalls++;
      const a = askCedar(id.name, req.resource, context, psetId);
      if (a === undefined) return deny([`authorization error: ${lastError}`], id.name);
      r = a;
      // An answer with evaluation errors is not kept: its messages could name this request's values.
      if (key !== undefined && r.errors.length === 0) {
        if (answerCount >= MAX_ANSWERS) {
          snap.answers.clear();
          answerCount = 0;
        }
        const mine = snap.answers.get(id.name) ?? new Map<string, CedarAnswer>();
        snap.answers.set(id.name, mine);
        mine.set(key, r);
        answerCount++;
      }
    }
    if (r.decision === 'allow') {
      const policies = [...r.reasons];
      const reasons: string[] = [];
      for (const p of policies) reasons.push(`${p} allows ${req.action} on ${req.resource}`);
      const d: Decision = { decision: 'allow', reasons, policies, identity: id.name };
      if (credential !== undefined) d.credential = credential;
      if (task !== undefined) d.task = task;
      event(req, d, client, exp, ipOk, jwt);
      return d;
    }
    const why = explain(snap, id, req, when, inWindow);
    for (const e of r.errors) why.push(`${e.policyId}: ${e.message}`);
    return deny(why, id.name);
  }

  let answerCount = 0;
  let lastError = '';
  /** One Cedar decision; undefined when Cedar fails (the message in lastError). */
  function askCedar(
    name: string,
    resource: string,
    context: Record<string, cedar.CedarValueJson>,
    psetId: string,
  ): CedarAnswer | undefined {
    const answer = cedar.statefulIsAuthorized({
      principal: { type: PRINCIPAL_TYPE, id: name },
      action: { type: ACTION_TYPE, id: ACTION_ID },
      resource: { type: RESOURCE_TYPE, id: resource },
      context,
      preparsedPolicySetId: psetId,
      // The context is built here from a parsed request and the policies were validated against the
      // schema at load, so per-request validation would only repeat that work.
      validateRequest: false,
      // Policies read no entity attributes or hierarchy (everything is in the context), so the request
      // carries no entities: less to serialise across the WebAssembly boundary.
      entities: [],
    });
    if (answer.type === 'failure') {
      lastError = cedarErrors(answer.errors);
      return undefined;
    }
    const r = answer.response;
    return {
      decision: r.decision,
      reasons: r.diagnostics.reason,
      errors: r.diagnostics.errors.map((e) => ({ policyId: e.policyId, message: e.error.message })),
    };
  }

  load(manifest);
  return {
    authorize,
    load,
    get stats() {
      return { ...stats };
    },
  };
}
