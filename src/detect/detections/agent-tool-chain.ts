import type { Detection } from '../detection.js';

/** A secret read followed by an outbound call within this long (same trace or session) is a chain. */
const CHAIN_MS = 15 * 60_000;

/**
 * 10. Anomalous agent tool chains: a secret-reading tool followed by an outbound call to a destination
 * the agent never reached (exfiltration shape, high); a tool the agent never used (medium); a tool
 * sequence never seen (low). Baselines are per agent identity.
 */
export const agentToolChain: Detection = {
  meta: {
    id: 'runtime.agent.anomalous-tool-chain',
    title: 'Anomalous agent tool chain',
    description:
      'An AI agent used a tool or a sequence of tools it never used, or read a secret and then called out to a new destination.',
    severity: 'medium',
    type: 'behavioral',
    per: 'identity',
    attacks: [{ id: 'T1567', name: 'Exfiltration Over Web Service', tactic: 'Exfiltration' }],
    frameworks: [
      'owasp-asi/ASI02',
      'owasp-asi/ASI03',
      'owasp-asi/ASI10',
      'csa-maestro/L3',
      'nist-ai-rmf/MEASURE 2.4',
      'nist-ai-rmf/MANAGE 2.4',
      'nist-csf-2/DE.CM-09',
    ],
  },
  evaluate(e, ctx) {
    const tool = e.agent?.tool;
    if (tool === undefined) return undefined;
    const s = ctx.identity;
    const chainKey = e.agent?.traceId ?? e.identity.session ?? '';
    const dest = e.agent?.destination;
    if (
      ctx.warm &&
      dest !== undefined &&
      !s.destinations.has(dest) &&
      s.secretReadAt > 0 &&
      ctx.now - s.secretReadAt <= CHAIN_MS
    ) {
      const sameChain = s.secretReadTrace === '' || s.secretReadTrace === chainKey;
      if (sameChain) {
        return {
          severity: 'high',
          message: `Agent ${e.identity.name ?? e.identity.id} read a secret and then called ${tool} towards ${dest}, a destination it never reached before.`,
          anomaly: {
            parameter: 'tool destination after secret read',
            pattern: 'UNSEEN',
            observed: [dest],
            expected: [...s.destinations.keys()].slice(0, 10),
          },
        };
      }
    }
    if (!ctx.warm || s.tools.size === 0) return undefined;
    if (!s.tools.has(tool)) {
      return {
        severity: e.tags.includes('secret.read') ? 'high' : 'medium',
        message: `Agent ${e.identity.name ?? e.identity.id} called a tool it has never used: ${tool}.`,
        anomaly: { parameter: 'tool', pattern: 'UNSEEN', observed: [tool], expected: [...s.tools.keys()].slice(0, 15) },
      };
    }
    const prev = s.lastTool.get(chainKey);
    if (prev !== undefined && !s.bigrams.has(`${prev}>${tool}`) && s.bigrams.size >= 5) {
      return {
        severity: 'low',
        message: `Agent ${e.identity.name ?? e.identity.id} called ${tool} after ${prev}, a sequence it has never followed.`,
        anomaly: {
          parameter: 'tool sequence',
          pattern: 'UNSEEN',
          observed: [`${prev} → ${tool}`],
          expected: [...s.bigrams.keys()].slice(0, 10),
        },
      };
    }
    return undefined;
  },
};
