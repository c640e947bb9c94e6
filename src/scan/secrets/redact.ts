import { createHash, createHmac } from 'node:crypto';

/**
 * A preview that helps a person recognise a secret without revealing it: at most a sixth of it (six
 * characters at most, enough for prefixes such as `ghp_` or `AKIA`) and never its end.
 * @example redact('ghp_…36 chars') // 'ghp_ab************'
 */
export function redact(secret: string): string {
  // Control characters in a secret's first bytes (an OSC 8 hyperlink, a screen clear) never reach a
  // preview, whatever prints it.
  const head = secret.slice(0, Math.min(6, Math.floor(secret.length / 6))).replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return head + '*'.repeat(Math.max(4, Math.min(12, secret.length - head.length)));
}

/** SHA-256 of the secret, hex: the fingerprint stored instead of the secret. */
export function fingerprint(secret: string): string {
  return createHash('sha256').update(secret, 'latin1').digest('hex');
}

/** GitHub's audit log `hashed_token`: base64 of the SHA-256 of the token. */
export function githubHashedToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64');
}

/**
 * The value Vault's audit device writes for a token: `hmac-sha256:` and the hex HMAC keyed by the
 * audit device's salt (Vault docs, "audit devices": sensitive values are HMAC-SHA256'd with a salt).
 */
export function vaultAuditHmac(token: string, salt: string): string {
  return `hmac-sha256:${createHmac('sha256', salt).update(token, 'utf8').digest('hex')}`;
}
