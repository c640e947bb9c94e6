import type { Alert } from '../model/alert.js';
import type { IdentityEvent } from '../model/identity-event.js';
import { createDetector, type Detector, type DetectorOptions } from './engine.js';

export type { Detection, DetectionContext, DetectionMeta, Trigger } from './detection.js';
export { DETECTIONS } from './detections/index.js';
export {
  createDetector,
  type Detector,
  type DetectorOptions,
  type DetectorSnapshot,
  type DetectorStats,
  type SavedEpisode,
} from './engine.js';
export { mergeBatchesByTime, mergeByTime } from './merge.js';
export { createPolicyViolation, type ManifestDetectorOptions, manifestDetectorOptions } from './policy-violation.js';

/**
 * Runs the detector over a stream of events (in time order) and yields alerts as they become due:
 * the function `warden detect`, the server and the workers share.
 * @example for await (const a of detect(events, { learnUntil: Date.parse('2026-03-01') })) console.log(a.title)
 */
export async function* detect(
  events: AsyncIterable<IdentityEvent> | Iterable<IdentityEvent>,
  options: DetectorOptions & { detector?: Detector } = {},
): AsyncGenerator<Alert> {
  const detector = options.detector ?? createDetector(options);
  for await (const e of events) yield* detector.process(e);
  yield* detector.finish();
}
export { DEFAULT_PARTITIONS, partitionCount, partitionOf, routingKey } from './partition.js';
