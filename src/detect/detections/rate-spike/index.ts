import type { Detection } from '../../detection.js';
import { loadMeta } from '../meta.js';

const FOLDER = 'rate-spike';

export const BUCKET_MS = 5 * 60_000;

/** Five-minute rate buckets: the open bucket and a slowly decaying peak of closed ones. */
export class RateSlice {
  bucketStart = 0;
  bucketCount = 0;
  bucketAlerted = false;
  peak = 0;
  closedBuckets = 0;
  /** The last closed bucket, committed to the peak one bucket later (a burst's first bucket must not raise its own bar). */
  pendingBucket = 0;
  pendingBucketAlerted = false;
}

/**
 * 7. Call rate far above the identity's own baseline (bulk secret reads, mass clones). Counts are kept
 * in five-minute buckets; the baseline is a slowly decaying peak of the identity's past buckets, so a
 * nightly batch that always bursts sets its own bar. Fires once per bucket, when the count crosses.
 */
export const rateSpike: Detection<RateSlice, undefined> = {
  meta: loadMeta(FOLDER),
  identitySlice: () => new RateSlice(),
  evaluate(e, ctx, s) {
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
  // Fires once per bucket: remember that this bucket alerted (it never joins the peak).
  fired(_e, ctx, s) {
    s.bucketAlerted = ctx.now - s.bucketStart < BUCKET_MS;
  },
  learn(_e, ctx, s) {
    const now = ctx.now;
    // Close the open bucket when this event falls past it.
    if (now - s.bucketStart >= BUCKET_MS) {
      if (s.bucketStart !== 0) {
        // The bucket before the one closing now joins the peak; a bucket that alerted never does.
        s.peak *= 0.998;
        if (!s.pendingBucketAlerted && s.pendingBucket > s.peak) s.peak = s.pendingBucket;
        s.pendingBucket = s.bucketCount;
        s.pendingBucketAlerted = s.bucketAlerted;
        s.closedBuckets++;
      }
      s.bucketStart = now - (now % BUCKET_MS);
      s.bucketCount = 0;
      s.bucketAlerted = false;
    }
    s.bucketCount++;
  },
};
