import type { Detection } from '../../detection.js';
import { isAnonymous } from '../../features.js';
import { Recent } from '../../state.js';
import { loadMeta } from '../meta.js';

const FOLDER = 'shared-credential';

const WINDOW_MS = 10 * 60_000;

/**
 * 9. A shared or stolen credential: one credential presented by two identities; a workload-bound
 * token (Kubernetes JTI) presented from a workload other than the one it was issued to; or one identity
 * active from more networks at once than it has ever been.
 */
/** Networks the identity was active from lately, and the most it was ever active from at once. */
export class SpreadSlice {
  recentNets = new Recent(64);
  netsAtOncePeak = 0;
  /** Counts of networks at once waiting one window before they may raise the peak. */
  netsPending: Array<[number, number]> = [];
}

/**
 * Empty sets shared by every credential until it writes to one: tens of thousands of short-lived
 * credentials (STS sessions, Vault tokens, pod tokens) never need all three of their sets, and three
 * Maps each cost more than the rest of the credential.
 */
const NO_IDENTITIES = new Recent(8);
const NO_WORKLOADS = new Recent(32);
const NO_ADDRESSES = new Recent(8);

/** Who presents a credential: identities, and for workload-bound tokens (Kubernetes JTI) pods and their addresses. */
export class HoldersSlice {
  identities: Recent = NO_IDENTITIES;
  workloads: Recent = NO_WORKLOADS;
  /** Source addresses, exactly: a workload-bound token comes from one pod address. */
  addresses: Recent = NO_ADDRESSES;

  /** The credential's own set for writing, made on first write (reads of the shared empty ones are fine). */
  own(field: 'identities' | 'workloads' | 'addresses'): Recent {
    const current = this[field];
    if (current !== NO_IDENTITIES && current !== NO_WORKLOADS && current !== NO_ADDRESSES) return current;
    const fresh = new Recent(current.cap);
    this[field] = fresh;
    return fresh;
  }
}

export const sharedCredential: Detection<SpreadSlice, HoldersSlice> = {
  meta: loadMeta(FOLDER),
  identitySlice: () => new SpreadSlice(),
  credentialSlice: () => new HoldersSlice(),
  evaluate(e, ctx, mine, c) {
    if (!ctx.nonHuman || e.outcome === 'failure') return undefined;
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
    const recent = mine.recentNets;
    if ((recent.get(ctx.net) ?? 0) >= since) return undefined;
    const nets = [...recent.keys()].filter((n) => (recent.get(n) ?? 0) >= since);
    nets.push(ctx.net);
    const threshold = Math.max(ctx.config.networksAtOnce, mine.netsAtOncePeak * 2);
    if (nets.length !== threshold) return undefined;
    return {
      severity: 'high',
      message: `${e.identity.name ?? e.identity.id} was active from ${nets.length} networks within ten minutes (never more than ${mine.netsAtOncePeak} before).`,
      anomaly: {
        parameter: 'networks per 10 minutes',
        pattern: 'SURGE',
        observed: nets.slice(0, 10),
        expected: [`at most ${mine.netsAtOncePeak}`],
      },
    };
  },
  learn(e, ctx, s, c) {
    const now = ctx.now;
    const net = ctx.net;
    if (net !== undefined) {
      s.recentNets.touch(net, now);
      // How many networks at once is normal is committed one window late, so a burst that is
      // happening now never raises its own bar.
      const active = s.recentNets.countSince(now - WINDOW_MS);
      if (active > s.netsAtOncePeak) s.netsPending.push([now, active]);
      while (s.netsPending.length > 0 && s.netsPending[0]![0] < now - WINDOW_MS) {
        const [, n] = s.netsPending.shift()!;
        if (n > s.netsAtOncePeak) s.netsAtOncePeak = n;
      }
      if (s.netsPending.length > 64) s.netsPending.splice(0, s.netsPending.length - 64);
    }
    // Issuance events name the issuer (an STS caller, an OIDC subject) next to the key they issue:
    // only presenting a credential says who holds it.
    if (c === undefined || e.credential?.lifecycle !== 'used') return;
    if (!isAnonymous(e.identity)) c.own('identities').touch(e.identity.id, now);
    // Workloads and addresses matter for workload-bound tokens only.
    if (e.credential.type === 'k8s-token') {
      if (e.client.workload !== undefined) c.own('workloads').touch(e.client.workload, now);
      if (e.client.ip !== undefined) c.own('addresses').touch(e.client.ip, now);
    }
  },
};
