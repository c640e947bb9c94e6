import type { Detection } from '../../detection.js';
import { isPrivateNetwork } from '../../features.js';
import { describeSignals, type Novelty, noveltySeverity } from '../../novelty.js';
import { Recent } from '../../state.js';
import { loadMeta } from '../meta.js';

const FOLDER = 'new-source';

/**
 * 1. A credential used from a network or region this identity has never used. Networks are remembered
 * generalised (private /16, public /24), so pods moving inside a cluster range or an STS session
 * rotating never look new; a public address in a new /24 does. Severity comes from the evidence
 * (novelty.ts): the engine adds what the rest of the episode shows and folds moves that a fleet of
 * identities makes together into one change notice.
 */
/**
 * What new-source and the novelty it opens judge against, besides the networks of the shared core:
 * regions used, and (for the novelty's evidence, see novelty.ts) client families and actions.
 */
export class SourceSlice {
  regions = new Recent(16);
  agents = new Recent(32);
  actions = new Recent(256);
}

export const newSource: Detection<SourceSlice, undefined> = {
  meta: loadMeta(FOLDER),
  identitySlice: () => new SourceSlice(),
  evaluate(e, ctx, mine) {
    if (!ctx.warm || !ctx.nonHuman || e.outcome === 'failure') return undefined;
    const s = ctx.identity;
    const newNet = ctx.net !== undefined && s.nets.size > 0 && !s.nets.has(ctx.net);
    const region = e.client.region;
    const newRegion = region !== undefined && mine.regions.size > 0 && !mine.regions.has(region);
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
        expected: publicNet ? [...s.nets.keys()].slice(0, 10) : [...mine.regions.keys()].slice(0, 10),
        signals: describeSignals(novelty),
      },
    };
  },
  learn(e, ctx, s) {
    if (e.client.region !== undefined) s.regions.touch(e.client.region, ctx.now);
    if (ctx.agentFamily !== undefined) s.agents.touch(ctx.agentFamily, ctx.now);
    s.actions.touch(e.action, ctx.now);
  },
};
