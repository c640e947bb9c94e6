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
  /** True when the walk stopped at `maxNodes` or `maxDepth` with more to see. */
  truncated: boolean;
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
  const result: BlastRadius = { start, resources: [], identities: [], credentials: [], truncated: false };
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
