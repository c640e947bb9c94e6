import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import cedar from '@cedar-policy/cedar-wasm/nodejs';
import { z } from 'zod';
import { WardenError } from '../../model/errors.js';
import type { IdentityEvent } from '../../model/identity-event.js';
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
  /** Every decision, as an IdentityEvent (source `warden-authz`). */
  onEvent?: (e: IdentityEvent) => void;
  now?: () => number;
}

export interface Authorizer {
  authorize(request: unknown, client?: ClientInfo): Promise<Decision>;
  /** Compiles and swaps in a new set of identities; the old set keeps serving until this returns. */
  load(manifest: Manifest): void;
  /** How many times policies were (re)loaded, and how many policies are live. */
  readonly stats: { loads: number; policies: number };
}

interface Snapshot {
  byName: Map<string, AuthzIdentity>;
  resolve: (name: string) => AuthzIdentity | undefined;
  qglobs: Map<string, QGlob[]>;
  /** The preparsed Cedar policy set of each identity's slice. */
  sets: Map<string, string>;
  windows: Map<string, CompiledWindows>;
  policies: number;
}

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

/** Glob matching in linear time over request strings (see jit/glob.ts); actions case-insensitively. */
const anyAction = (globs: readonly string[], action: string) =>
  globs.some((g) => linearGlob(g.toLowerCase(), action.toLowerCase()));
