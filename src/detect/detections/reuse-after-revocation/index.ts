import type { Detection } from '../../detection.js';
import { loadMeta } from '../meta.js';

const FOLDER = 'reuse-after-revocation';

/** Clocks of different log sources disagree a little; a use within this of the revocation is not "after". */
const SKEW_MS = 2_000;

/**
 * 2. A token or key presented after it was revoked or deleted: Vault token/accessor revoked then used,
 * AWS access key deleted then presented, or the provider itself reporting refresh-token reuse (Okta).
 */
export const reuseAfterRevocation: Detection = {
  meta: loadMeta(FOLDER),
  evaluate(e, ctx) {
    if (e.tags.includes('credential.reuse-detected')) {
      return {
        severity: 'high',
        message: `The identity provider reports reuse of a revoked or rotated token by ${e.identity.name ?? e.identity.id}.`,
        ...(e.credential?.subject ? { credentialKey: e.credential.subject } : {}),
      };
    }
    const c = ctx.credential;
    if (c === undefined || c.revokedAt === 0 || ctx.now <= c.revokedAt + SKEW_MS) return undefined;
    if (e.tags.includes('credential.revoked') || e.tags.includes('credential.issued')) return undefined;
    const ago = Math.round((ctx.now - c.revokedAt) / 60_000);
    return {
      severity: e.outcome === 'success' ? 'critical' : 'high',
      message: `A credential revoked ${ago} minute(s) earlier was presented again${e.outcome === 'success' ? ' and accepted' : ''}${e.client.ip ? ` from ${e.client.ip}` : ''}.`,
    };
  },
};
