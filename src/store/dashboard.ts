import { sql } from 'kysely';
import type { BlastNode, BlastRadius } from '../correlate/blast.js';
import type { Alert } from '../model/alert.js';
import { WardenError } from '../model/errors.js';
import { SEVERITIES, type Severity } from '../model/severity.js';
import { TRIAGE_STATES } from './alert-triage.js';
import { getGraphNode } from './graph.js';
import { blastRadius, type Evidence, evidenceOf, getRisk, listRisk, type RiskRow } from './graph-query.js';
import { queryable, type StoreTarget } from './store.js';

/*
 * What the dashboard reads beyond the CLI's queries: aggregates for the overview, a server-paged and
 * sorted alert list, one alert with everything behind it, and the blast radius grouped for drawing.
 * Each is a few indexed queries, so pages stay fast at 100k identities.
 */

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Bucket sizes the alerts-over-time series may use, smallest first. */
const BUCKETS = [HOUR_MS, 3 * HOUR_MS, 6 * HOUR_MS, 12 * HOUR_MS, DAY_MS];
const CLOSED = ['resolved', 'suppressed'];

/** An alert as lists show it: the columns, the title and the identity's risk. */
export interface AlertSummary {
  uid: string;
  detectionId: string;
  title: string;
  severity: Severity;
  status: string;
  identity: string;
  identityName: string;
  credential?: string | undefined;
  firstSeen: string;
  lastSeen: string;
  count: number;
  /** The identity's risk score at the last rescore, when it was scored. */
  risk?: number | undefined;
}