const anyResource = (globs: readonly string[], resource: string) => globs.some((g) => linearGlob(g, resource));

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
  const stats = { loads: 0, policies: 0 };
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
    // Everything above and this swap are synchronous: no request sees half of each manifest.
    slot = next;
    current = {
      byName,
      resolve: (name) => (name.length > MAX_NAME ? undefined : resolveIdentity(m, name)),
      qglobs: compiled.qglobs,
      sets,
      windows: new Map(
        m.identities
          .filter((i) => i.windows !== undefined && i.windows.length > 0)
          .map((i) => [i.name, compileWindows(i.windows!)]),
      ),
      policies: Object.keys(compiled.policies).length,
    };
    stats.loads++;
    stats.policies = current.policies;
  }

  function event(req: AuthzRequest, d: Decision, client: ClientInfo | undefined, expiresAt?: number): void {
    if (emit === undefined) return;
    const ctx = req.context;
    const deny = d.decision === 'deny';
    const tags = ['authz.decision', deny ? 'authz.deny' : 'authz.allow'];
    if (SECRET_ACTION.test(req.action)) tags.push('secret.read');
    const identity = d.identity ?? (JWT.test(req.principal) ? 'unknown-credential' : req.principal.slice(0, 256));
    // Built by assignment rather than spreads: this runs once per decision.
    const c: IdentityEvent['client'] = {};
    const ip = typeof ctx.sourceIp === 'string' && isIP(ctx.sourceIp) !== 0 ? ctx.sourceIp : client?.ip;
    if (ip !== undefined) c.ip = ip;
    if (typeof ctx.region === 'string') c.region = ctx.region;
    if (typeof ctx.environment === 'string') c.environment = ctx.environment;
    if (client?.userAgent !== undefined) c.userAgent = client.userAgent.slice(0, 256);
    const extra: Record<string, unknown> = { decision: d.decision, policies: d.policies };
    if (ctx.time !== undefined) extra.contextTime = ctx.time;
    if (d.task !== undefined) extra.task = d.task;
    const e: IdentityEvent = {
      id: `warden-authz-${RUN}-${++seq}`,
      time: new Date(now()).toISOString(),
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
  function explain(id: AuthzIdentity, req: AuthzRequest, when: number, inWindow: boolean | undefined): string[] {
    const allow = id.allow ?? [];
    if (allow.length === 0) return [`${id.name} has no allow entries`];
    const covering = allow.filter(
      (a) => anyAction(a.actions, req.action) && (a.resources === undefined || anyResource(a.resources, req.resource)),
    );
    if (covering.length === 0) return [`no allow entry of ${id.name} covers ${req.action} on ${req.resource}`];
    const out: string[] = [];
    const ctx = req.context;
    if (id.environments !== undefined && !id.environments.includes(String(ctx.environment)))
      out.push(`environment ${String(ctx.environment)} is not one of ${id.name}'s environments (${id.environments.join(', ')})`);
    const nets = id.sources?.networks;
    if (nets !== undefined && !inAnyNetwork(String(ctx.sourceIp), nets))
      out.push(`source ${String(ctx.sourceIp)} is outside ${id.name}'s networks`);
    const regions = id.sources?.regions;
    if (regions !== undefined && !regions.some((r) => linearGlob(r, String(ctx.region))))
      out.push(`region ${String(ctx.region)} is not one of ${id.name}'s regions (${regions.join(', ')})`);
    if (inWindow === false) out.push(`${new Date(when).toISOString()} is outside ${id.name}'s time windows`);
    return out.length > 0 ? out : [`no allow entry of ${id.name} holds for this request`];
  }

  function required(id: AuthzIdentity, req: AuthzRequest): string[] {
    const ctx = req.context;
    const out: string[] = [];
    if (id.environments !== undefined && typeof ctx.environment !== 'string')
      out.push(`context.environment is missing: ${id.name} declares environments`);
    if (id.sources?.networks !== undefined && typeof ctx.sourceIp !== 'string')
      out.push(`context.sourceIp is missing: ${id.name} declares source networks`);
    else if (id.sources?.networks !== undefined && isIP(String(ctx.sourceIp)) === 0)
      out.push(`context.sourceIp ${String(ctx.sourceIp).slice(0, 64)} is not an IP address`);
    if (id.sources?.regions !== undefined && typeof ctx.region !== 'string')
      out.push(`context.region is missing: ${id.name} declares regions`);
    if (id.windows !== undefined && id.windows.length > 0) {
      if (typeof ctx.time !== 'string') out.push(`context.time is missing: ${id.name} declares time windows`);
      else if (!Number.isFinite(Date.parse(ctx.time))) out.push(`context.time ${ctx.time.slice(0, 64)} is not an ISO 8601 time`);
    }
    return out;
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
    const deny = (reasons: string[], extra: Partial<Decision> = {}, exp?: number): Decision => {
      const d: Decision = { decision: 'deny', reasons, policies: [], ...extra };
      event(req, d, client, exp);
      return d;
    };

    // A JIT credential as principal: its identity decides, and only while it lives.
    let name = req.principal;
    let via: Partial<Decision> = {};
    let exp: number | undefined;
    if (JWT.test(req.principal)) {
      if (options.credentials === undefined) return deny(['unknown principal: credentials are not enabled']);
      const c = await options.credentials.check(req.principal);
      if (c.record === undefined) return deny([`unknown principal: ${c.reason}`]);
      via = { credential: c.record.id, ...(c.record.task ? { task: c.record.task } : {}) };
      exp = c.record.expiresAt;
      if (c.state !== 'active') {
        options.credentials.presented(c, 'warden-authz', client);
        return deny(
          [`${c.reason}: credential ${c.record.id} of ${c.record.identity}`],
          { identity: c.record.identity, ...via },
          exp,
        );
      }
      name = c.record.identity;
    }

    // Everything from here is synchronous: one snapshot decides the whole request.
    const snap = current;
    if (snap === undefined) return deny(['no policy loaded']);
    const id = snap.byName.get(name) ?? snap.resolve(name);
    if (id === undefined) return deny([`unknown principal: ${name.slice(0, 256)} is not declared in the manifest`], via, exp);
    via = { identity: id.name, ...via };
    const missing = required(id, req);
    if (missing.length > 0) return deny(missing, via, exp);

    const ctx = req.context;
    const when = typeof ctx.time === 'string' ? Date.parse(ctx.time) : now();
    if (exp !== undefined && when >= exp)
      return deny([`the request time is after credential ${via.credential}'s expiry (${new Date(exp).toISOString()})`], via, exp);

    const context: Record<string, cedar.CedarValueJson> = { action: req.action.toLowerCase(), resource: req.resource };
    if (typeof ctx.environment === 'string') context.environment = ctx.environment;
    if (typeof ctx.sourceIp === 'string' && isIP(ctx.sourceIp) !== 0)
      context.sourceIp = { __extn: { fn: 'ip', arg: ctx.sourceIp } };
    if (typeof ctx.region === 'string') context.region = ctx.region;
    let inWindow: boolean | undefined;
    const windows = snap.windows.get(id.name);
    if (windows !== undefined) {
      inWindow = inCompiledWindows(when, windows);
      context.inWindow = inWindow;
    }
    const q = snap.qglobs.get(id.name);
    if (q !== undefined)
      context.qmatch = q.filter((g) => linearGlob(g.glob, g.action ? (context.action as string) : req.resource)).map((g) => g.n);

    const psetId = snap.sets.get(id.name);
    if (psetId === undefined) return deny(explain(id, req, when, inWindow), via, exp);
    const answer = cedar.statefulIsAuthorized({
      principal: { type: PRINCIPAL_TYPE, id: id.name },
      action: { type: ACTION_TYPE, id: ACTION_ID },
      resource: { type: RESOURCE_TYPE, id: req.resource },
      context,
      preparsedPolicySetId: psetId,
      // The context is built here from a parsed request and the policies were validated against the
      // schema at load, so per-request validation would only repeat that work.
      validateRequest: false,
      // Policies read no entity attributes or hierarchy (everything is in the context), so the request
      // carries no entities: less to serialise across the WebAssembly boundary.
      entities: [],
    });
    if (answer.type === 'failure') return deny([`authorization error: ${cedarErrors(answer.errors)}`], via, exp);
    const r = answer.response;
    if (r.decision === 'allow') {
      const policies = r.diagnostics.reason;
      const d: Decision = {
        decision: 'allow',
        reasons: policies.map((p) => `${p} allows ${req.action} on ${req.resource}`),
        policies,
        ...via,
      };
      event(req, d, client, exp);
      return d;
    }
    const errs = r.diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`);
    return deny([...explain(id, req, when, inWindow), ...errs], via, exp);
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
