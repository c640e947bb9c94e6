import { createHash } from 'node:crypto';

/*
 * Vault's audit log writes tokens as HMAC-SHA256 under a per-device salt that Vault never reveals.
 * Without the salt (WARDEN_VAULT_AUDIT_SALT), the only way to the HMAC of a leaked token is to ask
 * the Vault server that issued it: POST /v1/sys/audit-hash/<device> {"input": token} answers
 * {"hash": "hmac-sha256:…"} (https://developer.hashicorp.com/vault/api-docs/system/audit-hash).
 * The token goes only to that server, over the address the operator configured; the answer is a
 * hash, safe to store. Opt-in: `warden scan --vault-audit-device <path>` with VAULT_ADDR and
 * VAULT_TOKEN (a token allowed to call sys/audit-hash).
 */

export interface VaultAuditHashConfig {
  /** Vault address, e.g. https://vault.example.com:8200 (VAULT_ADDR). */
  addr: string;
  /** A token allowed to update sys/audit-hash/<device> (VAULT_TOKEN). */
  token: string;
  /** The audit device's path, e.g. `file` (the `path` in `vault audit list`). */
  device: string;
  /** Vault Enterprise namespace (VAULT_NAMESPACE), if any. */
  namespace?: string | undefined;
  /** Per-request timeout, ms (default 5,000). */
  timeoutMs?: number | undefined;
}

export interface VaultAuditHasher {
  /** The audit HMAC of `token`, or undefined once the server has failed (see `error`). */
  hash(token: string): Promise<string | undefined>;
  /** Tokens hashed so far (cache hits not counted twice). */
  readonly hashed: number;
  /** Why hashing stopped: the first failure. After one, no further request is made. */
  readonly error: string | undefined;
}

/**
 * A client of /sys/audit-hash with a cache (each token asked once) and a breaker: the first failure
 * (unreachable, 403, timeout, bad answer) stops every later request, so a scan with many tokens does
 * not wait on a server that is down.
 * @example const h = createVaultAuditHasher({ addr, token, device: 'file' }); await h.hash(leaked)
 */
export function createVaultAuditHasher(config: VaultAuditHashConfig): VaultAuditHasher {
  const cache = new Map<string, Promise<string | undefined>>();
  let error: string | undefined;
  let hashed = 0;
  const url = `${config.addr.replace(/\/+$/, '')}/v1/sys/audit-hash/${encodeURIComponent(config.device).replace(/%2F/gi, '/')}`;
  const headers: Record<string, string> = { 'X-Vault-Token': config.token, 'Content-Type': 'application/json' };
  if (config.namespace) headers['X-Vault-Namespace'] = config.namespace;

  async function ask(token: string): Promise<string | undefined> {
    if (error !== undefined) return undefined;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ input: token }),
        signal: AbortSignal.timeout(config.timeoutMs ?? 5000),
      });
      if (!res.ok) {
        error = `Vault answered ${res.status} to POST ${url}${res.status === 403 ? ' (the token may not update sys/audit-hash)' : ''}`;
        return undefined;
      }
      const body = (await res.json()) as { hash?: unknown; data?: { hash?: unknown } };
      const h = body.data?.hash ?? body.hash;
      if (typeof h !== 'string' || !/^hmac-sha256:[0-9a-f]{64}$/i.test(h)) {
        error = `Vault's answer from ${url} carries no hmac-sha256 hash`;
        return undefined;
      }
      hashed++;
      return h.toLowerCase();
    } catch (err) {
      error ??= `Vault at ${config.addr} unreachable: ${(err as Error).message}`;
      return undefined;
    }
  }

  return {
    hash(token: string) {
      // Keyed by the token's SHA-256, so the cache holds no token.
      const key = createHash('sha256').update(token).digest('hex');
      let p = cache.get(key);
      if (p === undefined) {
        p = ask(token);
        cache.set(key, p);
      }
      return p;
    },
    get hashed() {
      return hashed;
    },
    get error() {
      return error;
    },
  };
}
