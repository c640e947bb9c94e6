import type { Finding } from '../model/finding.js';
import type { IdentityEvent } from '../model/identity-event.js';

/*
 * Join keys: one normalised string per credential, the same whether the credential was seen by a
 * scan finding or named by a runtime log, so the two halves of the identity graph meet on it.
 *
 * | key                        | from a finding                          | from an event                        |
 * |----------------------------|-----------------------------------------|--------------------------------------|
 * | `aws-key:<AKIA…/ASIA…>`    | credentialKey aws-access-key-id         | CloudTrail accessKeyId               |
 * | `github:<hashed_token>`    | credentialKey github-hashed-token       | GitHub audit log hashed_token        |
 * | `vault:hmac-sha256:<hex>`  | credentialKey vault-hmac (audit salt, or Vault's /sys/audit-hash) | Vault audit HMAC'd token or accessor |
 * | `k8s:JTI=<uuid>`           | —                                       | Kubernetes audit credential-id       |
 * | `gcp-key:<private_key_id>` | credentialKey gcp-key-id (key file)     | Cloud Audit Logs serviceAccountKeyName `…/keys/<id>` |
 * | `entra-key:<key id>`       | —                                       | Entra sign-in servicePrincipalCredentialKeyId, audit KeyIdentifier |
 * | `sha256:<hex>`             | the fingerprint of every secret finding | an event key that is a SHA-256 hex   |
 *
 * None of these is a secret: AWS key ids, GitHub hashed tokens, Vault HMACs, JTIs and fingerprints
 * are all safe to store. A finding's redacted preview is kept on its node, never the secret.
 */

/** AWS access key ids: long-term (AKIA) and temporary (ASIA), 20 upper-case alphanumerics. */
const AWS_KEY_ID = /^(?:AKIA|ASIA)[A-Z0-9]{16}$/;
/** A GCP service account key id (a key file's private_key_id): 40 hex. */
const GCP_KEY_ID = /^[0-9a-f]{40}$/i;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A hex SHA-256. */
const SHA256_HEX = /^[0-9a-f]{64}$/i;

/** The join key of an AWS access key id. */
export function awsKey(accessKeyId: string): string {
  return `aws-key:${accessKeyId.trim().toUpperCase()}`;
}

/** The join key of a GitHub `hashed_token` (base64 SHA-256 of the token, as GitHub writes it). */
export function githubKey(hashedToken: string): string {
  return `github:${hashedToken.trim()}`;
}

/** The join key of a Vault audit HMAC (`hmac-sha256:<hex>`, the prefix added when missing). */
export function vaultKey(hmac: string): string {
  const v = hmac.trim();
  return `vault:${v.startsWith('hmac-sha256:') ? `hmac-sha256:${v.slice(12).toLowerCase()}` : `hmac-sha256:${v.toLowerCase()}`}`;
}

/** The join key of a secret's SHA-256 fingerprint (hex, lower-cased). */
export function sha256Key(fingerprint: string): string {
  return `sha256:${fingerprint.trim().toLowerCase()}`;
}

/** The join key of a GCP service account key (its private_key_id, lower-cased). */
export function gcpKey(keyId: string): string {
  return `gcp-key:${keyId.trim().toLowerCase()}`;
}

/** The join key of a Microsoft Entra application or service principal credential (its key id GUID). */
export function entraKey(keyId: string): string {
  return `entra-key:${keyId.trim().toLowerCase()}`;
}

/** The join key of a Kubernetes credential id (`JTI=<uuid>`, `X509SHA256=<hex>`). */
export function k8sKey(credentialId: string): string {
  return `k8s:${credentialId.trim()}`;
}

/**
 * The join keys of a finding's credential, the most specific first (provider key, then the secret's
 * SHA-256 fingerprint). Posture findings have none: their fingerprint is not of a secret.
 * @example credentialKeysOfFinding(finding) // ['aws-key:AKIA…', 'sha256:9f86d0…']
 */
export function credentialKeysOfFinding(f: Finding): string[] {
  if (f.kind !== 'secret') return [];
  const keys: string[] = [];
  const k = f.credentialKey;
  if (k !== undefined) {
    switch (k.type) {
      case 'aws-access-key-id':
        keys.push(awsKey(k.value));
        break;
      case 'github-hashed-token':
        keys.push(githubKey(k.value));
        break;
      case 'vault-hmac':
        keys.push(vaultKey(k.value));
        break;
      case 'sha256':
        keys.push(sha256Key(k.value));
        break;
      case 'gcp-key-id':
        keys.push(gcpKey(k.value));
        break;
    }
  }
  if (SHA256_HEX.test(f.fingerprint)) keys.push(sha256Key(f.fingerprint));
  return [...new Set(keys)];
}

/** The join key of one credential name as `source` writes it, or undefined when it is empty. */
export function normaliseEventKey(source: IdentityEvent['source'], key: string): string | undefined {
  const v = key.trim();
  if (v === '') return undefined;
  if (AWS_KEY_ID.test(v)) return awsKey(v);
  if (v.startsWith('hmac-sha256:')) return vaultKey(v);
  if (v.startsWith('JTI=') || v.startsWith('X509SHA256=')) return k8sKey(v);
  if (source === 'github-audit' && /^[A-Za-z0-9+/]{43}=$/.test(v)) return githubKey(v);
  if (source === 'gcp-audit' && GCP_KEY_ID.test(v)) return gcpKey(v);
  if ((source === 'entra-signin' || source === 'entra-audit') && GUID.test(v)) return entraKey(v);
  if (SHA256_HEX.test(v)) return sha256Key(v);
  // Warden's own just-in-time credentials: the same key whichever Warden event (issuance, decision) names it.
  if (v.startsWith('warden-jit:')) return v;
  // Anything else (an Okta token id, a Vault lease id, a GitHub token id): kept, scoped to its source
  // so two vendors' ids never collide. It joins only other events of that source.
  return `${source}:${v}`;
}

/**
 * The join keys of the credential an event authenticated with (the caller's), most specific first;
 * empty when the event names none. The credential an issuance or revocation acted on is
 * `subjectKeyOfEvent`.
 * @example credentialKeysOfEvent(cloudTrailEvent) // ['aws-key:AKIAIOSFODNN7EXAMPLE']
 */
export function credentialKeysOfEvent(e: IdentityEvent): string[] {
  const c = e.credential;
  if (c === undefined) return [];
  const key = normaliseEventKey(e.source, c.key);
  return key === undefined ? [] : [key];
}

/**
 * The join key of the credential an issuance, rotation or revocation acted on: `credential.subject`
 * when the log names one, else the event's own credential for lifecycle events that carry no
 * subject; undefined for plain uses.
 */
export function subjectKeyOfEvent(e: IdentityEvent): string | undefined {
  const c = e.credential;
  if (c === undefined || c.lifecycle === 'used') return undefined;
  return normaliseEventKey(e.source, c.subject ?? c.key);
}
