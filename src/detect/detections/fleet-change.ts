import type { Detection } from '../detection.js';

/**
 * A notice, not an alarm: a new network or region that several identities which used to share a
 * network (a runner pool, a NAT gateway) began to use at about the same time with nothing else about
 * them changed, or a new source a declared change (`detect.changes`) covers. The engine raises it
 * when it folds such new-source episodes together; it never fires on one event.
 */
export const fleetChange: Detection = {
  meta: {
    id: 'runtime.fleet.infrastructure-change',
    title: 'Infrastructure change across identities',
    description:
      'Several identities that shared a network moved to a new network or region together with nothing else changed, or a declared change covered a new source: one notice naming them all instead of an alert each.',
    severity: 'low',
    type: 'behavioral',
    per: 'identity',
    attacks: [],
    frameworks: ['nist-csf-2/DE.AE-02', 'nist-csf-2/DE.AE-03', 'nist-csf-2/DE.CM-09', 'nist-800-207/tenet-7'],
  },
  evaluate: () => undefined,
};
