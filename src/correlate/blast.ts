import type { GraphEdgeRow } from './graph.js';

/*
 * Blast radius: what a credential, identity or workload can reach, walking the graph from it.
 * - credential → the identity it belongs to (credential-of)
 * - workload → the identity it runs as (runs-as), and every credential of that identity: what the
 *   workload can obtain
 * - identity → the identities it can assume (assumes, transitively: "derivable"), its policies
 *   (has-policy), the resources it is granted (can-access) and those it was seen using (used)
 * - policy → the resources it grants
 * Each reached node keeps one shortest path from the start, as the edges walked.
 */

/** One hop: the edge walked and whether it was walked against its direction. */
export interface BlastStep {
  kind: string;
  from: string;
  to: string;
  /** Edge props worth showing (actions, admin). */
  props?: Record<string, unknown> | undefined;
}

export interface BlastNode {
  id: string;
  kind: 'identity' | 'credential' | 'resource' | 'policy' | 'workload';
  depth: number;
  /** Granted (can-access), only observed (used), or both; for resources. */
  access?: 'granted' | 'observed' | 'granted+observed' | undefined;
  /** Actions granted on the resource along the path, wildcards kept. */
  actions?: string[] | undefined;
  admin?: boolean | undefined;
  path: BlastStep[];
}

export interface BlastRadius {
  start: string;
  /** Resources reachable. */
  resources: BlastNode[];
  /** Identities derivable (assumed or run as). */
  identities: BlastNode[];
  /** Credentials obtainable (for a workload or identity: every credential of the identities reached). */
  credentials: BlastNode[];
  /** Resources grouped by what holds them (bucket, secret mount, namespace), most first. */
  containers: ContainerGroup[];
  /** True when the walk stopped at `maxNodes` or `maxDepth` with more to see. */
  truncated: boolean;
}

/** Resources of one container: an S3 bucket, a Vault mount, a Kubernetes namespace, an ARN's resource type. */
export interface ContainerGroup {
  container: string;
  count: number;
  admin: boolean;
  access: Array<NonNullable<BlastNode['access']>>;
  /** Actions granted on any of them (wildcards kept), at most 12. */
  actions: string[];
  /** The first few resource ids, for a person to recognise. */
  examples: string[];
}

/**
 * What holds a resource, so 203 objects of one bucket read as one line:
 * `arn:aws:s3:::bucket/key` → the bucket, `vault:secret/data/app/db` → the mount `vault:secret/`,
 * `k8s:prod/secrets/db` → the namespace `k8s:prod`, another ARN → its service, account and resource type,
 * anything else → everything before its last `/`.
 * @example containerOf('resource:arn:aws:s3:::acme-artifacts/app.zip') // 'arn:aws:s3:::acme-artifacts'
 */
export function containerOf(resourceId: string): string {
  const id = resourceId.startsWith('resource:') ? resourceId.slice(9) : resourceId;
  if (id === '*') return '*';
  const s3 = /^(arn:[^:]+:s3:::[^/]+)(\/.*)?$/.exec(id);
  if (s3) return s3[1]!;
  if (id.startsWith('arn:')) {
    const parts = id.split(':');
    const rest = parts.slice(5).join(':');
    const type = rest.split(/[/:]/)[0] ?? '';
    return `${parts.slice(0, 5).join(':')}:${type}`;
  }
  if (id.startsWith('vault:')) return `vault:${id.slice(6).split('/')[0]}/`;
  if (id.startsWith('k8s:')) return `k8s:${id.slice(4).split('/')[0]}`;
  const slash = id.lastIndexOf('/');
  return slash > 0 ? id.slice(0, slash) : id;
}

/** Groups resources by container, most resources (then admin) first. */
export function groupByContainer(resources: readonly BlastNode[]): ContainerGroup[] {
  const groups = new Map<string, ContainerGroup>();
  for (const r of resources) {
    const key = containerOf(r.id);
    let g = groups.get(key);
    if (g === undefined) {
      g = { container: key, count: 0, admin: false, access: [], actions: [], examples: [] };
      groups.set(key, g);
    }
    g.count++;
    if (r.admin) g.admin = true;
    if (r.access && !g.access.includes(r.access)) g.access.push(r.access);
    for (const a of r.actions ?? []) if (g.actions.length < 12 && !g.actions.includes(a)) g.actions.push(a);
    if (g.examples.length < 3) g.examples.push(r.id.slice(9));
  }
  return [...groups.values()].sort(
    (a, b) => Number(b.admin) - Number(a.admin) || b.count - a.count || (a.container < b.container ? -1 : 1),
  );
}

/** The part of a node id after its kind: `identity:arn:…:user/x` and `resource:arn:…:user/x` name one thing. */
function nameOf(id: string): string {
  return id.slice(id.indexOf(':') + 1);
}