export interface AlertPageQuery {
  status?: string | undefined;
  /** This severity and above. */
  severity?: Severity | undefined;
  detection?: string | undefined;
  /** Substring of the identity id. */
  identity?: string | undefined;
  sort?: 'risk' | 'recent' | 'severity' | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

const SEVERITY_RANK = sql<number>`case severity when 'critical' then 4 when 'high' then 3 when 'medium' then 2 when 'low' then 1 else 0 end`;

function summary(row: { alert: string; status: string; score: number | null }): AlertSummary {
  const a = JSON.parse(row.alert) as Alert;
  return {
    uid: a.uid,
    detectionId: a.detectionId,
    title: a.title,
    severity: a.severity,
    status: row.status,
    identity: a.identity.id,
    identityName: a.identity.name ?? a.identity.id,
    ...(a.credential ? { credential: a.credential.key } : {}),
    firstSeen: a.firstSeen,
    lastSeen: a.lastSeen,
    count: a.count,
    ...(row.score !== null ? { risk: Number(row.score) } : {}),
  };
}

/**
 * One page of alerts, filtered and sorted on the server. `risk` sorts by the identity's risk, then
 * severity, then recency: the top of that list is the incident to open first.
 * @example const { items, total } = await alertPage(store, { status: 'open', sort: 'risk', limit: 25 });
 */
export async function alertPage(target: StoreTarget, q: AlertPageQuery = {}): Promise<{ items: AlertSummary[]; total: number }> {
  const db = queryable(target);
  const limit = Math.min(Math.max(q.limit ?? 25, 1), 200);
  const offset = Math.max(q.offset ?? 0, 0);
  if (q.status !== undefined && !(TRIAGE_STATES as readonly string[]).includes(q.status))
    throw new WardenError('WARDEN_USAGE', `unknown state "${q.status}" (${TRIAGE_STATES.join(', ')})`);
  if (q.severity !== undefined && !SEVERITIES.includes(q.severity))
    throw new WardenError('WARDEN_USAGE', `unknown severity "${q.severity}" (${SEVERITIES.join(', ')})`);
  let base = db.selectFrom('alerts as a');
  if (q.status !== undefined) base = base.where('a.status', '=', q.status);
  if (q.severity !== undefined) base = base.where('a.severity', 'in', SEVERITIES.slice(SEVERITIES.indexOf(q.severity)));
  if (q.detection !== undefined) base = base.where('a.detection_id', '=', q.detection);
  if (q.identity !== undefined && q.identity !== '')
    base = base.where('a.identity_id', 'like', `%${q.identity.replace(/[%_]/g, '')}%`);
  const total = Number((await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst())?.n ?? 0);
  // Sort and cut on the narrow columns first, then read the page's alert documents by uid: sorting
  // whole JSON documents to keep 25 of them was most of the time at 10k alerts.
  let page = base
    .leftJoin('graph_risk as r', (j) => j.on('r.node_id', '=', sql<string>`'identity:' || a.identity_id`))
    .select(['a.uid']);
  const sort = q.sort ?? 'risk';
  if (sort === 'recent') page = page.orderBy('a.last_seen', 'desc');
  else if (sort === 'severity') page = page.orderBy(SEVERITY_RANK, 'desc').orderBy('a.last_seen', 'desc');
  else page = page.orderBy(sql`coalesce(r.score, -1)`, 'desc').orderBy(SEVERITY_RANK, 'desc').orderBy('a.last_seen', 'desc');
  const uids = (await page.orderBy('a.uid').limit(limit).offset(offset).execute()).map((r) => r.uid);
  const read =
    uids.length === 0
      ? []
      : await db
          .selectFrom('alerts as a')
          .leftJoin('graph_risk as r', (j) => j.on('r.node_id', '=', sql<string>`'identity:' || a.identity_id`))
          .select(['a.uid', 'a.alert', 'a.status', 'r.score'])
          .where('a.uid', 'in', uids)
          .execute();
  const byUid = new Map(read.map((r) => [r.uid, r]));
  const rows = uids.map((u) => byUid.get(u)).filter((r) => r !== undefined);
  return { items: rows.map(summary), total };
}

/** One alert with its triage state, the identity's risk and the evidence chain of its credential. */
export interface AlertDetail {
  alert: Alert;
  status: string;
  /** The last triage: why, by whom, when (ISO). */
  triage?: { reason: string; by: string; at: string } | undefined;
  risk?: RiskRow | undefined;
  /** Where the alert's credential leaked, and where it was used from (no secret, ever). */
  evidence?: Evidence | undefined;
}

/** An alert by uid, or undefined. */
export async function alertDetail(target: StoreTarget, uid: string): Promise<AlertDetail | undefined> {
  const row = await queryable(target)
    .selectFrom('alerts')
    .select(['alert', 'status', 'status_reason', 'status_by', 'status_at'])
    .where('uid', '=', uid)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const triage =
    row.status_at === null
      ? undefined
      : { reason: row.status_reason ?? '', by: row.status_by ?? '', at: new Date(Number(row.status_at)).toISOString() };
  const alert = JSON.parse(row.alert) as Alert;
  const identity = `identity:${alert.identity.id}`;
  const evidence = (await getGraphNode(target, identity)) === undefined ? undefined : await evidenceOf(target, identity);
  return {
    alert,
    status: row.status,
    ...(triage ? { triage } : {}),
    risk: await getRisk(target, identity),
    ...(evidence ? { evidence } : {}),
  };
}

export interface Overview {
  identities: { total: number; bands: Record<Severity, number>; top: RiskRow[] };
  incidents: { open: number; top: AlertSummary[] };
  alerts: { total: number; open: number; byStatus: Record<string, number> };
  /**
   * Alerts first seen per bucket (an hour to a day, by the span of the alerts; `day` is the bucket's
   * start, a date or a date and time), by severity, over at most the 30 days up to the latest alert.
   */
  alertsOverTime: Array<{ day: string } & Record<Severity, number>>;
  /** Leaked credentials by exposure status (from the scored findings). */
  exposure: Record<string, number>;
  findings: { leaked: number; repositories: number };
}

/**
 * The overview's aggregates in one call.
 * @example const o = await overview(store); o.identities.bands.critical
 */
export async function overview(target: StoreTarget): Promise<Overview> {
  const db = queryable(target);
  const bands = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  // Bands by score range (the cut-offs of src/correlate/risk.ts), counted on the (kind, score) index:
  // grouping by the band column would read 100k rows with their JSON.
  const cut = await db
    .selectFrom('graph_risk')
    .select((eb) => [
      eb.fn.countAll<number>().as('all'),
      eb.fn.sum<number>(sql`case when score >= 70 then 1 else 0 end`).as('critical'),
      eb.fn.sum<number>(sql`case when score >= 50 and score < 70 then 1 else 0 end`).as('high'),
      eb.fn.sum<number>(sql`case when score >= 30 and score < 50 then 1 else 0 end`).as('medium'),
    ])
    .where('kind', '=', 'identity')
    .executeTakeFirst();
  bands.critical = Number(cut?.critical ?? 0);
  bands.high = Number(cut?.high ?? 0);
  bands.medium = Number(cut?.medium ?? 0);
  bands.low = Number(cut?.all ?? 0) - bands.critical - bands.high - bands.medium;
  const statusRows = await db
    .selectFrom('alerts')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  const byStatus: Record<string, number> = {};
  for (const r of statusRows) byStatus[r.status] = Number(r.n);
  const alertsTotal = Object.values(byStatus).reduce((a, b) => a + b, 0);
  const open = alertsTotal - CLOSED.reduce((n, s) => n + (byStatus[s] ?? 0), 0);
  const incidents = await alertPage(target, { status: 'open', severity: 'high', sort: 'risk', limit: 6 });

  // Alerts over time: buckets sized to the span of the alerts (at most the last 30 days), from an hour
  // to a day, so a week of demo telemetry and a month of production both draw as a real series.
  const span = await db
    .selectFrom('alerts')
    .select((eb) => [eb.fn.max('first_seen').as('last'), eb.fn.min('first_seen').as('first')])
    .executeTakeFirst();
  const end = span?.last == null ? Date.now() : Number(span.last);
  const start = Math.max(span?.first == null ? end : Number(span.first), end - 30 * DAY_MS);
  const bucket = BUCKETS.find((b) => (end - start) / b <= 48) ?? DAY_MS;
  const lastSlot = Math.floor(end / bucket);
  const firstSlot = Math.min(Math.floor(start / bucket), lastSlot - 11);
  const slotExpr = sql<number>`(first_seen / ${bucket})`;
  const perSlot = await db
    .selectFrom('alerts')
    .select([slotExpr.as('slot'), 'severity', (eb) => eb.fn.countAll<number>().as('n')])
    .where('first_seen', '>=', firstSlot * bucket)
    .groupBy([slotExpr, 'severity'])
    .execute();
  const series = Array.from({ length: lastSlot - firstSlot + 1 }, (_, i) => ({
    day: new Date((firstSlot + i) * bucket).toISOString().slice(0, bucket < DAY_MS ? 16 : 10),
    ...(Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>),
  }));
  for (const r of perSlot) {
    const slot = series[Math.floor(Number(r.slot)) - firstSlot];
    if (slot && (SEVERITIES as readonly string[]).includes(r.severity)) slot[r.severity as Severity] += Number(r.n);
  }

  // Exposure per leaked credential: findings of one credential share it, so count credentials once.
  const exposure: Record<string, number> = {};
  const seen = new Set<string>();
  const repos = new Set<string>();
  const findingRows = await db.selectFrom('graph_risk').select('detail').where('kind', '=', 'finding').limit(100_000).execute();
  for (const r of findingRows) {
    const d = JSON.parse(r.detail) as { credential?: string; exposure?: string; repository?: string };
    if (d.repository) repos.add(d.repository);
    if (d.credential === undefined || seen.has(d.credential)) continue;
    seen.add(d.credential);
    const status = d.exposure ?? 'unknown';
    exposure[status] = (exposure[status] ?? 0) + 1;
  }
  return {
    identities: {
      total: Object.values(bands).reduce((a, b) => a + b, 0),
      bands,
      top: await listRisk(target, { kind: 'identity', limit: 8 }),
    },
    incidents: { open: incidents.total, top: incidents.items },
    alerts: { total: alertsTotal, open, byStatus },
    alertsOverTime: series,
    exposure,
    findings: { leaked: findingRows.length, repositories: repos.size },
  };
}

/** A group of blast-radius nodes drawn as one: one bucket, one Vault mount, one namespace. */
export interface BlastGroup {
  key: string;
  label: string;
  kind: BlastNode['kind'];
  count: number;
  admin: boolean;
  access?: string | undefined;
  /** The hop the group hangs off (a node id of the start, an identity or a policy). */
  via: string;
  /** The first members (ids), at most 50; `count` is all of them. */
  members: Array<{ id: string; actions?: string[] | undefined; admin?: boolean | undefined }>;
}

/**
 * Where a resource belongs when drawn: the bucket of an S3 object, the first two segments of a Vault
 * path, the namespace and kind of a Kubernetes object, else the resource itself.
 * @example groupKey('resource:arn:aws:s3:::logs/2026/01/x.gz') // 'arn:aws:s3:::logs'
 */
export function groupKey(id: string): string {
  const r = id.startsWith('resource:') ? id.slice(9) : id;
  const arn = /^(arn:[^:]+:[^:]+:[^:]*:[^:]*:)([^/]+)\//.exec(r);
  if (arn) return `${arn[1]}${arn[2]}`;
  if (r.startsWith('k8s:') || r.startsWith('vault:')) {
    const parts = r.split('/');
    if (parts.length > 2) return parts.slice(0, 2).join('/');
  }
  const slash = r.split('/');
  if (slash.length > 2 && !r.includes(':')) return slash.slice(0, 2).join('/');
  return r;
}

/**
 * The blast radius of a node, grouped for drawing: resources by groupKey under the hop they hang off,
 * identities and credentials one group per kind and hop.
 */
export async function groupedBlastRadius(
  target: StoreTarget,
  nodeId: string,
): Promise<{ start: string; truncated: boolean; totals: Record<string, number>; groups: BlastGroup[] }> {
  const radius: BlastRadius = await blastRadius(target, nodeId, { maxDepth: 6, maxNodes: 5000 });
  const groups = new Map<string, BlastGroup>();
  const add = (n: BlastNode, key: string, label: string) => {
    const via = n.path.at(-1)?.from ?? nodeId;
    const id = `${n.kind}|${via}|${key}`;
    let g = groups.get(id);
    if (!g) {
      g = { key: id, label, kind: n.kind, count: 0, admin: false, via, members: [] };
      groups.set(id, g);
    }
    g.count++;
    if (n.admin) g.admin = true;
    if (n.access) g.access = g.access === undefined || g.access === n.access ? n.access : 'granted+observed';
    if (g.members.length < 50)
      g.members.push({ id: n.id, ...(n.actions ? { actions: n.actions } : {}), ...(n.admin ? { admin: true } : {}) });
  };
  for (const n of radius.resources) add(n, groupKey(n.id), groupKey(n.id));
  for (const n of radius.identities) add(n, n.id, n.id.replace(/^identity:/, ''));
  for (const n of radius.credentials) add(n, n.id, n.id.replace(/^credential:/, ''));
  // A group of one is that one node, named as itself.
  for (const g of groups.values())
    if (g.count === 1 && g.kind === 'resource') g.label = g.members[0]!.id.replace(/^resource:/, '');
  return {
    start: nodeId,
    truncated: radius.truncated,
    totals: { resources: radius.resources.length, identities: radius.identities.length, credentials: radius.credentials.length },
    groups: [...groups.values()].sort(
      (a, b) => Number(b.admin) - Number(a.admin) || b.count - a.count || (a.label < b.label ? -1 : 1),
    ),
  };
}
