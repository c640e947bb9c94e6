import type { Detection } from '../detection.js';

/**
 * 6. Repeated failures followed by a success: credential stuffing or brute force against a service
 * credential. The threshold adapts: an identity that routinely fails N times in a window needs far more
 * than N before a success counts. A success from a network none of the failures came from, or from a
 * network the identity never used, is worse.
 */
export const failuresThenSuccess: Detection = {
  meta: {
    id: 'runtime.auth.failures-then-success',
    title: 'Repeated failures followed by success',
    description: 'Many failed attempts with an identity or credential were followed by a successful one.',
    severity: 'high',
    type: 'behavioral',
    per: 'identity',
    attacks: [{ id: 'T1110', name: 'Brute Force', tactic: 'Credential Access' }],
    frameworks: [
      'owasp-nhi/NHI4:2025',
      'owasp-nhi/NHI2:2025',
      'nist-csf-2/DE.CM-09',
      'nist-csf-2/DE.AE-02',
      'nist-csf-2/PR.AA-03',
    ],
  },
  evaluate(e, ctx) {
    if (e.outcome !== 'success') return undefined;
    const windowMs = ctx.config.failureWindowMinutes * 60_000;
    const recent = ctx.identity.failures.filter(([t]) => t >= ctx.now - windowMs);
    const threshold = Math.max(ctx.config.failures, ctx.identity.failBurstPeak * 3);
    if (recent.length < threshold) return undefined;
    // Before its history is known, only a run far above the threshold speaks for an identity.
    if (!ctx.warm && recent.length < threshold * 4) return undefined;
    const nets = new Set(recent.map(([, n]) => n));
    const unseen = ctx.net !== undefined && ctx.identity.nets.size > 0 && !ctx.identity.nets.has(ctx.net);
    return {
      severity: unseen ? 'critical' : 'high',
      message: `${recent.length} failed attempts in ${ctx.config.failureWindowMinutes} minutes were followed by a success for ${e.identity.name ?? e.identity.id}${e.client.ip ? ` from ${e.client.ip}` : ''}${unseen ? ', a network it never used' : ''}.`,
      anomaly: {
        parameter: 'failures before success',
        pattern: 'SURGE',
        observed: [`${recent.length} failures from ${nets.size} network(s)`],
        expected: [`at most ${ctx.identity.failBurstPeak} failures in ${ctx.config.failureWindowMinutes} minutes`],
      },
    };
  },
};
