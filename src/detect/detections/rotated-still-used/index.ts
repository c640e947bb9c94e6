import type { Detection } from '../../detection.js';
import { loadMeta } from '../meta.js';

const FOLDER = 'rotated-still-used';

/**
 * 3. A deactivated or rotated-out key still being presented. Deactivation (AWS UpdateAccessKey
 * Inactive) then any use is high: something still holds the old key. A key replaced by a newer one of
 * the same identity and still used after the grace period is medium: the rotation did not finish.
 */
export const rotatedStillUsed: Detection = {
  meta: loadMeta(FOLDER),
  evaluate(e, ctx) {
    const c = ctx.credential;
    if (c === undefined || e.tags.includes('credential.issued') || e.tags.includes('credential.deactivated')) return undefined;
    if (c.revokedAt !== 0) return undefined; // reuse-after-revocation speaks for deleted keys
    if (c.deactivatedAt !== 0 && ctx.now > c.deactivatedAt + 2_000) {
      return {
        severity: 'high',
        message: `A deactivated credential is still being presented${e.client.ip ? ` from ${e.client.ip}` : ''} (${e.outcome}).`,
      };
    }
    const grace = ctx.config.rotationGraceHours * 3_600_000;
    if (c.replacedAt !== 0 && ctx.now > c.replacedAt + grace && e.outcome === 'success') {
      const hours = Math.round((ctx.now - c.replacedAt) / 3_600_000);
      return {
        severity: 'medium',
        message: `A credential replaced by a newer one ${hours} hour(s) ago is still in use: the rotation did not reach every consumer.`,
      };
    }
    return undefined;
  },
};
