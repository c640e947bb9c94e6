import type { Severity } from '../model/severity.js';
import { type GraphEdgeRow, type GraphNodeRow, isLongLived, type LeakProps } from './graph.js';
import type { CredentialProfile, CredentialSource, ExposureStatus, Grant, IdentityProfile, LeakLocation } from './profile.js';

/*
 * From graph rows to profiles: the one place that reads the graph's shape and says what it means for
 * an identity and a credential. Pure: the store loads the rows, risk.ts and posture.ts read the result.
 */

/** An alert as the graph needs it: whom it is about and, for new-source alerts, where from. */
export interface AlertRef {
  uid: string;
  detectionId: string;
  severity: Severity;
  lastSeen: number;
  /** `identity:<id>`. */
  identity: string;
  /** `credential:<join key>` when the alert names a credential. */
  credential?: string | undefined;
  /** Sources (graph node ids: `network:<ip>`, `workload:<name>`) the alert's evidence came from. */
  sources: string[];
}

/** The rows profiles are built from. Nodes of kinds other than identity, credential, repository and owner are not needed. */
export interface GraphSnapshot {
  nodes: Iterable<GraphNodeRow>;
  edges: Iterable<GraphEdgeRow>;
  alerts: Iterable<AlertRef>;
}

export interface Profiles {
  identities: IdentityProfile[];
  /** Every credential node, leaked or not. */
  credentials: CredentialProfile[];
  /** Credential id → the identity that uses it most (its owner), when a log tied it to one. */
  ownerOf: Map<string, string>;
  /** IaC identity ids resolved to the identity the logs name (`arn:aws:iam::*:role/x` → `arn:aws:iam::1:role/x`). */
  aliases: Map<string, string>;
}

const WILDCARD_ACCOUNT = /^identity:arn:aws:iam::\*:((?:role|user)\/.+)$/;
const REAL_ACCOUNT = /^identity:arn:aws:iam::\d+:((?:role|user)\/.+)$/;

/**
 * Resolves IaC identities written without an account (`arn:aws:iam::*:role/deploy`) to the one
 * identity of that name the logs named, when exactly one did.
 */
export function resolveAliases(identityIds: Iterable<string>): Map<string, string> {
  const real = new Map<string, string[]>();
  const wild: Array<[string, string]> = [];
  for (const id of identityIds) {
    const w = WILDCARD_ACCOUNT.exec(id);
    if (w) wild.push([id, w[1]!]);
    const r = REAL_ACCOUNT.exec(id);
    if (r) {
      const list = real.get(r[1]!);
      if (list) list.push(id);
      else real.set(r[1]!, [id]);
    }
  }
  const out = new Map<string, string>();
  for (const [id, suffix] of wild) {
    const matches = real.get(suffix);
    if (matches?.length === 1) out.set(id, matches[0]!);
  }
  return out;
}

/** Exposure of a credential from its leaks, uses and revocation; see the status list in profile.ts. */
export function exposureStatus(
  leaks: readonly Pick<LeakLocation, 'exposedAt'>[],
  sources: readonly CredentialSource[],
  revokedAt: number | undefined,
): ExposureStatus {
  if (leaks.length === 0) return 'not-leaked';
  if (revokedAt !== undefined) return 'leaked-revoked';
  if (sources.length === 0) return 'leaked-never-seen';
  return sources.some((s) => s.unknown) ? 'leaked-in-use-unknown-source' : 'leaked-in-use-by-owner';
}

/**
 * The network a source belongs to, for telling an owner's new address from a stranger's: the /24
 * of an IPv4 address, the /64 of an IPv6 one, a workload as itself.
 */
