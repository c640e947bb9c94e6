import type { DetectConfig } from '../model/config.js';
import type { IdentityEvent } from '../model/identity-event.js';
import type { Severity } from '../model/severity.js';
import { compileGlob, type GlobTest, inCidr } from './features.js';

/**
 * Novelty judged by what comes with it. A credential seen from a new network or region is ordinary
 * change far more often than compromise (runner pools move, applications roll out to new regions);
 * what tells them apart is everything else about the use: who else moved with it, whether the client
 * is the usual one, whether the identity suddenly does new things, reads secrets or fails.
 */

/** What can come with a novelty, each raising its severity. */
export type NoveltySignal =
  | 'new-client' // a user-agent family the identity never used
  | 'hosting-network' // an address in a configured hosting/anonymiser range
  | 'new-actions' // actions the identity never performed
  | 'recon' // first-ever discovery calls (whoami, List*, Describe*)
  | 'secret-read' // reads of secrets during the episode
  | 'failures'; // denied or failed calls during the episode

const WEIGHT: Record<NoveltySignal, number> = {
  'new-client': 2,
  'hosting-network': 2,
  'new-actions': 1,
  recon: 2,
  'secret-read': 1,
  failures: 1,
};

const DESCRIBE: Record<NoveltySignal, string> = {
  'new-client': 'a client family it never used',
  'hosting-network': 'an address in a hosting or anonymiser range',
  'new-actions': 'actions it never performed',
  recon: 'first-ever discovery calls',
  'secret-read': 'reads of secrets it never read',
  failures: 'more failed or denied calls than its usual runs',
};

/** Discovery calls an intruder makes first with a stolen credential. */
const RECON = /(?:GetCallerIdentity|:List[A-Z]|:Describe[A-Z]|:GetAccountAuthorizationDetails|:Get(?:User|Role)Policy|whoami)/;

/** One open novelty: what was new, what came with it so far. */
export interface Novelty {
  /** What was new, as fleet keys: `net:198.51.100.0/24`, `region:eu-north-1`. */
  keys: string[];
  /** The new network is public (someone else's network, unless the estate's own egress moved). */
  publicNet: boolean;
  signals: Set<NoveltySignal>;
  /** The networks the identity used before: identities that shared one moved together. */
  priorNets: string[];
  /** Failed calls from the new source so far (a signal only past the identity's usual run of failures). */
  failures?: number;
}

/**
 * The severity of a novelty from its evidence: a new public network starts at medium, a new region
 * reached from private addresses at low; each signal adds its weight; four points or more is high.
 * A private-address source in a new region with the usual client stays low.
 * @example noveltySeverity({ keys: ['region:us-west-2'], publicNet: false, signals: new Set(), priorNets: [] }) // 'low'
 */
export function noveltySeverity(n: Novelty): Severity {
  let score = n.publicNet ? 2 : 1;
  for (const s of n.signals) score += WEIGHT[s];
  return score >= 4 ? 'high' : score >= 2 ? 'medium' : 'low';
}

/** The signals as a responder reads them (OCSF anomaly_analyses). */
export function describeSignals(n: Novelty): string[] {
  const base = n.publicNet ? 'a public network it never used' : 'private addresses in a new region or range';
  return [base, ...[...n.signals].sort().map((s) => DESCRIBE[s])];
}

/** A novelty with nothing else changed: the shape of an infrastructure change. */
export function isQuiet(n: Novelty): boolean {
  return n.signals.size === 0;
}

/**
 * What one more event of an identity with an open novelty adds to it. Reads the identity's state as it
 * was before the event (the caller learns afterwards).
 */
export function noteSignals(
  n: Novelty,
  e: IdentityEvent,
  known: {
    actions: { has(k: string): boolean; size: number };
    agents: { has(k: string): boolean; size: number };
    resources: { has(k: string): boolean };
    failBurstPeak: number;
  },
  family: string | undefined,
  resource: string | undefined,
  hosting: readonly string[],
): void {
  // Failures an identity has in its ordinary runs (a flaky deploy) say nothing; more than that do.
  if (e.outcome === 'failure') {
    n.failures = (n.failures ?? 0) + 1;
    if (n.failures > Math.max(1, known.failBurstPeak)) n.signals.add('failures');
  }
  // Reading the secrets it always reads is its job; a secret it never read is not.
  if (e.tags.includes('secret.read') && (resource === undefined || !known.resources.has(resource))) n.signals.add('secret-read');
  if (family !== undefined && known.agents.size > 0 && !known.agents.has(family)) n.signals.add('new-client');
  if (known.actions.size > 0 && !known.actions.has(e.action)) {
    n.signals.add('new-actions');
    if (RECON.test(e.action)) n.signals.add('recon');
  }
  if (e.client.ip !== undefined && hosting.some((cidr) => inCidr(e.client.ip!, cidr))) n.signals.add('hosting-network');
}

type Change = DetectConfig['changes'][number];

/** A declared change compiled for matching. */
export interface CompiledChange {
  from: number;
  to: number;
  identities: GlobTest[] | undefined;
  owner: string | undefined;
  networks: string[] | undefined;
  regions: string[] | undefined;
  reason: string;
}

export function compileChanges(changes: readonly Change[]): CompiledChange[] {
  return changes.map((c) => ({
    from: Date.parse(c.from),
    to: Date.parse(c.to),
    identities: c.identities?.map(compileGlob),
    owner: c.owner,
    networks: c.networks,
    regions: c.regions,
    reason: c.reason,
  }));
}

/**
 * The declared change that covers a novelty, if any: in its time, for its identity (by id, name or
 * owner), and every new thing inside what the change declares (its networks and regions; a change
 * that declares neither covers any new source of its identities).
 */
export function declaredChange(
  changes: readonly CompiledChange[],
  n: Novelty,
  identity: IdentityEvent['identity'],
  at: number,
  ownerOf: ((identityId: string) => string | undefined) | undefined,
  nameOf?: ((identityId: string) => string | undefined) | undefined,
): CompiledChange | undefined {
  let declaredName: string | undefined | null = null;
  return changes.find((c) => {
    if (at < c.from || at > c.to) return false;
    const named =
      c.identities === undefined
        ? c.owner === undefined
        : c.identities.some((re) => {
            if (re.test(identity.id) || (identity.name !== undefined && re.test(identity.name))) return true;
            // The identity's name in the policy manifest (a change declared there names identities so).
            if (declaredName === null) declaredName = nameOf?.(identity.id);
            return declaredName !== undefined && re.test(declaredName);
          });
    const owned = c.owner !== undefined && ownerOf?.(identity.id) === c.owner;
    if (!named && !owned) return false;
    if (c.networks === undefined && c.regions === undefined) return true;
    return n.keys.every((k) => {
      if (k.startsWith('net:')) {
        const addr = k.slice(4).split('/')[0]!;
        return c.networks?.some((cidr) => inCidr(addr, cidr)) === true;
      }
      return c.regions?.includes(k.slice(7)) === true;
    });
  });
}
