import { createPrivateKey, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair, importJWK, type JWK } from 'jose';
import type { KeyEncryptionKey } from './kek.js';
import type { JitRepository, SigningKeyRecord } from './types.js';

/** Warden's signing algorithm for just-in-time credentials (CONTRACTS §4). */
export const SIGNING_ALG = 'ES256';

/** How long the key list read from the store is reused: a rotation by another process shows within it. */
const KEYS_CACHE_MS = 2_000;
/**
 * A retired key is kept at least this long even with no live credential: a server that read the key
 * list just before another process rotated may still sign with it for up to KEYS_CACHE_MS.
 */
const RETIRED_GRACE_MS = 60_000;

export interface Keyring {
  /** The key that signs now (created on first use), with its private half unsealed. */
  signer(): Promise<{ kid: string; key: CryptoKey }>;
  /** The public key of `kid`, if Warden published it and has not pruned it. */
  publicKey(kid: string): Promise<CryptoKey | undefined>;
  /** The JWKS to publish: the signing key and every retired key whose credentials have not all expired. */
  jwks(): Promise<{ keys: JWK[] }>;
  /** Records that `kid` signed a credential expiring at `expiresAt` (it stays published until then). */
  extend(kid: string, expiresAt: number): Promise<void>;
  /** A new signing key; the previous ones retire (published until their last credential expires); expired ones go. */
  rotate(): Promise<{ kid: string; retired: string[]; pruned: string[] }>;
  /** Every key held, without private material. */
  list(): Promise<Array<Omit<SigningKeyRecord, 'privateSealed'>>>;
}

/**
 * A fresh ES256 key pair, the private key sealed under `kek` with the kid as associated data. The kid
 * is the RFC 7638 thumbprint of the public key, so it names the key and nothing else.
 */
export async function generateSigningKey(kek: KeyEncryptionKey, at: number): Promise<SigningKeyRecord> {
  const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = `${(await calculateJwkThumbprint(publicJwk)).slice(0, 22)}-${randomUUID().slice(0, 8)}`;
  const pkcs8 = await exportPKCS8(privateKey);
  return {
    kid,
    alg: SIGNING_ALG,
    publicJwk: { ...publicJwk, kid, alg: SIGNING_ALG, use: 'sig' },
    privateSealed: kek.encrypt(Buffer.from(pkcs8, 'utf8'), kid),
    kekId: kek.id,
    createdAt: at,
    retiredAt: null,
    lastExpiresAt: at,
  };
}

/** A key's published lifetime is extended this far past the credential that asked (see `extend`). */
const EXTEND_SLACK_MS = 60_000;

/**
 * Warden's signing keys over the store: private keys are unsealed only in memory and only for the key
 * that signs; verification needs only the public halves.
 * @example const ring = createKeyring(repo, kek); const { kid, key } = await ring.signer();
 */
export function createKeyring(repo: JitRepository, kek: KeyEncryptionKey, now: () => number = Date.now): Keyring {
  let cached: { at: number; keys: SigningKeyRecord[] } | undefined;
  const publics = new Map<string, CryptoKey>();
  let signing: { kid: string; key: CryptoKey } | undefined;
  let lastMiss = 0;
  /** How far this process has extended each key's published lifetime. */
  const extended = new Map<string, number>();

  async function keys(fresh = false): Promise<SigningKeyRecord[]> {
    if (!fresh && cached !== undefined && now() - cached.at < KEYS_CACHE_MS) return cached.keys;
    cached = { at: now(), keys: await repo.listKeys() };
    return cached.keys;
  }

  function active(list: SigningKeyRecord[]): SigningKeyRecord | undefined {
    // Two processes creating the first key at once both insert one: the newest wins everywhere.
    let best: SigningKeyRecord | undefined;
    for (const k of list) if (k.retiredAt === null && (best === undefined || k.createdAt > best.createdAt)) best = k;
    return best;
  }

  async function create(): Promise<SigningKeyRecord> {
    const rec = await generateSigningKey(kek, now());
    await repo.insertKey(rec);
    await repo.retireKeysExcept(rec.kid, rec.createdAt);
    cached = undefined;
    return rec;
  }

  function published(list: SigningKeyRecord[]): SigningKeyRecord[] {
    const t = now();
    return list.filter((k) => k.retiredAt === null || k.lastExpiresAt > t);
  }

  return {
    async signer() {
      let rec = active(await keys());
      if (rec === undefined) rec = active(await keys(true)) ?? (await create());
      if (signing?.kid === rec.kid) return signing;
      const pem = kek.decrypt(rec.privateSealed, rec.kid).toString('utf8');
      const key = createPrivateKey(pem) as unknown as CryptoKey;
      signing = { kid: rec.kid, key };
      return signing;
    },
    async publicKey(kid) {
      const hit = publics.get(kid);
      if (hit !== undefined) return hit;
      let rec = (await keys()).find((k) => k.kid === kid);
      // A key created by another process since the last read: look once more, fresh, but at most once
      // a second, so tokens with made-up kids cannot turn into a query each.
      if (rec === undefined && now() - lastMiss >= 1000) {
        lastMiss = now();
        rec = (await keys(true)).find((k) => k.kid === kid);
      }
      if (rec === undefined) return undefined;
      const key = (await importJWK(rec.publicJwk, SIGNING_ALG)) as CryptoKey;
      publics.set(kid, key);
      return key;
    },
    async jwks() {
      // A resource server may fetch the keys before the first credential: publish the signing key from the start.
      if (active(await keys()) === undefined && active(await keys(true)) === undefined) await create();
      return { keys: published(await keys()).map((k) => k.publicJwk) };
    },
    async extend(kid, expiresAt) {
      // Published a minute past the asked expiry, so a stream of issuances writes once a minute, not
      // once each (the stored value only grows; a retired key is published a minute longer at most).
      if (expiresAt <= (extended.get(kid) ?? 0)) return;
      const until = expiresAt + EXTEND_SLACK_MS;
      await repo.extendKey(kid, until);
      extended.set(kid, until);
    },
    async rotate() {
      const before = await keys(true);
      const rec = await create();
      const pruned = await repo.pruneKeys(now(), now() - RETIRED_GRACE_MS);
      for (const kid of pruned) publics.delete(kid);
      cached = undefined;
      return { kid: rec.kid, retired: before.filter((k) => k.retiredAt === null).map((k) => k.kid), pruned };
    },
    async list() {
      return (await keys(true)).map(({ privateSealed: _, ...rest }) => rest);
    },
  };
}
