import { type Kysely, PostgresAdapter, sql } from 'kysely';
import type { GraphEdgeRow, GraphNodeRow } from '../correlate/graph.js';
import type { Database } from './schema.js';
import { queryable, type StoreTarget } from './store.js';

export type { GraphEdgeRow, GraphNodeRow } from '../correlate/graph.js';

/*
 * Rows per statement: an edge binds 7 variables, so 1,000 rows (7,000) stay far below SQLite's 32,766
 * and PostgreSQL's 65,535 bound variables.
 */
const BATCH = 1000;

/** A stored node, props parsed. */
export type GraphNode = GraphNodeRow;
/** A stored edge, props parsed. */
export type GraphEdge = GraphEdgeRow;

const UNSAFE_TEXT = /[\u0000]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text as both dialects store it: NUL and lone surrogates (which hostile logs carry and PostgreSQL
 * text and jsonb refuse) become U+FFFD. Ids, labels and every string inside props go through this.
 */
export function cleanText(s: string): string {
  UNSAFE_TEXT.lastIndex = 0;
  return UNSAFE_TEXT.test(s) ? s.replace(UNSAFE_TEXT, '\uFFFD') : s;
}

/** Props as JSON text, every string cleaned (see cleanText), so PostgreSQL's jsonb merge accepts it. */
function propsJson(props: Record<string, unknown>): string {
  return JSON.stringify(props, (_k, v: unknown) => (typeof v === 'string' ? cleanText(v) : v)) ?? '{}';
}

function edgeKey(e: { src: string; dst: string; kind: string }): string {
  return `${e.kind}\u0000${e.src}\u0000${e.dst}`;
}

/**
 * Folds rows with the same id into one (earliest first_seen, latest last_seen, the first row's label,
 * props merged): PostgreSQL refuses an INSERT … ON CONFLICT that touches the same row twice.
 */
function foldNodes(nodes: readonly GraphNodeRow[]): GraphNodeRow[] {
  const byId = new Map<string, GraphNodeRow>();
  for (const n of nodes) {
    const prev = byId.get(n.id);
    if (!prev) byId.set(n.id, { ...n });
    else {
      prev.props = { ...prev.props, ...n.props };
      prev.firstSeen = Math.min(prev.firstSeen, n.firstSeen);
      prev.lastSeen = Math.max(prev.lastSeen, n.lastSeen);
    }
  }
  // Key order: consecutive upserts touch neighbouring B-tree pages.
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Folds edges with the same (src, dst, kind): counts add up, times widen, the latest props win. */
function foldEdges(edges: readonly GraphEdgeRow[]): GraphEdgeRow[] {
  const byKey = new Map<string, GraphEdgeRow>();
  for (const e of edges) {
    const key = edgeKey(e);
    const prev = byKey.get(key);
    if (!prev) byKey.set(key, { ...e });
    else {
      prev.count += e.count;
      prev.firstSeen = Math.min(prev.firstSeen, e.firstSeen);
      if (e.lastSeen >= prev.lastSeen) {
        prev.lastSeen = e.lastSeen;
        prev.props = e.props;
      }
    }
  }
  // Primary-key order (src, dst, kind): consecutive upserts touch neighbouring B-tree pages.
  return [...byKey.values()].sort((a, b) =>
    a.src !== b.src
      ? a.src < b.src
        ? -1
        : 1
      : a.dst !== b.dst
        ? a.dst < b.dst
          ? -1
          : 1
        : a.kind < b.kind
          ? -1
          : a.kind > b.kind
            ? 1
            : 0,
  );
}

/** Whether a kysely instance (or transaction) talks to PostgreSQL. */
export function isPostgres(db: Kysely<Database>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * Upserts nodes in batches. A known node keeps its label, merges the incoming props over its own
 * (JSON merge: `json_patch` on SQLite, jsonb `||` on PostgreSQL) and widens its first/last seen
 * (CASE rather than min/max or least/greatest, which differ between the dialects). Pass a `trx` to
 * make it part of a larger transaction.
 * @example
 * await upsertGraphNodes(trx, [{ id: 'identity:arn:aws:iam::1:user/ci', kind: 'identity', label: 'ci', props: {}, firstSeen: t, lastSeen: t }]);
 */
export async function upsertGraphNodes(target: StoreTarget, nodes: readonly GraphNodeRow[]): Promise<void> {
  const db = queryable(target);
  const pg = isPostgres(db);
  const rows = foldNodes(nodes).map((n) => ({
    id: cleanText(n.id),
    kind: n.kind,
    label: cleanText(n.label),
    props: propsJson(n.props),
    first_seen: n.firstSeen,
    last_seen: n.lastSeen,
  }));
  for (let i = 0; i < rows.length; i += BATCH) {
    await db
      .insertInto('graph_nodes')
      .values(rows.slice(i, i + BATCH))
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          props: pg
            ? sql<string>`(graph_nodes.props::jsonb || excluded.props::jsonb)::text`
            : sql<string>`json_patch(graph_nodes.props, excluded.props)`,
          first_seen: eb
            .case()
            .when('excluded.first_seen', '<', eb.ref('graph_nodes.first_seen'))
            .then(eb.ref('excluded.first_seen'))
            .else(eb.ref('graph_nodes.first_seen'))
            .end(),
          last_seen: eb
            .case()
            .when('excluded.last_seen', '>', eb.ref('graph_nodes.last_seen'))
            .then(eb.ref('excluded.last_seen'))
            .else(eb.ref('graph_nodes.last_seen'))
            .end(),
        })),
      )
      .execute();
  }
}

