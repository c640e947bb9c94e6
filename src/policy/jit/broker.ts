import { createHash, randomUUID } from 'node:crypto';
import { decodeProtectedHeader, errors, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import type { IdentityEvent } from '../../model/identity-event.js';
import { formatDuration, parseDuration } from '../match.js';
import type { Manifest } from '../schema.js';
import { globMatch } from './glob.js';
import type { Keyring } from './keys.js';
import { SIGNING_ALG } from './keys.js';
import type { TrustedIssuer, WorkloadVerifier } from './oidc.js';
import type { CredentialRecord, JitRepository } from './types.js';

/** One `trust` entry of the manifest; `ref` is how reasons cite it (`trust/0`). */
export interface JitTrustEntry {
  issuer: string;
  audience: string;
  subject: string;
  identity: string;
  ref: string;
}

/** What the broker reads from the manifest; swapped whole on reload. */
export interface JitPolicy {
  trust: readonly JitTrustEntry[];
  /** A declared identity's credential limits; undefined when the manifest does not declare it. */
  identity(name: string): { maxLifetimeMs: number } | undefined;
}

/**
 * The broker's view of a manifest: trust entries cited as `trust/N`, each identity's maxLifetime.
 * @example createBroker({ …, policy: () => jitPolicyOf(manifest) })
 */
export function jitPolicyOf(manifest: Manifest): JitPolicy {
  const byName = new Map(manifest.identities.map((i) => [i.name, i]));
  return {
    trust: manifest.trust.map((t, i) => ({
      issuer: t.issuer,
      audience: t.audience,
      subject: t.subject,
      identity: t.identity,
      ref: `trust/${i}`,
    })),
    identity(name) {
      const id = byName.get(name);
      if (id === undefined) return undefined;
      const s = id.credentials?.maxLifetimeSeconds;
      return { maxLifetimeMs: s === undefined ? DEFAULT_MAX_LIFETIME_MS : s * 1000 };
    },
  };
}

/** The lifetime of a credential whose identity declares no `credentials.maxLifetime`. */
export const DEFAULT_MAX_LIFETIME_MS = 3_600_000;
/** The lifetime asked for when a request gives no `ttl` (capped by the maximum). */
export const DEFAULT_TTL_MS = 900_000;

export const CredentialRequestSchema = z
  .object({
    identity: z.string().min(1).max(256),
    ttl: z.string().max(32).optional(),
    task: z.string().max(1024).optional(),
    /** The `aud` of the credential: the resource server that will accept it. */
    audience: z.string().min(1).max(256).optional(),
  })
  .strict();
export type CredentialRequest = z.infer<typeof CredentialRequestSchema>;

export interface IssuedCredential {
  id: string;
  token: string;
  expiresAt: string;
  ttl: string;
  identity: string;
  audience: string;
  /** Whether the lifetime asked for was cut to the identity's maxLifetime. */
  capped: boolean;
}

/** A refusal: the HTTP status the route answers with and a reason safe to show the caller. */
export interface Refusal {
  ok: false;
  status: 400 | 401 | 403 | 404;
  reason: string;
}

export type CredentialState = 'active' | 'revoked' | 'expired' | 'invalid';

export interface CredentialCheck {
  state: CredentialState;
  reason: string;
  record?: CredentialRecord;
  claims?: JWTPayload;
}

/** RFC 7662 §2.2 introspection response (with `task` and `jti` as Warden's own members). */
export interface Introspection {
  active: boolean;
  sub?: string;
  aud?: string;
  iss?: string;
  exp?: number;
  iat?: number;
  jti?: string;
  token_type?: string;
  client_id?: string;
  task?: string;
}

export interface BrokerOptions {
  repo: JitRepository;
  keyring: Keyring;
  verifier: WorkloadVerifier;
  /** The current manifest's trust and identities (a function: reloads swap what it returns). */
  policy: () => JitPolicy;
  /** Warden's issuer URL: the `iss` of every credential. */
  issuer: string;
  /** Default `aud` when a request names none. */
  audience?: string;
  /** Where issuance, revocation and presentation events go (the detector). */
  onEvent?: (e: IdentityEvent) => void;
  now?: () => number;
}

export interface Broker {
  /** Verifies a workload identity token and issues a credential, or says why not. */
  issue(workloadToken: string, request: unknown, client?: ClientInfo): Promise<({ ok: true } & IssuedCredential) | Refusal>;
  /** Verifies a Warden credential: signature, issuer, the store's record, revocation and expiry. */
  check(token: string): Promise<CredentialCheck>;
  /** RFC 7662 introspection; an inactive credential that verifies is reported as presented again. */
  introspect(token: string, client?: ClientInfo): Promise<Introspection>;
  /** Revokes by id; `by` names who did it (an admin token name, or `workload:<iss>#<sub>`). */
  revoke(
    id: string,
    by: string,
    client?: ClientInfo,
  ): Promise<{ ok: true; revoked: boolean; record: CredentialRecord } | Refusal>;
  /** Whether a workload token proves the workload a credential was issued to (it may revoke its own). */
  isIssuedTo(id: string, workloadToken: string): Promise<boolean>;
  /** Emits the event for a credential presented somewhere (authorize): reuse when inactive. */
  presented(check: CredentialCheck, where: 'warden-authz' | 'warden-jit', client?: ClientInfo): void;
  jwks(): Promise<{ keys: unknown[] }>;
}

/** Where a request came from, for the events. */
export interface ClientInfo {
  ip?: string | undefined;
  userAgent?: string | undefined;
}

/** The credential key under which events, the detector and the identity graph name a JIT credential. */
export function jitCredentialKey(id: string): string {
  return `warden-jit:${id}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function trustedIssuers(policy: JitPolicy): TrustedIssuer[] {
  const by = new Map<string, Set<string>>();
  for (const t of policy.trust) {
    const s = by.get(t.issuer) ?? new Set<string>();
    s.add(t.audience);
    by.set(t.issuer, s);
  }
  return [...by].map(([issuer, aud]) => ({ issuer, audiences: [...aud] }));
}

/**
 * The just-in-time credential broker of CONTRACTS §4: a workload proves itself with its platform's
 * identity token; a `trust` entry maps it to a Warden identity; Warden issues a short-lived ES256 JWT
 * for one task. Every issuance, revocation and presentation becomes an IdentityEvent.
 * @example const b = createBroker({ repo, keyring, verifier, policy: () => jitPolicy, issuer: 'https://warden.example' });
 */
export function createBroker(options: BrokerOptions): Broker {
  const now = options.now ?? Date.now;
  const defaultAudience = options.audience ?? options.issuer;
  const emit = options.onEvent ?? (() => {});

  function event(
    kind: 'issued' | 'revoked' | 'used' | 'refused',
    identity: string,
    fields: {
      id?: string | undefined;
      record?: CredentialRecord | undefined;
      outcome: IdentityEvent['outcome'];
      reason?: string | undefined;
      tags?: string[];
      source?: 'warden-authz' | 'warden-jit';
      client?: ClientInfo | undefined;
      workload?: string | undefined;
    },
  ): void {
    const t = now();
    const r = fields.record;
    const key = fields.id === undefined ? undefined : jitCredentialKey(fields.id);
    const lifecycle = kind === 'refused' ? 'issued' : kind;
    const e: IdentityEvent = {
      id: `warden-jit-${randomUUID()}`,
      time: new Date(t).toISOString(),
      source: fields.source ?? 'warden-jit',
      identity: { id: identity, type: 'app', name: identity },
      ...(key === undefined
        ? {}
        : {
            credential: {
              key,
              type: 'warden-jit',
              lifecycle,
              ...(kind === 'used' ? {} : { subject: key }),
              ...(r === undefined
                ? {}
                : { issuedAt: new Date(r.issuedAt).toISOString(), expiresAt: new Date(r.expiresAt).toISOString() }),
            },
          }),
      action:
        kind === 'used'
          ? 'warden:credential.present'
          : kind === 'revoked'
            ? 'warden:credential.revoke'
            : 'warden:credential.issue',
      ...(key === undefined ? {} : { resource: { type: 'credential', id: key } }),
      outcome: fields.outcome,
      ...(fields.reason === undefined ? {} : { reason: fields.reason }),
      client: {
        ...(fields.client?.ip === undefined ? {} : { ip: fields.client.ip }),
        ...(fields.client?.userAgent === undefined ? {} : { userAgent: fields.client.userAgent.slice(0, 256) }),
        ...(fields.workload === undefined
          ? r === undefined
            ? {}
            : { workload: r.workloadSubject }
          : { workload: fields.workload }),
      },
      tags: fields.tags ?? [],
      raw: { extra: { ...(r?.task ? { task: r.task } : {}), ...(fields.id ? { credentialId: fields.id } : {}) } },
    };
    emit(e);
  }

  async function check(token: string): Promise<CredentialCheck> {
    let kid: string | undefined;
    try {
      const h = decodeProtectedHeader(token);
      if (h.alg !== SIGNING_ALG) return { state: 'invalid', reason: 'not a Warden credential (algorithm)' };
      kid = h.kid;
    } catch {
      return { state: 'invalid', reason: 'not a signed JWT' };
    }
    if (kid === undefined) return { state: 'invalid', reason: 'no kid' };
    const key = await options.keyring.publicKey(kid);
    if (key === undefined) return { state: 'invalid', reason: 'signed by a key Warden does not hold' };
    let claims: JWTPayload;
    let expired = false;
    try {
      ({ payload: claims } = await jwtVerify(token, key, {
        issuer: options.issuer,
        algorithms: [SIGNING_ALG],
        requiredClaims: ['jti', 'exp', 'sub'],
        currentDate: new Date(now()),
      }));
    } catch (error) {
      // jose checks the signature before the claims: an expired token here is genuinely Warden's.
      if (!(error instanceof errors.JWTExpired)) return { state: 'invalid', reason: 'signature or claims invalid' };
      claims = error.payload;
      expired = true;
    }
    const record = typeof claims.jti === 'string' ? await options.repo.getCredential(claims.jti) : undefined;
    if (record === undefined || record.fingerprint !== sha256(token) || record.identity !== claims.sub)
      return { state: 'invalid', reason: 'no such credential was issued' };
    if (record.revokedAt !== null) return { state: 'revoked', reason: 'credential revoked', record, claims };
    if (expired || record.expiresAt <= now()) return { state: 'expired', reason: 'credential expired', record, claims };
    return { state: 'active', reason: 'credential active', record, claims };
  }

  function presented(c: CredentialCheck, where: 'warden-authz' | 'warden-jit', client?: ClientInfo): void {
    if (c.record === undefined) return;
    const reuse = c.state === 'revoked' || c.state === 'expired';
    event('used', c.record.identity, {
      id: c.record.id,
      record: c.record,
      source: where,
      outcome: reuse ? 'failure' : 'success',
      ...(reuse ? { reason: c.reason } : {}),
      // Warden is the issuer: it knows, with no clock skew, that this credential is dead.
      tags: reuse ? ['credential.used', 'credential.reuse-detected'] : ['credential.used'],
      client,
    });
  }

  return {
    async issue(workloadToken, request, client) {
      const parsed = CredentialRequestSchema.safeParse(request);
      if (!parsed.success)
        return {
          ok: false,
          status: 400,
          reason: `invalid request: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'} ${i.message}`).join('; ')}`,
        };
      const req = parsed.data;
      const policy = options.policy();
      const verified = await options.verifier.verify(workloadToken, trustedIssuers(policy));
      const declared = policy.identity(req.identity);
      if (!verified.ok) {
        if (declared !== undefined)
          event('refused', req.identity, { outcome: 'failure', reason: verified.reason, client, tags: ['auth.login'] });
        return { ok: false, status: 401, reason: verified.reason };
      }
      const workload = `${verified.issuer}#${verified.subject}`;
      const matching = policy.trust.filter(
        (t) => t.issuer === verified.issuer && verified.audiences.includes(t.audience) && globMatch(t.subject, verified.subject),
      );
      const entry = matching.find((t) => t.identity === req.identity);
      if (entry === undefined || declared === undefined) {
        const reason =
          matching.length === 0
            ? `subject ${verified.subject} matches no trust entry of issuer ${verified.issuer}`
            : declared === undefined
              ? `identity ${req.identity} is not declared in the manifest`
              : `the trust entries matching this workload (${matching.map((t) => t.ref).join(', ')}) are for another identity, not ${req.identity}`;
        if (declared !== undefined)
          event('refused', req.identity, { outcome: 'failure', reason, client, workload, tags: ['auth.login'] });
        return { ok: false, status: 403, reason };
      }
      const seconds = req.ttl === undefined ? DEFAULT_TTL_MS / 1000 : parseDuration(req.ttl);
      const asked = seconds === undefined ? undefined : seconds * 1000;
      if (asked === undefined) return { ok: false, status: 400, reason: `ttl ${req.ttl} is not a duration such as 15m or 1h` };
      const lifetime = Math.min(asked, declared.maxLifetimeMs);
      const { kid, key } = await options.keyring.signer();
      const id = randomUUID();
      const iat = Math.floor(now() / 1000);
      const exp = iat + Math.floor(lifetime / 1000);
      const audience = req.audience ?? defaultAudience;
      const task = req.task ?? '';
      const token = await new SignJWT({ task, act: { sub: verified.subject, iss: verified.issuer } })
        .setProtectedHeader({ alg: SIGNING_ALG, kid, typ: 'JWT' })
        .setIssuer(options.issuer)
        .setSubject(req.identity)
        .setAudience(audience)
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .setJti(id)
        .sign(key);
      const record: CredentialRecord = {
        id,
        identity: req.identity,
        kid,
        audience,
        task,
        workloadIssuer: verified.issuer,
        workloadSubject: verified.subject,
        issuedAt: iat * 1000,
        expiresAt: exp * 1000,
        revokedAt: null,
        revokedBy: null,
        fingerprint: sha256(token),
      };
      // The key's published lifetime first: a credential must never outlive the key that verifies it.
      await options.keyring.extend(kid, record.expiresAt);
      await options.repo.insertCredential(record);
      event('issued', req.identity, {
        id,
        record,
        outcome: 'success',
        tags: ['credential.issued', 'auth.login'],
        client,
        workload,
      });
      return {
        ok: true,
        id,
        token,
        expiresAt: new Date(record.expiresAt).toISOString(),
        ttl: formatDuration(lifetime / 1000),
        identity: req.identity,
        audience,
        capped: asked > lifetime,
      };
    },

    check,
    presented,

    async introspect(token, client) {
      const c = await check(token);
      presented(c, 'warden-jit', client);
      if (c.state !== 'active' || c.record === undefined) return { active: false };
      const r = c.record;
      return {
        active: true,
        sub: r.identity,
        aud: r.audience,
        iss: options.issuer,
        exp: Math.floor(r.expiresAt / 1000),
        iat: Math.floor(r.issuedAt / 1000),
        jti: r.id,
        token_type: 'Bearer',
        client_id: `${r.workloadIssuer}#${r.workloadSubject}`,
        task: r.task,
      };
    },

    async revoke(id, by, client) {
      const record = await options.repo.getCredential(id);
      if (record === undefined) return { ok: false, status: 404, reason: 'no such credential' };
      const at = now();
      const revoked = await options.repo.revokeCredential(id, at, by);
      if (revoked) {
        const updated = { ...record, revokedAt: at, revokedBy: by };
        event('revoked', record.identity, { id, record: updated, outcome: 'success', tags: ['credential.revoked'], client });
        return { ok: true, revoked, record: updated };
      }
      return { ok: true, revoked, record };
    },

    async isIssuedTo(id, workloadToken) {
      const record = await options.repo.getCredential(id);
      if (record === undefined) return false;
      const policy = options.policy();
      const v = await options.verifier.verify(workloadToken, trustedIssuers(policy));
      return v.ok && v.issuer === record.workloadIssuer && v.subject === record.workloadSubject;
    },

    jwks: () => options.keyring.jwks(),
  };
}
