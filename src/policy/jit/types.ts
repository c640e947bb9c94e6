import type { JWK } from 'jose';

/** One Warden signing key as the store keeps it: the private half sealed (see kek.ts). */
export interface SigningKeyRecord {
  kid: string;
  alg: 'ES256';
  publicJwk: JWK;
  /** The PKCS#8 private key sealed with AES-256-GCM under the key-encryption key `kekId`. */
  privateSealed: string;
  kekId: string;
  createdAt: number;
  /** When `warden keys rotate` replaced it; null while it signs. */
  retiredAt: number | null;
  /** The latest expiry of a credential it signed: it stays published until then. */
  lastExpiresAt: number;
}

/** One issued credential. The token itself is never stored: only its SHA-256 fingerprint. */
export interface CredentialRecord {
  id: string;
  identity: string;
  kid: string;
  audience: string;
  task: string;
  /** The workload that proved itself: its token's issuer and subject. */
  workloadIssuer: string;
  workloadSubject: string;
  issuedAt: number;
  expiresAt: number;
  revokedAt: number | null;
  revokedBy: string | null;
  /** Hex SHA-256 of the token. */
  fingerprint: string;
}

/** What the broker needs from the store; `src/store/credentials.ts` implements it for both dialects. */
export interface JitRepository {
  listKeys(): Promise<SigningKeyRecord[]>;
  insertKey(key: SigningKeyRecord): Promise<void>;
  /** Marks every signing key other than `kid` retired at `at`. */
  retireKeysExcept(kid: string, at: number): Promise<void>;
  /** Raises a key's lastExpiresAt to `expiresAt` if that is later. */
  extendKey(kid: string, expiresAt: number): Promise<void>;
  /** Deletes keys retired before `retiredBefore` whose last credential expired before `expiredBefore`; returns their kids. */
  pruneKeys(expiredBefore: number, retiredBefore: number): Promise<string[]>;
  insertCredential(c: CredentialRecord): Promise<void>;
  getCredential(id: string): Promise<CredentialRecord | undefined>;
  /** Revokes a credential not yet revoked; false when it was already revoked or does not exist. */
  revokeCredential(id: string, at: number, by: string): Promise<boolean>;
}
