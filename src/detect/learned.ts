import type { Alert } from '../model/alert.js';
import type { DetectConfig } from '../model/config.js';

export type DetectException = DetectConfig['exceptions'][number];

/** Detections whose alert an analyst may call an expected change: novelty of where an identity comes from. */
const CHANGE_DETECTIONS = new Set(['runtime.credential.new-source', 'runtime.fleet.infrastructure-change']);

/**
 * The exceptions an alert triaged as "expected change" teaches: the same identity (each identity a
 * fleet notice names) from the same new network or region stays quiet for new-source from then on.
 * Undefined for alerts that are not about a new source, or that name no network or region.
 * @example exceptionsForExpectedChange(alert, 'CHG-1234 runner move', 'alice')
 */
export function exceptionsForExpectedChange(alert: Alert, reason: string, actor: string): DetectException[] | undefined {
  if (!CHANGE_DETECTIONS.has(alert.detectionId) || alert.anomaly === undefined) return undefined;
  const what = alert.anomaly.observed;
  const byNetwork = alert.anomaly.parameter === 'source network';
  if (!byNetwork && alert.anomaly.parameter !== 'region') return undefined;
  const targets = alert.anomaly.targets?.map((t) => t.id) ?? [alert.identity.id];
  const because = `expected change (alert ${alert.uid}, triaged by ${actor}): ${reason}`;
  const out: DetectException[] = [];
  // `*` is the exceptions' one wildcard: an id holding one would widen the exception, so none is made for it.
  for (const id of targets.filter((t) => !t.includes('*'))) {
    for (const v of what) {
      // A network is kept as the /24 or /16 the detector remembers; a region as its name.
      if (byNetwork && !/^[0-9a-fA-F:.]+\/\d{1,3}$/.test(v)) continue;
      out.push({
        detections: ['runtime.credential.new-source'],
        identity: id,
        ...(byNetwork ? { network: v } : { region: v }),
        reason: because,
      });
    }
  }
  return out.length === 0 ? undefined : out;
}