export function networkOf(source: string): string {
  if (!source.startsWith('network:')) return source;
  const ip = source.slice(8);
  const v4 = /^(\d{1,3}\.\d{1,3}\.\d{1,3})\.\d{1,3}$/.exec(ip);
  if (v4) return `network:${v4[1]}.0/24`;
  if (ip.includes(':')) return `network:${ip.split(':').slice(0, 4).join(':')}::/64`;
  return source;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/**
 * Builds every identity's and credential's profile from the graph rows.
 * @example const { identities } = assembleProfiles({ nodes, edges, alerts });
 */
export function assembleProfiles(snapshot: GraphSnapshot): Profiles {
  const identities = new Map<string, GraphNodeRow>();
  const credentials = new Map<string, GraphNodeRow>();
  const repositories = new Map<string, GraphNodeRow>();
  const labels = new Map<string, string>();
  for (const n of snapshot.nodes) {
    if (n.kind === 'identity') identities.set(n.id, n);
    else if (n.kind === 'credential') credentials.set(n.id, n);
    else if (n.kind === 'repository') repositories.set(n.id, n);
    else if (n.kind === 'owner') labels.set(n.id, n.label);
  }
  const aliases = resolveAliases(identities.keys());
  // A manifest's match names one identity several ways: its other names fold into the first.
  for (const [id, n] of identities) {
    const to = n.props.aliasOf;
    if (typeof to === 'string' && to !== id && identities.has(to) && !aliases.has(id)) aliases.set(id, aliases.get(to) ?? to);
  }
  const canon = (id: string) => aliases.get(id) ?? id;

  const out = new Map<string, (GraphEdgeRow & { src: string; dst: string })[]>();
  const byKind = (kind: string) => out.get(kind) ?? [];
  for (const e0 of snapshot.edges) {
    const e = aliases.size === 0 ? e0 : { ...e0, src: canon(e0.src), dst: canon(e0.dst) };
    push(out, e.kind, e);
  }

  // Alerts by identity and by credential; new-source alerts also name unknown sources.
  const alertsOf = new Map<string, AlertRef[]>();
  const newSources = new Map<string, Set<string>>();
  for (const a of snapshot.alerts) {
    push(alertsOf, canon(a.identity), a);
    if (a.credential !== undefined) {
      push(alertsOf, a.credential, a);
      if (a.detectionId === 'runtime.credential.new-source') {
        const set = newSources.get(a.credential) ?? new Set<string>();
        for (const s of a.sources) set.add(s);
        newSources.set(a.credential, set);
      }
    }
  }

  // Credentials: leaks, sources, exposure.
  // Leaks: finding —found-in→ repository carries the location; finding —detected→ credential says whose.
  const foundIn = new Map<string, GraphEdgeRow>();
  for (const e of byKind('found-in')) foundIn.set(e.src, e);
  const leaksOf = new Map<string, LeakLocation[]>();
  for (const d of byKind('detected')) {
    const e = foundIn.get(d.src);
    if (e === undefined) continue;
    const p = e.props as unknown as LeakProps;
    const repo = repositories.get(e.dst);
    const visibility = repo?.props.visibility;
    push(leaksOf, d.dst, {
      repository: repo?.label ?? e.dst.slice(11),
      visibility: visibility === 'public' || visibility === 'private' ? visibility : 'unknown',
      path: String(p.path),
      line: Number(p.line),
      commit: typeof p.commit === 'string' ? p.commit : undefined,
      historyOnly: false,
      exposedAt: num(p.exposedAt) ?? e.firstSeen,
      findingId: String(p.findingId ?? ''),
      ruleId: String(p.ruleId ?? ''),
      severity: (p.severity as Severity | undefined) ?? 'high',
    });
  }
  for (const [cred, leaks] of leaksOf) {
    // History only: a git scan found it in a repository whose working tree was also scanned, without it.
    for (const l of leaks) {
      if (l.commit === undefined) continue;
      const repo = repositories.get(`repository:${l.repository}`);
      const inTree = leaks.some((o) => o.commit === undefined && o.repository === l.repository);
      l.historyOnly = repo?.props.treeScanned === true && !inTree;
    }
    leaksOf.set(cred, leaks);
  }
  const sourcesOf = new Map<string, CredentialSource[]>();
  for (const e of byKind('used')) {
    if (!e.src.startsWith('credential:')) continue;
    push(sourcesOf, e.src, { source: e.dst, firstSeen: e.firstSeen, lastSeen: e.lastSeen, count: e.count, unknown: false });
  }
  const credProfiles = new Map<string, CredentialProfile>();
  for (const [id, n] of credentials) {
    const leaks = leaksOf.get(id) ?? [];
    const sources = sourcesOf.get(id) ?? [];
    if (leaks.length > 0) {
      const exposedAt = Math.min(...leaks.map((l) => l.exposedAt));
      const flagged = newSources.get(id);
      const before = sources.filter((s) => s.firstSeen < exposedAt).map((s) => networkOf(s.source));
      for (const s of sources) {
        const confirmed = s.lastSeen >= exposedAt && flagged?.has(s.source) === true;
        const fresh = s.firstSeen >= exposedAt && !before.includes(networkOf(s.source));
        s.unknown = confirmed || fresh;
        if (confirmed) s.confirmed = true;
      }
    }
    const revokedAt = num(n.props.revokedAt);
    const issuedAt = num(n.props.issuedAt);
    const expiresAt = num(n.props.expiresAt);
    const key = id.slice(11);
    credProfiles.set(id, {
      id,
      label: n.label,
      type: typeof n.props.type === 'string' ? n.props.type : typeof n.props.provider === 'string' ? n.props.provider : undefined,
      firstSeen: n.firstSeen,
      lastSeen: n.lastSeen,
      issuedAt,
      expiresAt,
      revokedAt,
      leaks,
      sources,
      exposure: exposureStatus(leaks, sources, revokedAt),
      longLived: isLongLived(key, {
        found: n.props.found === true,
        ...(issuedAt !== undefined ? { issuedAt } : {}),
        ...(expiresAt !== undefined ? { expiresAt } : {}),
      }),
    });
  }

  // Credential owners: the identity that used it most.
  const credsOf = new Map<string, string[]>();
  const usersOf = new Map<string, GraphEdgeRow[]>();
  for (const e of byKind('credential-of')) push(usersOf, e.src, e);
  const ownerOf = new Map<string, string>();
  for (const [cred, edges] of usersOf) {
    const top = edges.reduce((a, b) => (b.count > a.count ? b : a));
    ownerOf.set(cred, top.dst);
    for (const e of edges) push(credsOf, e.dst, cred);
  }

  // Grants, policies, assumptions.
  const grantsOf = new Map<string, Grant[]>();
  for (const e of byKind('can-access')) {
    const actions = Array.isArray(e.props.actions) ? e.props.actions.map(String) : [];
    push(grantsOf, e.src, { resource: e.dst, actions, admin: e.props.admin === true, via: [] });
  }
  const policiesOf = new Map<string, string[]>();
  for (const e of byKind('has-policy')) push(policiesOf, e.src, e.dst);
  const assumesOf = new Map<string, string[]>();
  for (const e of byKind('assumes')) if (e.src !== e.dst) push(assumesOf, e.src, e.dst);
  const directGrants = (id: string, via: string[]): Grant[] => {
    const own = (grantsOf.get(id) ?? []).map((g) => ({ ...g, via }));
    for (const p of policiesOf.get(id) ?? []) for (const g of grantsOf.get(p) ?? []) own.push({ ...g, via: [...via, p] });
    return own;
  };

  const simple = (kind: string) => {
    const m = new Map<string, GraphEdgeRow[]>();
    for (const e of byKind(kind)) push(m, e.src, e);
    return m;
  };
  const performed = simple('performed');
  const used = new Map<string, GraphEdgeRow[]>();
  for (const e of byKind('used')) if (e.src.startsWith('identity:')) push(used, e.src, e);
  const actsIn = simple('acts-in');
  const humanUse = simple('human-use');
  const ownedBy = simple('owned-by');
  const declaredAccess = simple('declared-access');
  const workloadsOf = new Map<string, string[]>();
  for (const e of byKind('runs-as')) push(workloadsOf, e.dst, e.src);
  const userIdentity = (id: string) => identities.get(id)?.props.type === 'user';

  const profiles: IdentityProfile[] = [];
  for (const [id, n] of identities) {
    if (aliases.has(id)) continue; // folded into the identity the logs name
    const acts = performed.get(id) ?? [];
    const lastActive = acts.length > 0 ? Math.max(...acts.map((e) => e.lastSeen)) : undefined;

    // Assume chains, breadth first, with the path kept for the grants' `via`.
    const derivable: string[] = [];
    const grants = directGrants(id, []);
    const seen = new Set([id]);
    let frontier: Array<[string, string[]]> = [[id, []]];
    for (let depth = 0; depth < 8 && frontier.length > 0; depth++) {
      const next: Array<[string, string[]]> = [];
      for (const [from, path] of frontier) {
        for (const to of assumesOf.get(from) ?? []) {
          if (seen.has(to)) continue;
          seen.add(to);
          derivable.push(to);
          const via = [...path, to];
          grants.push(...directGrants(to, via));
          next.push([to, via]);
        }
      }
      frontier = next;
    }
    // No IaC, IAM, RBAC or Vault grant imported: what the manifest allows is the best account of its privilege.
    if (grants.length === 0) {
      for (const e of declaredAccess.get(id) ?? []) {
        const actions = Array.isArray(e.props.actions) ? e.props.actions.map(String) : [];
        const admin = e.dst === 'resource:*' && actions.some((a) => a === '*' || /^iam:\*$/i.test(a));
        grants.push({ resource: e.dst, actions, admin, via: [`manifest ${String(e.props.manifest ?? '')}`] });
      }
    }
    const usedRows = used.get(id) ?? [];
    const reachable = new Set(grants.map((g) => g.resource));
    for (const u of usedRows) reachable.add(u.dst);

    const creds = (credsOf.get(id) ?? []).map((c) => credProfiles.get(c)).filter((c): c is CredentialProfile => c !== undefined);
    const alerts = [...(alertsOf.get(id) ?? [])];
    for (const c of creds) for (const a of alertsOf.get(c.id) ?? []) if (!alerts.includes(a)) alerts.push(a);
    const human: string[] = (humanUse.get(id) ?? []).map(
      (e) =>
        `${e.dst.replace(/^(network|workload):/, '')}${e.props.userAgent ? ` (${String(e.props.userAgent).slice(0, 60)})` : ''}`,
    );
    if (!userIdentity(id)) {
      for (const c of creds) {
        for (const e of usersOf.get(c.id) ?? [])
          if (e.dst !== id && userIdentity(e.dst)) human.push(`${e.dst.slice(9)} used ${c.label}`);
      }
    }

    profiles.push({
      id,
      label: n.label,
      type: typeof n.props.type === 'string' ? n.props.type : 'unknown',
      firstSeen: n.firstSeen,
      lastSeen: n.lastSeen,
      lastActive,
      owners: [
        ...new Set(
          [id, ...(workloadsOf.get(id) ?? [])].flatMap((x) =>
            (ownedBy.get(x) ?? []).map((e) => labels.get(e.dst) ?? e.dst.slice(6)),
          ),
        ),
      ].sort(),
      workloads: [...new Set(workloadsOf.get(id) ?? [])].sort(),
      environments: (actsIn.get(id) ?? []).map((e) => e.dst.slice(12)).sort(),
      credentials: creds,
      grants,
      actions: acts.map((e) => ({ action: e.dst.slice(7), count: e.count, lastSeen: e.lastSeen })),
      used: usedRows.map((e) => ({ resource: e.dst, count: e.count, lastSeen: e.lastSeen })),
      assumes: [...new Set(assumesOf.get(id) ?? [])],
      derivable,
      reachable: [...reachable].sort(),
      alerts: alerts.map((a) => ({ uid: a.uid, detectionId: a.detectionId, severity: a.severity, lastSeen: a.lastSeen })),
      humanUse: human,
    });
  }
  return { identities: profiles, credentials: [...credProfiles.values()], ownerOf, aliases };
}
