import type { Detection } from '../detection.js';
import { isPrivateNetwork } from '../features.js';

/**
 * 1. A credential used from a network, region or client family this identity has never used.
 * Networks are remembered generalised (private /16, public /24), so pods moving inside a cluster
 * range or an STS session rotating never look new; a public address in a new /24 does.
 */
export const newSource: Detection = {
  meta: {
    id: 'runtime.credential.new-source',
    title: 'Credential used from a new source',
    description: 'An identity presented its credential from a network, cloud region or client it has never used before.',
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
    const newAgent = ctx.agentFamily !== undefined && s.agents.size > 0 && !s.agents.has(ctx.agentFamily);
    if (!newNet && !newRegion) return undefined;
    // A new private range is a new subnet of the same estate; a new public network is someone else.
    const publicNet = newNet && !isPrivateNetwork(ctx.net!);
    if (newNet && !publicNet && !newRegion) return undefined;
    const novelties = [
      publicNet && `network ${ctx.net}`,
      newRegion && `region ${region}`,
      newAgent && `client ${ctx.agentFamily}`,
    ].filter(Boolean) as string[];
    const severity = novelties.length >= 2 ? 'high' : 'medium';
    const parameter = publicNet ? 'source network' : 'region';
    return {
      severity,
      message: `${e.identity.name ?? e.identity.id} used its credential from a new ${novelties.join(', ')}${e.client.ip ? ` (${e.client.ip})` : ''}.`,
      anomaly: {
        parameter,
        pattern: 'UNSEEN',
        observed: novelties,
        expected: publicNet ? [...s.nets.keys()].slice(0, 10) : [...s.regions.keys()].slice(0, 10),
      },
    };
  },
};
