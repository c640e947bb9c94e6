import type { Detection } from '../../detection.js';
import { loadMeta } from '../meta.js';

const FOLDER = 'fleet-change';

/**
 * A notice, not an alarm: a new network or region that several identities which used to share a
 * network (a runner pool, a NAT gateway) began to use at about the same time with nothing else about
 * them changed, or a new source a declared change (`detect.changes`) covers. The engine raises it
 * when it folds such new-source episodes together; it never fires on one event.
 */
export const fleetChange: Detection = {
  meta: loadMeta(FOLDER),
  evaluate: () => undefined,
};
