import { isIP } from 'node:net';
import { createRemoteJWKSet, customFetch, decodeJwt, decodeProtectedHeader, errors, type JWTPayload, jwtVerify } from 'jose';

/**
 * Signature algorithms a workload token may use: asymmetric only. `none` and the HMAC family are
 * refused before any key is looked at, so a token "signed" with an issuer's public key as an HMAC
 * secret (the classic algorithm confusion, CVE-2015-9235) never reaches a verifier.
 */
export const WORKLOAD_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

/** An issuer a trust entry names, and the audiences its entries accept. */
export interface TrustedIssuer {
  issuer: string;
  audiences: readonly string[];
}

export type WorkloadVerification =
  | { ok: true; issuer: string; subject: string; audiences: string[]; payload: JWTPayload }
  | { ok: false; reason: string };

export interface WorkloadVerifierOptions {
  /** The fetch used for discovery and JWKS (tests inject one that counts calls). */
  fetch?: typeof fetch;
  /** How long one discovery or JWKS request may take. */
  timeoutMs?: number;
  /** How long a discovery document is trusted before it is fetched again. */
  discoveryMaxAgeMs?: number;
  /** How long a JWKS is used before it is fetched again (jose `cacheMaxAge`). */
  jwksMaxAgeMs?: number;
  /** After a fetch, an unknown `kid` waits this long before the JWKS is fetched again (jose `cooldownDuration`). */
  cooldownMs?: number;
  /** Leeway for `exp` and `nbf`, seconds: clocks of issuer and Warden differ a little. */
  clockToleranceSec?: number;
  /** The clock, for tests; ms since the epoch. */
  now?: () => number;
}

export interface WorkloadVerifier {
  /** Verifies a workload token against the issuers given; never throws for a bad token. */
  verify(token: string, trusted: readonly TrustedIssuer[]): Promise<WorkloadVerification>;
}

/**
 * Whether an issuer (or a jwks_uri) may be fetched: `https`, or plain `http` on a loopback address
 * (127.0.0.0/8, ::1, `localhost`), which local test issuers use. No credentials in the URL.
 * @example isAllowedIssuerUrl('http://127.0.0.1:8443') // true
 */
export function isAllowedIssuerUrl(text: string): boolean {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return false;
  }
  if (u.username !== '' || u.password !== '' || u.hash !== '') return false;
  if (u.protocol === 'https:') return true;
  if (u.protocol !== 'http:') return false;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

interface IssuerEntry {
  fetchedAt: number;
  jwks?: ReturnType<typeof createRemoteJWKSet>;
  /** A failed discovery is remembered for a short while, so a dead issuer is not hammered per request. */
  failure?: string;
  pending?: Promise<IssuerEntry>;
}

const DISCOVERY_FAILURE_RETRY_MS = 5_000;
const MAX_DISCOVERY_BYTES = 64 * 1024;

/**
 * Verifies workload identity tokens (GitHub Actions OIDC, Kubernetes projected service-account
 * tokens, SPIFFE JWT-SVIDs) the way OpenID Connect Discovery 1.0 describes: the token's `iss` must be
 * an issuer a trust entry names (no other issuer is ever contacted), its
 * `/.well-known/openid-configuration` must name the same `issuer` (§4.3) and a `jwks_uri`, and the
 * signature is checked against that JWKS with jose's remote key set (cached; a `kid` it does not
 * know triggers one refetch after the cooldown, which is how issuers' key rotation is followed).
 * @example const v = createWorkloadVerifier(); await v.verify(token, [{ issuer: 'https://token.actions.githubusercontent.com', audiences: ['warden'] }])
 */