/**
 * Upserts edges in batches: a known edge adds the incoming count, widens first/last seen and takes
 * the incoming props. Callers make re-imports idempotent with `claimImported`, not here.
 * @example
 * await upsertGraphEdges(trx, [{ src: 'identity:…', dst: 'resource:…', kind: 'used', props: {}, count: 3, firstSeen: a, lastSeen: b }]);
 */
export async function upsertGraphEdges(target: StoreTarget, edges: readonly GraphEdgeRow[]): Promise<void> {
  const db = queryable(target);
  const rows = foldEdges(edges).map((e) => ({
    src: cleanText(e.src),
    dst: cleanText(e.dst),
    kind: e.kind,
    props: propsJson(e.props),
    count: e.count,
    first_seen: e.firstSeen,
    last_seen: e.lastSeen,
  }));
  for (let i = 0; i < rows.length; i += BATCH) {
    await db
      .insertInto('graph_edges')
      .values(rows.slice(i, i + BATCH))
      .onConflict((oc) =>
        oc.columns(['src', 'dst', 'kind']).doUpdateSet((eb) => ({
          count: eb('graph_edges.count', '+', eb.ref('excluded.count')),
          props: eb.ref('excluded.props'),
          first_seen: eb
            .case()
            .when('excluded.first_seen', '<', eb.ref('graph_edges.first_seen'))
            .then(eb.ref('excluded.first_seen'))
            .else(eb.ref('graph_edges.first_seen'))
            .end(),
          last_seen: eb
            .case()
            .when('excluded.last_seen', '>', eb.ref('graph_edges.last_seen'))
            .then(eb.ref('excluded.last_seen'))
            .else(eb.ref('graph_edges.last_seen'))
            .end(),
        })),
      )
      .execute();
  }
}

/**
 * Records `ids` (`event:…`, `finding:…`) as imported and returns those that were not already: the
 * caller imports only those, so importing the same input twice changes nothing.
 * @example const fresh = await claimImported(trx, events.map((e) => `event:${e.id}`));
 */
export async function claimImported(target: StoreTarget, ids: readonly string[]): Promise<Set<string>> {
  const db = queryable(target);
  const fresh = new Set<string>();
  // Stored cleaned (cleanText); returned as the caller wrote them.
  const original = new Map<string, string>();
  for (const id of ids) {
    const clean = cleanText(id);
    if (!original.has(clean)) original.set(clean, id);
  }
  const unique = [...original.keys()];
  const now = Date.now();
  for (let i = 0; i < unique.length; i += BATCH) {
    const rows = await db
      .insertInto('graph_imported')
      .values(unique.slice(i, i + BATCH).map((id) => ({ id, imported_at: now })))
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .execute();
    for (const r of rows) fresh.add(original.get(r.id) ?? r.id);
  }
  return fresh;
}

/**
 * Replaces the props of each node of `ids` that exists with `merge(props, id)` (read, merge, write: meant for the few
 * nodes a revocation or a scan touches, not for bulk imports). `merge` decides the merged props; pass
 * a `trx` so the read and the write are one transaction.
 */
export async function updateGraphNodeProps(
  target: StoreTarget,
  ids: readonly string[],
  merge: (props: Record<string, unknown>, id: string) => Record<string, unknown>,
): Promise<void> {
  const db = queryable(target);
  const original = new Map<string, string>();
  for (const id of ids) original.set(cleanText(id), id);
  const unique = [...original.keys()];
  for (let i = 0; i < unique.length; i += BATCH) {
    const rows = await db
      .selectFrom('graph_nodes')
      .select(['id', 'props'])
      .where('id', 'in', unique.slice(i, i + BATCH))
      .execute();
    for (const row of rows) {
      const next = merge(JSON.parse(row.props) as Record<string, unknown>, original.get(row.id) ?? row.id);
      await db
        .updateTable('graph_nodes')
        .set({ props: propsJson(next) })
        .where('id', '=', row.id)
        .execute();
    }
  }
}

/** Reads one node; `undefined` when the graph has none with that id. */
export async function getGraphNode(target: StoreTarget, id: string): Promise<GraphNode | undefined> {
  const row = await queryable(target).selectFrom('graph_nodes').selectAll().where('id', '=', id).executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    id: row.id,
    kind: row.kind,
    label: row.label,
    props: JSON.parse(row.props) as Record<string, unknown>,
    firstSeen: Number(row.first_seen),
    lastSeen: Number(row.last_seen),
  };
}

/**
 * The edges leaving `src` (or, with `direction: 'in'`, arriving at it), optionally of one kind,
 * ordered by kind, src and dst.
 * @example const leaks = await listGraphEdges(store, 'credential:aws-key:AKIA…', { kind: 'found-in' });
 */
export async function listGraphEdges(
  target: StoreTarget,
  node: string,
  options: { kind?: string | undefined; direction?: 'out' | 'in' } = {},
): Promise<GraphEdge[]> {
  let query = queryable(target)
    .selectFrom('graph_edges')
    .selectAll()
    .where(options.direction === 'in' ? 'dst' : 'src', '=', node);
  if (options.kind !== undefined) query = query.where('kind', '=', options.kind);
  const rows = await query.orderBy('kind').orderBy('src').orderBy('dst').execute();
  return rows.map((row) => ({
    src: row.src,
    dst: row.dst,
    kind: row.kind,
    props: JSON.parse(row.props) as Record<string, unknown>,
    count: Number(row.count),
    firstSeen: Number(row.first_seen),
    lastSeen: Number(row.last_seen),
  }));
}
