import type { Detection } from '../../detection.js';
import { Latest, Recent } from '../../state.js';
import { loadMeta } from '../meta.js';

const FOLDER = 'agent-tool-chain';

/** A secret read followed by an outbound call within this long (same trace or session) is a chain. */
const CHAIN_MS = 15 * 60_000;

/**
 * 10. Anomalous agent tool chains: a secret-reading tool followed by an outbound call to a destination
 * the agent never reached (exfiltration shape, high); a tool the agent never used (medium); a tool
 * sequence never seen (low). Baselines are per agent identity.
 */
/** An agent's tools, tool sequences and destinations, the last tool of each chain, and its last secret read. */
export class AgentSlice {
  tools = new Recent(128);
  bigrams = new Recent(512);
  destinations = new Recent(128);
  /** The last tool per trace or session. */
  lastTool = new Latest(64);
  secretReadAt = 0;
  secretReadTrace = '';
}

export const agentToolChain: Detection<AgentSlice, undefined> = {
  meta: loadMeta(FOLDER),
  identitySlice: () => new AgentSlice(),
  evaluate(e, ctx, s) {
    const tool = e.agent?.tool;
    if (tool === undefined) return undefined;
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
  learn(e, ctx, s) {
    const now = ctx.now;
    const tool = e.agent?.tool;
    if (tool !== undefined) {
      const chain = e.agent?.traceId ?? e.identity.session ?? '';
      const prev = s.lastTool.get(chain);
      if (prev !== undefined) s.bigrams.touch(`${prev}>${tool}`, now);
      s.tools.touch(tool, now);
      s.lastTool.set(chain, tool);
      if (e.tags.includes('secret.read')) {
        s.secretReadAt = now;
        s.secretReadTrace = chain;
      }
    }
    if (e.agent?.destination !== undefined) s.destinations.touch(e.agent.destination, now);
  },
};
