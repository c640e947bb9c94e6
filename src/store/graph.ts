import { CompiledQuery, type Kysely, PostgresAdapter } from 'kysely';
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

const byId = (a: GraphNodeRow, b: GraphNodeRow) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
/** Primary-key order (src, dst, kind). */
const byEdgeKey = (a: GraphEdgeRow, b: GraphEdgeRow) =>
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
          : 0;

/**
 * Folds rows with the same id into one (earliest first_seen, latest last_seen, the first row's label,
 * props merged in input order): PostgreSQL refuses an INSERT … ON CONFLICT that touches the same row
 * twice. Sorted by id (a stable sort, so repeats stay in input order and fold as they come), so
 * consecutive upserts touch neighbouring B-tree pages; no map, as a builder's rows come folded already.
 */
function foldNodes(nodes: readonly GraphNodeRow[]): GraphNodeRow[] {
  const sorted = [...nodes].sort(byId);
  const out: GraphNodeRow[] = [];
  let prev: GraphNodeRow | undefined;
  let copied = false;
  for (const n of sorted) {
    if (prev !== undefined && prev.id === n.id) {
      // The caller's rows are never changed: the first repeat folds into a copy.
      if (!copied) {
        prev = { ...prev };
        out[out.length - 1] = prev;
        copied = true;
      }
      prev.props = { ...prev.props, ...n.props };
      prev.firstSeen = Math.min(prev.firstSeen, n.firstSeen);
      prev.lastSeen = Math.max(prev.lastSeen, n.lastSeen);
    } else {
      prev = n;
      copied = false;
      out.push(n);
    }
  }
  return out;
}

/** Folds edges with the same (src, dst, kind): counts add up, times widen, the latest props win (ties: the later row). */
function foldEdges(edges: readonly GraphEdgeRow[]): GraphEdgeRow[] {
  const sorted = [...edges].sort(byEdgeKey);
  const out: GraphEdgeRow[] = [];
  let prev: GraphEdgeRow | undefined;
  let copied = false;
  for (const e of sorted) {
    if (prev !== undefined && prev.src === e.src && prev.dst === e.dst && prev.kind === e.kind) {
      // The caller's rows are never changed: the first repeat folds into a copy.
      if (!copied) {
        prev = { ...prev };
        out[out.length - 1] = prev;
        copied = true;
      }
      prev.count += e.count;
      prev.firstSeen = Math.min(prev.firstSeen, e.firstSeen);
      if (e.lastSeen >= prev.lastSeen) {
        prev.lastSeen = e.lastSeen;
        prev.props = e.props;
      }
    } else {
      prev = e;
      copied = false;
      out.push(e);
    }
  }
  return out;
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
  const rows = foldNodes(nodes);
  const cols = ['id', 'kind', 'label', 'props', 'first_seen', 'last_seen'];
  const values = (n: GraphNodeRow): unknown[] => [
    cleanText(n.id),
    n.kind,
    cleanText(n.label),
    propsJson(n.props),
    n.firstSeen,
    n.lastSeen,
  ];
  if (isPostgres(db)) {
    await upsertUnnest(
      db,
      'graph_nodes',
      cols,
      ['text', 'text', 'text', 'text', 'bigint', 'bigint'],
      rows,
      values,
      NODE_CONFLICT_PG,
    );
  } else await upsertValues(db, 'graph_nodes', cols, rows, values, NODE_CONFLICT_SQLITE);
}

const widen = (table: string) =>
  `first_seen = case when excluded.first_seen < ${table}.first_seen then excluded.first_seen else ${table}.first_seen end, ` +
  `last_seen = case when excluded.last_seen > ${table}.last_seen then excluded.last_seen else ${table}.last_seen end`;
const NODE_CONFLICT_SQLITE = `on conflict (id) do update set props = json_patch(graph_nodes.props, excluded.props), ${widen('graph_nodes')}`;
const NODE_CONFLICT_PG = `on conflict (id) do update set props = (graph_nodes.props::jsonb || excluded.props::jsonb)::text, ${widen('graph_nodes')}`;
const EDGE_CONFLICT = `on conflict (src, dst, kind) do update set count = graph_edges.count + excluded.count, props = excluded.props, ${widen('graph_edges')}`;

/** Rows per PostgreSQL statement: one array per column, so the row count is not bounded by bind variables. */
const PG_BATCH = 10_000;

/**
 * SQLite: multi-row VALUES of BATCH rows, the same text for every full batch, so the store's
 * statement cache prepares it once (see openSqlite); parameters are bound flat.
 */
async function upsertValues<T>(
  db: Kysely<Database>,
  table: string,
  cols: readonly string[],
  rows: readonly T[],
  values: (row: T) => unknown[],
  conflict: string,
): Promise<void> {
  const tuple = `(${cols.map(() => '?').join(', ')})`;
  for (let i = 0; i < rows.length; i += BATCH) {
    const n = Math.min(BATCH, rows.length - i);
    const params: unknown[] = [];
    for (let k = i; k < i + n; k++) for (const v of values(rows[k]!)) params.push(v);
    const text = `insert into ${table} (${cols.join(', ')}) values ${Array.from({ length: n }, () => tuple).join(', ')} ${conflict}`;
    await db.executeQuery(CompiledQuery.raw(text, params));
  }
}

/**
 * PostgreSQL: `INSERT … SELECT * FROM unnest($1::text[], …)`: one array per column and PG_BATCH rows
 * a statement, so the statement is short and planned once, whatever the row count (COPY cannot
 * upsert without a staging table, and measured no faster).
 */
async function upsertUnnest<T>(
  db: Kysely<Database>,
  table: string,
  cols: readonly string[],
  types: readonly string[],
  rows: readonly T[],
  values: (row: T) => unknown[],
  conflict: string,
): Promise<void> {
  const text = `insert into ${table} (${cols.join(', ')}) select * from unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')}) ${conflict}`;
  for (let i = 0; i < rows.length; i += PG_BATCH) {
    const columns: unknown[][] = cols.map(() => []);
    for (let k = i; k < Math.min(rows.length, i + PG_BATCH); k++) {
      const v = values(rows[k]!);
      for (let c = 0; c < v.length; c++) columns[c]!.push(v[c]);
    }
    await db.executeQuery(CompiledQuery.raw(text, columns));
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
  const rows = foldEdges(edges);
  const cols = ['src', 'dst', 'kind', 'props', 'count', 'first_seen', 'last_seen'];
  const values = (e: GraphEdgeRow): unknown[] => [
    cleanText(e.src),
    cleanText(e.dst),
    e.kind,
    propsJson(e.props),
    e.count,
    e.firstSeen,
    e.lastSeen,
  ];
  if (isPostgres(db))
    await upsertUnnest(
      db,
      'graph_edges',
      cols,
      ['text', 'text', 'text', 'text', 'bigint', 'bigint', 'bigint'],
      rows,
      values,
      EDGE_CONFLICT,
    );
  else await upsertValues(db, 'graph_edges', cols, rows, values, EDGE_CONFLICT);
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
