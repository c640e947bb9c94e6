import type { Detection } from '../detection.js';
import { isAnonymous } from '../features.js';

const WINDOW_MS = 10 * 60_000;

/**
 * 9. A shared or stolen credential: one credential presented by two identities; a workload-bound
 * token (Kubernetes JTI) presented from a workload other than the one it was issued to; or one identity
 * active from more networks at once than it has ever been.
 */
export const sharedCredential: Detection = {
  meta: {
    id: 'runtime.credential.shared',
    title: 'Credential shared or used from many places at once',
    description: 'One credential was used by two identities or workloads, or one identity from many networks at once.',
    severity: 'high',
    type: 'behavioral',
    per: 'identity',
    attacks: [
      { id: 'T1550.001', name: 'Use Alternate Authentication Material: Application Access Token', tactic: 'Lateral Movement' },
    ],
    frameworks: ['owasp-nhi/NHI9:2025', 'owasp-nhi/NHI2:2025', 'nist-csf-2/DE.CM-09', 'nist-csf-2/DE.AE-03'],
  },
  evaluate(e, ctx) {
    if (!ctx.nonHuman || e.outcome === 'failure') return undefined;
    const c = ctx.credential;
    if (c !== undefined && e.credential !== undefined && e.credential.lifecycle === 'used') {
      const others = [...c.identities.keys()].filter((id) => id !== e.identity.id);
      // Identity-less events (anonymous, unknown) carry no claim about who holds the credential.
      if (others.length > 0 && !isAnonymous(e.identity)) {
        return {
          severity: 'high',
          message: `One credential (${e.credential.type}) is presented by ${e.identity.id} and by ${others.slice(0, 3).join(', ')}.`,
          anomaly: {
            parameter: 'identities per credential',
            pattern: 'UNSEEN',
            observed: [e.identity.id],
            expected: others.slice(0, 5),
          },
        };
      }
      // A projected service-account token belongs to one pod. Its claims name that pod even when
      // someone else presents it, so the other tell is the source address (a pod keeps its IP).
      const w = e.client.workload;
      const ip = e.client.ip;
      if (e.credential.type === 'k8s-token') {
        if (w !== undefined && c.workloads.size > 0 && !c.workloads.has(w)) {
          return {
            severity: 'high',
            message: `A token issued to pod ${[...c.workloads.keys()][0]} is presented from pod ${w}: a service-account token left its workload.`,
            anomaly: { parameter: 'workload', pattern: 'UNSEEN', observed: [w], expected: [...c.workloads.keys()].slice(0, 5) },
          };
        }
        if (ip !== undefined && c.addresses.size > 0 && !c.addresses.has(ip)) {
          return {
            severity: 'high',
            message: `A service-account token of ${w ?? 'a pod'} is presented from ${ip}, not from the pod's own address ${[...c.addresses.keys()][0]}.`,
            anomaly: {
              parameter: 'source address',
              pattern: 'UNSEEN',
              observed: [ip],
              expected: [...c.addresses.keys()].slice(0, 5),
            },
          };
        }
      }
    }
    if (!ctx.warm || ctx.net === undefined) return undefined;
    const since = ctx.now - WINDOW_MS;
    const recent = ctx.identity.recentNets;
    if ((recent.get(ctx.net) ?? 0) >= since) return undefined;
    const nets = [...recent.keys()].filter((n) => (recent.get(n) ?? 0) >= since);
    nets.push(ctx.net);
    const threshold = Math.max(ctx.config.networksAtOnce, ctx.identity.netsAtOncePeak * 2);
    if (nets.length !== threshold) return undefined;
    return {
      severity: 'high',
      message: `${e.identity.name ?? e.identity.id} was active from ${nets.length} networks within ten minutes (never more than ${ctx.identity.netsAtOncePeak} before).`,
      anomaly: {
        parameter: 'networks per 10 minutes',
        pattern: 'SURGE',
        observed: nets.slice(0, 10),
        expected: [`at most ${ctx.identity.netsAtOncePeak}`],
      },
    };
  },
};
