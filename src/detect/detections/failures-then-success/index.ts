import type { Detection } from '../../detection.js';
import { loadMeta } from '../meta.js';

const FOLDER = 'failures-then-success';

/**
 * 6. Repeated failures followed by a success: credential stuffing or brute force against a service
 * credential. The threshold adapts: an identity that routinely fails N times in a window needs far more
 * than N before a success counts. A success from a network none of the failures came from, or from a
 * network the identity never used, is worse.
 */
/** Recent failures (time, network), and the largest run of failures that ended in a success while normal. */
export class FailureSlice {
  failures: Array<[number, string]> = [];
  failBurstPeak = 0;
}

export const failuresThenSuccess: Detection<FailureSlice, undefined> = {
  meta: loadMeta(FOLDER),
  identitySlice: () => new FailureSlice(),
  evaluate(e, ctx, s) {
    if (e.outcome !== 'success') return undefined;
    const windowMs = ctx.config.failureWindowMinutes * 60_000;
    const recent = s.failures.filter(([t]) => t >= ctx.now - windowMs);
    const threshold = Math.max(ctx.config.failures, s.failBurstPeak * 3);
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
        expected: [`at most ${s.failBurstPeak} failures in ${ctx.config.failureWindowMinutes} minutes`],
      },
    };
  },
  // An alerted run is spent: the next success starts from nothing.
  fired(_e, _ctx, s) {
    s.failures = [];
  },
  learn(e, ctx, s) {
    const now = ctx.now;
    const windowMs = ctx.config.failureWindowMinutes * 60_000;
    // A success after failures that raised no alert was normal: remember the size of that run.
    if (e.outcome === 'success' && s.failures.length > 0) {
      const run = s.failures.filter(([t]) => t >= now - windowMs).length;
      if (run > s.failBurstPeak && (ctx.learning || run < Math.max(ctx.config.failures, s.failBurstPeak * 3)))
        s.failBurstPeak = run;
    }
    // A success ends a run of failures.
    if (e.outcome === 'failure') {
      s.failures = s.failures.filter(([t]) => t >= now - windowMs);
      if (s.failures.length < 1000) s.failures.push([now, ctx.net ?? '']);
    } else if (e.outcome === 'success' && s.failures.length > 0) {
      s.failures = [];
    }
  },
};
