import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import cedar from '@cedar-policy/cedar-wasm/nodejs';
import { z } from 'zod';
import { WardenError } from '../../model/errors.js';
import type { IdentityEvent } from '../../model/identity-event.js';
import type { ClientInfo, CredentialCheck } from '../jit/broker.js';
import { jitCredentialKey } from '../jit/broker.js';
import { globMatch as linearGlob } from '../jit/glob.js';
import { inAnyNetwork, inAnyWindow } from '../match.js';
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
  entities: Map<string, cedar.EntityJson>;
  policies: number;
}

/** Cedar keeps preparsed sets per thread by id: each authorizer gets its own pair of ids. */
let instances = 0;
/** A JWT: three base64url parts, the first a JSON header (`eyJ`). */
const JWT = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/** Reads of secrets, so a decision about one feeds the resource-mismatch detection as a secret read. */
const SECRET_ACTION = /^(vault:read|vault:list|secretsmanager:getsecretvalue|ssm:getparameter|k8s:get|k8s:list|kms:decrypt)/i;

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
 * are parsed into Cedar once per load (`preparsePolicySet`/`preparseSchema`) and every request is one
 * `statefulIsAuthorized` call. Deny unless an allow entry matches; missing context that the identity's
 * entry needs, an unknown principal and an inactive credential deny before Cedar is asked.
 * @example const a = createAuthorizer(loadManifest('warden.policy.yaml')); await a.authorize({ principal: 'ci-deployer', action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', context: {...} })
 */
export function createAuthorizer(manifest: Manifest, options: AuthorizerOptions = {}): Authorizer {
  const now = options.now ?? Date.now;
  const emit = options.onEvent;
  let current: Snapshot | undefined;
  const stats = { loads: 0, policies: 0 };
  const PSET = `warden-authz-${instances}`;
  const SCHEMA = `warden-authz-${instances++}`;

  function load(m: Manifest): void {
    const ids: readonly AuthzIdentity[] = m.identities;
    const compiled = compileToCedar(ids);
    // Validate against the schema first under a scratch id: a manifest that does not compile leaves
    // the live policies untouched (preparse is side-effect free on error).
    const v = cedar.validate({
      schema: compiled.schema,
      policies: { staticPolicies: compiled.policies },
      validationSettings: { mode: 'strict' },
    });
    if (v.type === 'failure')
      throw new WardenError('WARDEN_CONFIG_INVALID', `manifest does not compile to Cedar: ${cedarErrors(v.errors)}`);
    if (v.validationErrors.length > 0)
      throw new WardenError(
        'WARDEN_CONFIG_INVALID',
        `manifest compiles to invalid Cedar: ${v.validationErrors.map((e) => `${e.policyId}: ${e.error.message}`).join('; ')}`,
      );
    const s = cedar.preparseSchema(SCHEMA, compiled.schema);
    if (s.type === 'failure') throw new WardenError('WARDEN_CONFIG_INVALID', `Cedar schema: ${cedarErrors(s.errors)}`);
    const p = cedar.preparsePolicySet(PSET, { staticPolicies: compiled.policies });
    if (p.type === 'failure') throw new WardenError('WARDEN_CONFIG_INVALID', `Cedar policies: ${cedarErrors(p.errors)}`);
    const byName = new Map(ids.map((i) => [i.name, i]));
    const entities = new Map(ids.map((i) => [i.name, { uid: { type: PRINCIPAL_TYPE, id: i.name }, attrs: {}, parents: [] }]));
    // The swap is one assignment after the preparse, both synchronous: no request sees half of each.
    current = {
      byName,
      resolve: (name) => (name.length > MAX_NAME ? undefined : resolveIdentity(m, name)),
      qglobs: compiled.qglobs,
      entities,
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
    const e: IdentityEvent = {
      id: `warden-authz-${randomUUID()}`,
      time: new Date(now()).toISOString(),
      source: 'warden-authz',
      identity: { id: identity, type: d.identity === undefined ? 'unknown' : 'app', name: identity },
      ...(d.credential === undefined
        ? {}
        : {
            credential: {
              key: jitCredentialKey(d.credential),
              type: 'warden-jit',
              lifecycle: 'used' as const,
              ...(expiresAt === undefined ? {} : { expiresAt: new Date(expiresAt).toISOString() }),
            },
          }),
      action: req.action,
      resource: { id: req.resource },
      outcome: deny ? 'failure' : 'success',
      ...(deny ? { reason: d.reasons[0]?.slice(0, 512) ?? 'denied' } : {}),
      client: {
        ...(typeof ctx.sourceIp === 'string' && isIP(ctx.sourceIp)
          ? { ip: ctx.sourceIp }
          : client?.ip === undefined
            ? {}
            : { ip: client.ip }),
        ...(typeof ctx.region === 'string' ? { region: ctx.region } : {}),
        ...(typeof ctx.environment === 'string' ? { environment: ctx.environment } : {}),
        ...(client?.userAgent === undefined ? {} : { userAgent: client.userAgent.slice(0, 256) }),
      },
      tags,
      raw: {
        extra: {
          decision: d.decision,
          policies: d.policies,
          ...(ctx.time === undefined ? {} : { contextTime: ctx.time }),
          ...(d.task === undefined ? {} : { task: d.task }),
        },
      },
    };
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
    const parsed = AuthzRequestSchema.safeParse(input);
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
    if (id.windows !== undefined && id.windows.length > 0) {
      inWindow = inAnyWindow(when, id.windows as Parameters<typeof inAnyWindow>[1]);
      context.inWindow = inWindow;
    }
    const q = snap.qglobs.get(id.name);
    if (q !== undefined)
      context.qmatch = q.filter((g) => linearGlob(g.glob, g.action ? (context.action as string) : req.resource)).map((g) => g.n);

    const answer = cedar.statefulIsAuthorized({
      principal: { type: PRINCIPAL_TYPE, id: id.name },
      action: { type: ACTION_TYPE, id: ACTION_ID },
      resource: { type: RESOURCE_TYPE, id: req.resource },
      context,
      preparsedPolicySetId: PSET,
      preparsedSchemaName: SCHEMA,
      validateRequest: true,
      entities: [snap.entities.get(id.name)!],
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