/** Reads the edges leaving (`out`) or arriving at (`in`) a node, of the given kinds. */
export type EdgeReader = (node: string, direction: 'out' | 'in', kinds: readonly string[]) => Promise<GraphEdgeRow[]>;

const OUT_KINDS: Record<string, readonly string[]> = {
  credential: ['credential-of'],
  workload: ['runs-as'],
  identity: ['assumes', 'has-policy', 'can-access', 'used'],
  policy: ['can-access'],
};

function kindOf(id: string): BlastNode['kind'] | undefined {
  const k = id.slice(0, id.indexOf(':'));
  return k === 'identity' || k === 'credential' || k === 'resource' || k === 'policy' || k === 'workload' ? k : undefined;
}

/**
 * Walks breadth first from `start` (a graph node id) and returns what it reaches, with paths.
 * `aliasesOf` maps a node to the other ids the graph knows it by (an IaC role written without its
 * account), walked as the same node.
 * @example const radius = await blastRadius('credential:aws-key:AKIA…', readEdges);
 */
export async function blastRadius(
  start: string,
  readEdges: EdgeReader,
  options: { maxDepth?: number; maxNodes?: number; aliasesOf?: (id: string) => Promise<string[]> } = {},
): Promise<BlastRadius> {
  const maxDepth = options.maxDepth ?? 8;
  const maxNodes = options.maxNodes ?? 10_000;
  const result: BlastRadius = { start, resources: [], identities: [], credentials: [], containers: [], truncated: false };
  const reached = new Map<string, BlastNode>();
  let frontier: BlastNode[] = [{ id: start, kind: kindOf(start) ?? 'identity', depth: 0, path: [] }];
  reached.set(start, frontier[0]!);
  for (let depth = 0; frontier.length > 0; depth++) {
    if (depth >= maxDepth) {
      result.truncated = true;
      break;
    }
    const next: BlastNode[] = [];
    for (const node of frontier) {
      const kinds = OUT_KINDS[node.kind];
      if (kinds === undefined) continue;
      const ids = options.aliasesOf ? [node.id, ...(await options.aliasesOf(node.id))] : [node.id];
      const edges: GraphEdgeRow[] = [];
      for (const id of ids) edges.push(...(await readEdges(id, 'out', kinds)));
      // What an identity can obtain: every credential of it (walked backwards along credential-of).
      if (node.kind === 'identity') for (const id of ids) edges.push(...(await readEdges(id, 'in', ['credential-of'])));
      for (const e of edges) {
        const backwards = e.kind === 'credential-of' && node.kind === 'identity';
        const to = backwards ? e.src : e.dst;
        const kind = kindOf(to);
        if (kind === undefined) continue;
        // A path back to where it came from (an identity granted rights on itself, a role assuming
        // itself) says nothing about reach: drop it.
        if (nameOf(to) === nameOf(node.id) || node.path.some((p) => nameOf(p.from) === nameOf(to))) continue;
        const prev = reached.get(to);
        if (prev !== undefined) {
          // A resource both granted and used: say so, keep the first (shortest) path.
          if (prev.kind === 'resource' && prev.depth === depth + 1) mergeAccess(prev, e);
          continue;
        }
        if (reached.size >= maxNodes) {
          result.truncated = true;
          continue;
        }
        const step: BlastStep = { kind: e.kind, from: node.id, to };
        if (e.kind === 'can-access')
          step.props = { actions: e.props.actions, ...(e.props.admin === true ? { admin: true } : {}) };
        const child: BlastNode = { id: to, kind, depth: depth + 1, path: [...node.path, step] };
        if (kind === 'resource') mergeAccess(child, e);
        reached.set(to, child);
        next.push(child);
      }
    }
    frontier = next;
  }
  for (const n of reached.values()) {
    if (n.id === start) continue;
    if (n.kind === 'resource') result.resources.push(n);
    else if (n.kind === 'identity') result.identities.push(n);
    else if (n.kind === 'credential') result.credentials.push(n);
  }
  const order = (a: BlastNode, b: BlastNode) => a.depth - b.depth || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  result.resources.sort((a, b) => Number(b.admin === true) - Number(a.admin === true) || order(a, b));
  result.identities.sort(order);
  result.credentials.sort(order);
  result.containers = groupByContainer(result.resources);
  return result;
}

function mergeAccess(n: BlastNode, e: GraphEdgeRow): void {
  const how = e.kind === 'can-access' ? 'granted' : e.kind === 'used' ? 'observed' : undefined;
  if (how === undefined) return;
  n.access = n.access === undefined || n.access === how ? how : 'granted+observed';
  if (how === 'granted') {
    const actions = Array.isArray(e.props.actions) ? e.props.actions.map(String) : [];
    n.actions = [...new Set([...(n.actions ?? []), ...actions])].sort();
    if (e.props.admin === true) n.admin = true;
  }
}
