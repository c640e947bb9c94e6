import type { Detection } from '../detection.js';
import { isPrivateNetwork } from '../features.js';
import { describeSignals, type Novelty, noveltySeverity } from '../novelty.js';

/**
 * 1. A credential used from a network or region this identity has never used. Networks are remembered
 * generalised (private /16, public /24), so pods moving inside a cluster range or an STS session
 * rotating never look new; a public address in a new /24 does. Severity comes from the evidence
 * (novelty.ts): the engine adds what the rest of the episode shows and folds moves that a fleet of
 * identities makes together into one change notice.
 */
export const newSource: Detection = {
  meta: {
    id: 'runtime.credential.new-source',
    title: 'Credential used from a new source',
    description:
      'An identity presented its credential from a network or cloud region it has never used before; severity follows what came with it (a new client, first-ever actions, discovery calls, secret reads, failures).',
    severity: 'medium',
    type: 'behavioral',
    per: 'identity',
    attacks: [{ id: 'T1078.004', name: 'Valid Accounts: Cloud Accounts', tactic: 'Initial Access' }],
    frameworks: [
      'owasp-nhi/NHI2:2025',
      'owasp-nhi/NHI3:2025',
      'nist-csf-2/DE.CM-09',
      'nist-csf-2/DE.AE-02',
      'nist-800-207/tenet-4',
    ],
  },
  evaluate(e, ctx) {
    if (!ctx.warm || !ctx.nonHuman || e.outcome === 'failure') return undefined;
    const s = ctx.identity;
    const newNet = ctx.net !== undefined && s.nets.size > 0 && !s.nets.has(ctx.net);
    const region = e.client.region;
    const newRegion = region !== undefined && s.regions.size > 0 && !s.regions.has(region);
    if (!newNet && !newRegion) return undefined;
    // A new private range is a new subnet of the same estate; a new public network is someone else's,
    // unless the estate's own egress moved (the engine tells those apart by who else moved with it).
    const publicNet = newNet && !isPrivateNetwork(ctx.net!);
    if (newNet && !publicNet && !newRegion) return undefined;
    const novelty: Novelty = {
      keys: [...(publicNet ? [`net:${ctx.net}`] : []), ...(newRegion ? [`region:${region}`] : [])],
      publicNet,
      signals: new Set(),
      priorNets: [...s.nets.keys()].slice(0, 32),
    };
    const what = [publicNet && `network ${ctx.net}`, newRegion && `region ${region}`].filter(Boolean).join(', ');
    return {
      severity: noveltySeverity(novelty),
      message: `${e.identity.name ?? e.identity.id} used its credential from a new ${what}${e.client.ip ? ` (${e.client.ip})` : ''}.`,
      novelty,
      anomaly: {
        parameter: publicNet ? 'source network' : 'region',
        pattern: 'UNSEEN',
        observed: novelty.keys.map((k) => k.slice(k.indexOf(':') + 1)),
        expected: publicNet ? [...s.nets.keys()].slice(0, 10) : [...s.regions.keys()].slice(0, 10),
        signals: describeSignals(novelty),
      },
    };
  },
};
