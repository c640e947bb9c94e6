import type { Detection } from '../detection.js';

export const BUCKET_MS = 5 * 60_000;

/**
 * 7. Call rate far above the identity's own baseline (bulk secret reads, mass clones). Counts are kept
 * in five-minute buckets; the baseline is a slowly decaying peak of the identity's past buckets, so a
 * nightly batch that always bursts sets its own bar. Fires once per bucket, when the count crosses.
 */
export const rateSpike: Detection = {
  meta: {
    id: 'runtime.identity.rate-spike',
    title: 'Call-rate spike',
    description: "An identity's call rate is far above anything it has done before.",
    severity: 'medium',
    type: 'behavioral',
    per: 'identity',
    attacks: [
      { id: 'T1530', name: 'Data from Cloud Storage', tactic: 'Collection' },
      { id: 'T1213.003', name: 'Data from Information Repositories: Code Repositories', tactic: 'Collection' },
    ],
    frameworks: ['owasp-nhi/NHI5:2025', 'nist-csf-2/DE.CM-09', 'nist-csf-2/DE.AE-02', 'nist-csf-2/DE.AE-04'],
  },
  evaluate(e, ctx) {
    const s = ctx.identity;
    if (!ctx.warm || s.closedBuckets < 12) return undefined;
    const sameBucket = ctx.now - s.bucketStart < BUCKET_MS;
    if (sameBucket && s.bucketAlerted) return undefined;
    const count = (sameBucket ? s.bucketCount : 0) + 1;
    const threshold = Math.max(ctx.config.rateMinimum, Math.ceil(ctx.config.rateFactor * s.peak));
    if (count !== threshold) return undefined;
    const sensitive = e.tags.includes('secret.read') || e.tags.includes('repo.read');
    return {
      severity: sensitive ? 'high' : 'medium',
      message: `${e.identity.name ?? e.identity.id} made ${count} calls within five minutes, ${(count / Math.max(1, s.peak)).toFixed(0)}x its busiest five minutes so far${sensitive ? ` (${e.action})` : ''}.`,
      anomaly: {
        parameter: 'calls per 5 minutes',
        pattern: 'SURGE',
        observed: [String(count)],
        expected: [`at most ${Math.round(s.peak)}`],
      },
    };
  },
};