export function createWorkloadVerifier(options: WorkloadVerifierOptions = {}): WorkloadVerifier {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const discoveryMaxAgeMs = options.discoveryMaxAgeMs ?? 3_600_000;
  const now = options.now ?? Date.now;
  const issuers = new Map<string, IssuerEntry>();

  async function discover(issuer: string): Promise<IssuerEntry> {
    const at = now();
    try {
      // OIDC Discovery §4: the issuer with any trailing slash removed, then the well-known path.
      const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
      const res = await doFetch(url, {
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
        headers: { accept: 'application/json' },
      });
      if (res.status !== 200) return { fetchedAt: at, failure: `discovery at ${url} answered ${res.status}` };
      const text = await res.text();
      if (text.length > MAX_DISCOVERY_BYTES) return { fetchedAt: at, failure: 'discovery document too large' };
      const doc = JSON.parse(text) as { issuer?: unknown; jwks_uri?: unknown };
      if (doc.issuer !== issuer) return { fetchedAt: at, failure: 'discovery document names another issuer' };
      if (typeof doc.jwks_uri !== 'string' || !isAllowedIssuerUrl(doc.jwks_uri))
        return { fetchedAt: at, failure: 'discovery document has no usable jwks_uri (https, or http on loopback)' };
      const jwks = createRemoteJWKSet(new URL(doc.jwks_uri), {
        timeoutDuration: timeoutMs,
        cooldownDuration: options.cooldownMs ?? 30_000,
        cacheMaxAge: options.jwksMaxAgeMs ?? 600_000,
        [customFetch]: (u, init) => doFetch(u, { ...init, redirect: 'error' }),
      });
      return { fetchedAt: at, jwks };
    } catch (error) {
      return { fetchedAt: at, failure: `discovery failed: ${(error as Error).message}` };
    }
  }

  async function issuerEntry(issuer: string): Promise<IssuerEntry> {
    const e = issuers.get(issuer);
    const age = e === undefined ? Number.POSITIVE_INFINITY : now() - e.fetchedAt;
    if (e !== undefined && (e.jwks !== undefined ? age < discoveryMaxAgeMs : age < DISCOVERY_FAILURE_RETRY_MS)) return e;
    if (e?.pending !== undefined) return e.pending;
    // One discovery in flight per issuer however many requests arrive at once.
    const pending = discover(issuer).then((fresh) => {
      // A failed refresh keeps the key set that worked: an issuer's brief outage must not lock workloads out.
      const next = fresh.jwks === undefined && e?.jwks !== undefined ? { ...e, fetchedAt: fresh.fetchedAt } : fresh;
      issuers.set(issuer, next);
      return next;
    });
    issuers.set(issuer, { ...(e ?? { fetchedAt: 0, failure: 'discovery pending' }), pending });
    return pending;
  }

  return {
    async verify(token, trusted) {
      let header: ReturnType<typeof decodeProtectedHeader>;
      let claims: JWTPayload;
      try {
        header = decodeProtectedHeader(token);
        claims = decodeJwt(token);
      } catch {
        return { ok: false, reason: 'not a signed JWT' };
      }
      if (typeof header.alg !== 'string' || !(WORKLOAD_ALGORITHMS as readonly string[]).includes(header.alg))
        return { ok: false, reason: `algorithm ${String(header.alg)} is not accepted (asymmetric signatures only)` };
      const iss = claims.iss;
      const entries = trusted.filter((t) => t.issuer === iss);
      if (typeof iss !== 'string' || entries.length === 0) return { ok: false, reason: 'issuer is not trusted' };
      if (!isAllowedIssuerUrl(iss)) return { ok: false, reason: 'issuer is not https (or http on loopback)' };
      const entry = await issuerEntry(iss);
      if (entry.jwks === undefined) return { ok: false, reason: `issuer keys unavailable: ${entry.failure ?? 'unknown'}` };
      const audiences = [...new Set(entries.flatMap((t) => t.audiences))];
      try {
        const { payload } = await jwtVerify(token, entry.jwks, {
          issuer: iss,
          audience: audiences,
          algorithms: [...WORKLOAD_ALGORITHMS],
          clockTolerance: options.clockToleranceSec ?? 30,
          requiredClaims: ['exp', 'sub'],
          currentDate: new Date(now()),
        });
        const aud = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []);
        return { ok: true, issuer: iss, subject: String(payload.sub), audiences: aud, payload };
      } catch (error) {
        return { ok: false, reason: verifyFailure(error, header.kid) };
      }
    },
  };
}

/** A short, stable reason for a failed verification; never echoes token content beyond the kid. */
function verifyFailure(error: unknown, kid: string | undefined): string {
  if (error instanceof errors.JWTExpired) return 'token expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'token not yet valid (nbf in the future)';
    if (error.claim === 'aud') return 'audience not accepted';
    if (error.claim === 'iss') return 'issuer mismatch';
    return `claim ${error.claim} invalid: ${error.reason}`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature invalid';
  if (error instanceof errors.JWKSNoMatchingKey)
    return `no key${kid === undefined ? '' : ` with kid ${kid.slice(0, 64)}`} in the issuer's JWKS`;
  if (error instanceof errors.JWKSMultipleMatchingKeys) return 'several issuer keys match and none verifies';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm not accepted';
  if (error instanceof errors.JWKSTimeout) return 'issuer keys unavailable: JWKS timed out';
  if (error instanceof errors.JOSEError) return `token invalid: ${error.code}`;
  return `issuer keys unavailable: ${(error as Error).message}`;
}
