import { sql } from 'kysely';
import { type AlertRef, assembleProfiles, type GraphSnapshot } from '../correlate/assemble.js';
import { type BlastRadius, blastRadius as walkBlastRadius } from '../correlate/blast.js';
import type { GraphEdgeRow, GraphNodeRow } from '../correlate/graph.js';
import { normaliseEventKey } from '../correlate/keys.js';
import { type GraphPostureFinding, graphPosture } from '../correlate/posture.js';
import type { CredentialProfile, ExposureStatus, IdentityProfile } from '../correlate/profile.js';
import { type RiskFactor, scoreCredential, scoreIdentity, worstCredential } from '../correlate/risk.js';
import type { Alert } from '../model/alert.js';
import type { EventSource } from '../model/identity-event.js';
import type { Severity } from '../model/severity.js';
import { toJson } from './detector-state.js';
import { type GraphNode, getGraphNode, isPostgres, listGraphEdges } from './graph.js';
import type { GraphRiskTable } from './schema.js';
import { inTransaction, queryable, type StoreTarget } from './store.js';

/*
 * Reading the identity graph: rescoring (profiles → risk and graph posture, written to graph_risk),
 * ranking, identity listing, blast radius and the evidence chain behind a node. Derivation lives in
 * src/correlate; this module loads rows and stores results.
 */

const BATCH = 1000;

/** Alert statuses that no longer count against an identity. */
const CLOSED = ['resolved', 'closed', 'false-positive', 'suppressed'];

function parse(text: string): Record<string, unknown> {
  return JSON.parse(text) as Record<string, unknown>;
}

function edgeFromRow(row: {
  src: string;
  dst: string;
  kind: string;
  props: string;
  count: number | string;
  first_seen: number | string;
  last_seen: number | string;
}): GraphEdgeRow {
  return {
    src: row.src,
    dst: row.dst,
    kind: row.kind,
    props: row.props === '{}' ? {} : parse(row.props),
    count: Number(row.count),
    firstSeen: Number(row.first_seen),
    lastSeen: Number(row.last_seen),
  };
}

/** The graph node id (`credential:…`) of an alert's credential, normalised like the graph's. */
function alertCredential(alert: Alert): string | undefined {
  const key = alert.credential?.key;
  if (key === undefined) return undefined;
  const source = (alert.evidences[0]?.source ?? 'ocsf') as EventSource;
  const k = normaliseEventKey(source, key);
  return k === undefined ? undefined : `credential:${k}`;
}

function alertRef(alert: Alert, lastSeen: number): AlertRef {
  const sources = new Set<string>();
  for (const e of alert.evidences) {
    if (e.client.workload !== undefined) sources.add(`workload:${e.client.workload}`);
    else sources.add(`network:${e.client.ip ?? 'unknown'}`);
  }
  return {
    uid: alert.uid,
    detectionId: alert.detectionId,
    severity: alert.severity,
    lastSeen,
    identity: `identity:${alert.identity.id}`,
    credential: alertCredential(alert),
    sources: [...sources],
  };
}

/** Open alerts as the graph sees them. */
async function loadAlerts(target: StoreTarget, where?: { identities?: string[] }): Promise<AlertRef[]> {
  let q = queryable(target).selectFrom('alerts').select(['alert', 'last_seen']).where('status', 'not in', CLOSED);
  if (where?.identities !== undefined) {
    if (where.identities.length === 0) return [];
    q = q.where('identity_id', 'in', where.identities);
  }
  const rows = await q.execute();
  return rows.map((r) => alertRef(JSON.parse(r.alert) as Alert, Number(r.last_seen)));
}

/**
 * Loads what profiles are built from: identity, credential, repository and owner nodes, every edge,
 * and the open alerts.
 */
export async function loadSnapshot(target: StoreTarget): Promise<GraphSnapshot> {
  const db = queryable(target);
  const nodeRows = await db
    .selectFrom('graph_nodes')
    .selectAll()
    .where('kind', 'in', ['identity', 'credential', 'repository', 'owner'])
    .execute();
  const nodes: GraphNodeRow[] = nodeRows.map((r) => ({
    id: r.id,
    kind: r.kind,
    label: r.label,
    props: r.props === '{}' ? {} : parse(r.props),
    firstSeen: Number(r.first_seen),
    lastSeen: Number(r.last_seen),
  }));
  const edgeRows = await db.selectFrom('graph_edges').selectAll().execute();
  const edges = edgeRows.map(edgeFromRow);
  return { nodes, edges, alerts: await loadAlerts(target) };
}

export interface RescoreOptions {
  /** The time risk and staleness are measured against (default now). */
  now?: number | undefined;
  staleDays?: number | undefined;
  maxCredentialAgeDays?: number | undefined;
}

export interface RescoreResult {
  identities: number;
  findings: number;
  posture: number;
}

/** What `warden identities` and `warden risk` show of an identity beyond its score. */
export interface IdentityDetail {
  type: string;
  exposure: ExposureStatus;
  /** The most exposed credential (its label: a redacted preview or a key id, never a secret). */
  credential?: string | undefined;
  credentials: number;
  owners: string[];
  workloads: number;
  lastActive?: number | undefined;
  alerts: number;
  posture: GraphPostureFinding[];
}

/** What `warden risk` shows of a finding beyond its score. */
export interface FindingDetail {
  credential: string;
  preview: string;
  exposure: ExposureStatus;
  repository: string;
  path: string;
  line: number;
  commit?: string | undefined;
  ruleId: string;
  severity: Severity;
  /** The identity the credential belongs to, when a log tied it to one. */
  owner?: string | undefined;
}

function identityDetail(p: IdentityProfile, posture: GraphPostureFinding[]): IdentityDetail {
  const worst = worstCredential(p);
  return {
    type: p.type,
    exposure: worst?.exposure ?? 'not-leaked',
    ...(worst ? { credential: worst.label } : {}),
    credentials: p.credentials.length,
    owners: p.owners,
    workloads: p.workloads.length,
    ...(p.lastActive !== undefined ? { lastActive: p.lastActive } : {}),
    alerts: p.alerts.length,
    posture,
  };
}

/**
 * Rebuilds graph_risk: every identity's risk and graph posture, and every leaked credential's
 * findings' risk, from the graph as it is now. Run after imports (`warden import` does).
 * @example await rescoreGraph(store, { now: Date.now() });
 */
export async function rescoreGraph(target: StoreTarget, options: RescoreOptions = {}): Promise<RescoreResult> {
  const now = options.now ?? Date.now();
  const snapshot = await loadSnapshot(target);
  const { identities, credentials, ownerOf, aliases } = assembleProfiles(snapshot);
  const posture = graphPosture(identities, {
    now,
    ...(options.staleDays !== undefined ? { staleDays: options.staleDays } : {}),
    ...(options.maxCredentialAgeDays !== undefined ? { maxCredentialAgeDays: options.maxCredentialAgeDays } : {}),
  });
  const byId = new Map(identities.map((p) => [p.id, p]));
  // Posture on a credential belongs to the identity that owns it, when one does.
  const postureOf = new Map<string, GraphPostureFinding[]>();
  for (const f of posture) {
    const holder = f.subject.startsWith('credential:') ? (ownerOf.get(f.subject) ?? f.subject) : f.subject;
    const list = postureOf.get(holder);
    if (list) list.push(f);
    else postureOf.set(holder, [f]);
  }
  const rows: GraphRiskTable[] = [];
  for (const p of identities) {
    const s = scoreIdentity(p, now);
    rows.push({
      node_id: p.id,
      kind: 'identity',
      score: s.score,
      band: s.band,
      label: p.label,
      factors: toJson(s.factors),
      detail: toJson(identityDetail(p, postureOf.get(p.id) ?? [])),
      scored_at: now,
    });
  }
  // IaC identities folded into the logged one: a row of their own kind, so listings skip them and
  // neither count them as unscored.
  const scoreOf = new Map(rows.map((r) => [r.node_id, r.score]));
  for (const [alias, canonical] of aliases) {
    rows.push({
      node_id: alias,
      kind: 'alias',
      score: scoreOf.get(canonical) ?? 0,
      band: 'info',
      label: alias.slice(9),
      factors: '[]',
      detail: toJson({ aliasOf: canonical }),
      scored_at: now,
    });
  }
  let findings = 0;
  for (const c of credentials) {
    if (c.leaks.length === 0) continue;
    const owner = ownerOf.get(c.id);
    const s = scoreCredential(c, owner === undefined ? undefined : byId.get(owner), now);
    for (const l of c.leaks) {
      if (l.findingId === '') continue;
      findings++;
      const detail: FindingDetail = {
        credential: c.id,
        preview: c.label,
        exposure: c.exposure,
        repository: l.repository,
        path: l.path,
        line: l.line,
        ...(l.commit !== undefined ? { commit: l.commit } : {}),
        ruleId: l.ruleId,
        severity: l.severity,
        ...(owner !== undefined ? { owner } : {}),
      };
      rows.push({
        node_id: `finding:${l.findingId}`,
        kind: 'finding',
        score: s.score,
        band: s.band,
        label: `${l.ruleId} ${l.path}:${l.line}`,
        factors: toJson(s.factors),
        detail: toJson(detail),
        scored_at: now,
      });
    }
  }
  await inTransaction(target, async (trx) => {
    await trx.deleteFrom('graph_risk').execute();
    for (let i = 0; i < rows.length; i += BATCH)
      await trx
        .insertInto('graph_risk')
        .values(rows.slice(i, i + BATCH))
        .execute();
  });
  // PostgreSQL plans from statistics that a rebuilt table and a bulk import leave stale (autovacuum
  // catches up later): refresh them now, so the first pages walk the indexes.
  if (isPostgres(queryable(target))) await sql`analyze graph_risk, graph_nodes, graph_edges`.execute(queryable(target));
  return { identities: identities.length, findings, posture: posture.length };
}

/** One ranked identity or finding. */
export interface RiskRow {
  id: string;
  kind: 'identity' | 'finding';
  label: string;
  score: number;
  band: Severity;
  factors: RiskFactor[];
  detail: IdentityDetail | FindingDetail;
}

function riskRow(r: {
  node_id: string;
  kind: string;
  label: string;
  score: number;
  band: string;
  factors: string;
  detail: string;
}): RiskRow {
  return {
    id: r.node_id,
    kind: r.kind as RiskRow['kind'],
    label: r.label,
    score: Number(r.score),
    band: r.band as Severity,
    factors: JSON.parse(r.factors) as RiskFactor[],
    detail: JSON.parse(r.detail) as IdentityDetail | FindingDetail,
  };
}

/**
 * Identities or findings ranked by risk, highest first (ties by id), as of the last rescore.
 * @example const [top] = await listRisk(store, { kind: 'identity', limit: 10 });
 */
export async function listRisk(
  target: StoreTarget,
  options: {
    kind: 'identity' | 'finding';
    limit?: number | undefined;
    offset?: number | undefined;
    minScore?: number | undefined;
  },
): Promise<RiskRow[]> {
  let q = queryable(target).selectFrom('graph_risk').selectAll().where('kind', '=', options.kind);
  if (options.minScore !== undefined) q = q.where('score', '>=', options.minScore);
  const rows = await q
    .orderBy('score', 'desc')
    .orderBy('node_id')
    .limit(options.limit ?? 50)
    .offset(options.offset ?? 0)
    .execute();
  return rows.map(riskRow);
}

/** The stored risk of one node, if it was scored. */
export async function getRisk(target: StoreTarget, nodeId: string): Promise<RiskRow | undefined> {
  const row = await queryable(target).selectFrom('graph_risk').selectAll().where('node_id', '=', nodeId).executeTakeFirst();
  return row === undefined ? undefined : riskRow(row);
}

/** One identity as `warden identities` lists it. */
export interface IdentityRow {
  id: string;
  label: string;
  type: string;
  firstSeen: number;
  lastSeen: number;
  score?: number | undefined;
  band?: Severity | undefined;
  detail?: IdentityDetail | undefined;
}

/**
 * Identities, riskiest first (unscored ones last, by id).
 * @example const page = await listIdentities(store, { limit: 100 });
 */
export async function listIdentities(
  target: StoreTarget,
  options: { limit?: number | undefined; offset?: number | undefined; type?: string | undefined } = {},
): Promise<IdentityRow[]> {
  const db = queryable(target);
  const limit = options.limit ?? 100;
  const offset = options.offset ?? 0;
  // Scored identities walk the rank index for the page's ids alone (the offset skips index entries,
  // not joined rows), then the page is read by id; identities added since the last rescore follow, by id.
  let page = db.selectFrom('graph_risk').select('node_id').where('kind', '=', 'identity');
  if (options.type !== undefined) page = page.where('detail', 'like', `%"type":${JSON.stringify(options.type)}%`);
  const ids = (await page.orderBy('score', 'desc').orderBy('node_id').limit(limit).offset(offset).execute()).map(
    (r) => r.node_id,
  );
  type Row = {
    id: string;
    label: string;
    props: string;
    first_seen: number;
    last_seen: number;
    score: number | null;
    band: string | null;
    detail: string | null;
  };
  const byId = new Map<string, Row>();
  if (ids.length > 0) {
    const read = await db
      .selectFrom('graph_risk as r')
      .innerJoin('graph_nodes as n', 'n.id', 'r.node_id')
      .select(['n.id', 'n.label', 'n.props', 'n.first_seen', 'n.last_seen', 'r.score', 'r.band', 'r.detail'])
      .where('r.node_id', 'in', ids)
      .execute();
    for (const r of read) byId.set(r.id, r);
  }
  const rows: Row[] = ids.map((id) => byId.get(id)).filter((r): r is Row => r !== undefined);
  if (rows.length < limit) {
    // How many scored identities precede the unscored ones: all were read when this page holds some.
    const scored = rows.length > 0 ? offset + rows.length : await countScored(target, options.type);
    let unscored = db
      .selectFrom('graph_nodes as n')
      .leftJoin('graph_risk as r', 'r.node_id', 'n.id')
      .select(['n.id', 'n.label', 'n.props', 'n.first_seen', 'n.last_seen', 'r.score', 'r.band', 'r.detail'])
      .where('n.kind', '=', 'identity')
      .where('r.node_id', 'is', null);
    if (options.type !== undefined) unscored = unscored.where('n.props', 'like', `%"type":${JSON.stringify(options.type)}%`);
    const more = await unscored
      .orderBy('n.id')
      .limit(limit - rows.length)
      .offset(Math.max(0, offset - scored))
      .execute();
    rows.push(...more);
  }
  return rows.map((r) => {
    const props = parse(r.props);
    const detail = r.detail === null ? undefined : (JSON.parse(r.detail) as IdentityDetail);
    return {
      id: r.id,
      label: r.label,
      type: detail?.type ?? (typeof props.type === 'string' ? props.type : 'unknown'),
      firstSeen: Number(r.first_seen),
      lastSeen: Number(r.last_seen),
      ...(r.score !== null ? { score: Number(r.score), band: r.band as Severity } : {}),
      ...(detail ? { detail } : {}),
    };
  });
}

async function countScored(target: StoreTarget, type: string | undefined): Promise<number> {
  let q = queryable(target)
    .selectFrom('graph_risk')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('kind', '=', 'identity');
  if (type !== undefined) q = q.where('detail', 'like', `%"type":${JSON.stringify(type)}%`);
  const row = await q.executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * Finds the graph node a person means: a node id as is, else an identity id, a credential (AWS key
 * id, join key or key name as the logs write it), a workload, a finding id, or a node label, in
 * that order. Undefined when nothing matches.
 * @example await resolveNode(store, 'AKIA…') // 'credential:aws-key:AKIA…'
 */
export async function resolveNode(target: StoreTarget, input: string): Promise<string | undefined> {
  const v = input.trim();
  const candidates = [v, `identity:${v}`, `credential:${v}`, `workload:${v}`, `finding:${v}`, `resource:${v}`];
  for (const source of ['cloudtrail', 'github-audit', 'vault', 'k8s-audit'] as const) {
    const k = normaliseEventKey(source, v);
    if (k !== undefined) candidates.push(`credential:${k}`);
  }
  const db = queryable(target);
  const hit = await db
    .selectFrom('graph_nodes')
    .select('id')
    .where('id', 'in', [...new Set(candidates)])
    .execute();
  let found = candidates.find((c) => hit.some((h) => h.id === c));
  if (found === undefined) {
    // By label, preferring what the logs name over what only IaC declares (ids with `*` sort first).
    const byLabel = await db.selectFrom('graph_nodes').select('id').where('label', '=', v).orderBy('id').execute();
    found = byLabel.find((r) => !r.id.includes('::*:'))?.id ?? byLabel[0]?.id;
  }
  return found === undefined ? undefined : await canonicalOf(target, found);
}

/** The identity an IaC alias (`arn:aws:iam::*:role/x`) was folded into at the last rescore, else the id itself. */
async function canonicalOf(target: StoreTarget, id: string): Promise<string> {
  const row = await queryable(target)
    .selectFrom('graph_risk')
    .select('detail')
    .where('node_id', '=', id)
    .where('kind', '=', 'alias')
    .executeTakeFirst();
  if (row === undefined) return id;
  const canonical = (JSON.parse(row.detail) as { aliasOf?: unknown }).aliasOf;
  return typeof canonical === 'string' ? canonical : id;
}

const WILD_ROLE = /^identity:arn:aws:iam::\d+:((?:role|user)\/.+)$/;

/**
 * Blast radius of a credential, identity or workload (see src/correlate/blast.ts), read from the
 * store edge by edge. An identity named by the logs is also walked as the IaC identity written
 * without its account (`arn:aws:iam::*:role/x`).
 * @example const radius = await blastRadius(store, 'credential:aws-key:AKIA…');
 */
export async function blastRadius(
  target: StoreTarget,
  nodeId: string,
  options: { maxDepth?: number | undefined; maxNodes?: number | undefined } = {},
): Promise<BlastRadius> {
  const db = queryable(target);
  return walkBlastRadius(
    nodeId,
    async (node, direction, kinds) => {
      const rows = await db
        .selectFrom('graph_edges')
        .selectAll()
        .where(direction === 'out' ? 'src' : 'dst', '=', node)
        .where('kind', 'in', [...kinds])
        .execute();
      return rows.map(edgeFromRow);
    },
    {
      ...(options.maxDepth !== undefined ? { maxDepth: options.maxDepth } : {}),
      ...(options.maxNodes !== undefined ? { maxNodes: options.maxNodes } : {}),
      aliasesOf: async (id) => {
        const m = WILD_ROLE.exec(id);
        if (!m) return [];
        const alias = `identity:arn:aws:iam::*:${m[1]}`;
        return (await getGraphNode(target, alias)) === undefined ? [] : [alias];
      },
    },
  );
}

/** A credential's exposure and the evidence behind it. */
export interface Exposure {
  status: ExposureStatus;
  /** Epoch ms the leak was first exposed (the introducing commit, else when it was found), when it was. */
  foundAt?: number | undefined;
  /** Epoch ms of the earliest revocation, when one was seen. */
  revokedAt?: number | undefined;
  /** Every source the credential was used from, and whether it is one not seen before the leak. */
  sources: CredentialProfile['sources'];
}

/** The profile of one credential (and its owner's), built from its neighbourhood only. */
async function credentialProfile(
  target: StoreTarget,
  id: string,
): Promise<{ credential: CredentialProfile; owner?: IdentityProfile | undefined } | undefined> {
  const node = await getGraphNode(target, id);
  if (node === undefined || node.kind !== 'credential') return undefined;
  const out = await listGraphEdges(target, id);
  const detected = await listGraphEdges(target, id, { kind: 'detected', direction: 'in' });
  for (const d of detected) out.push(d, ...(await listGraphEdges(target, d.src, { kind: 'found-in' })));
  const repoIds = [...new Set(out.filter((e) => e.kind === 'found-in').map((e) => e.dst))];
  const repos = (await Promise.all(repoIds.map((r) => getGraphNode(target, r)))).filter((n): n is GraphNode => n !== undefined);
  const owners = out.filter((e) => e.kind === 'credential-of').map((e) => e.dst);
  const alerts = (await loadAlerts(target, { identities: owners.map((o) => o.slice(9)) })).filter(
    (a) => a.credential === id || a.credential === undefined,
  );
  const { credentials } = assembleProfiles({ nodes: [node, ...repos], edges: out, alerts });
  const credential = credentials[0];
  return credential === undefined ? undefined : { credential };
}

/**
 * Explains a credential's exposure status: leaked and never seen, leaked and in use by its owner,
 * leaked and in use from an unknown source (a source first seen at or after the leak was exposed,
 * or named by a new-source alert), leaked and revoked, or not leaked.
 * @example const { status, sources } = await explainExposure(store, 'aws-key:AKIAIOSFODNN7EXAMPLE');
 */
export async function explainExposure(target: StoreTarget, credentialKey: string): Promise<Exposure> {
  const id = credentialKey.startsWith('credential:') ? credentialKey : `credential:${credentialKey}`;
  const p = await credentialProfile(target, id);
  if (p === undefined) return { status: 'not-leaked', sources: [] };
  const c = p.credential;
  const foundAt = c.leaks.length > 0 ? Math.min(...c.leaks.map((l) => l.exposedAt)) : undefined;
  return {
    status: c.exposure,
    ...(foundAt !== undefined ? { foundAt } : {}),
    ...(c.revokedAt !== undefined ? { revokedAt: c.revokedAt } : {}),
    sources: c.sources,
  };
}

/** The exposure status of a credential by join key; see `explainExposure`. */
export async function exposureOf(target: StoreTarget, credentialKey: string): Promise<ExposureStatus> {
  return (await explainExposure(target, credentialKey)).status;
}

/** The evidence chain behind a node: what leaked, where it was used from, what the detector said. */
export interface Evidence {
  subject: GraphNode;
  risk?: RiskRow | undefined;
  /** Identities involved: the subject, or the identities of the credential or finding. */
  identities: string[];
  credentials: Array<{ id: string; label: string; exposure: Exposure }>;
  /** The findings that found the credentials leaked, with location. */
  findings: Array<{
    id: string;
    label: string;
    ruleId: string;
    severity: string;
    repository: string;
    path: string;
    line: number;
    commit?: string | undefined;
  }>;
  /** Where the credentials were used from: count, first and last time, the latest event's pointer. */
  uses: Array<{
    credential: string;
    source: string;
    count: number;
    firstSeen: number;
    lastSeen: number;
    unknown: boolean;
    event?: Record<string, unknown> | undefined;
  }>;
  /** The detector's alerts on those identities and credentials. */
  alerts: Alert[];
}

/**
 * Everything behind a node's risk in one call: for an identity its credentials, for a credential its
 * identities, for a finding its credential, then the findings, uses and alerts of all of them.
 * @example const { findings, uses, alerts } = await evidenceOf(store, top.id);
 */
export async function evidenceOf(target: StoreTarget, nodeId: string): Promise<Evidence | undefined> {
  const subject = await getGraphNode(target, nodeId);
  if (subject === undefined) return undefined;
  let credentialIds: string[] = [];
  let identities: string[] = [];
  if (subject.kind === 'identity') {
    identities = [subject.id];
    credentialIds = (await listGraphEdges(target, subject.id, { kind: 'credential-of', direction: 'in' })).map((e) => e.src);
  } else if (subject.kind === 'credential') {
    credentialIds = [subject.id];
  } else if (subject.kind === 'finding') {
    credentialIds = (await listGraphEdges(target, subject.id, { kind: 'detected' })).map((e) => e.dst);
  }
  const credentials: Evidence['credentials'] = [];
  const findings: Evidence['findings'] = [];
  const uses: Evidence['uses'] = [];
  for (const c of credentialIds) {
    const node = await getGraphNode(target, c);
    const exposure = await explainExposure(target, c);
    credentials.push({ id: c, label: node?.label ?? c, exposure });
    if (subject.kind !== 'identity') {
      for (const e of await listGraphEdges(target, c, { kind: 'credential-of' }))
        if (!identities.includes(e.dst)) identities.push(e.dst);
    }
    for (const e of await listGraphEdges(target, c, { kind: 'detected', direction: 'in' })) {
      const f = await getGraphNode(target, e.src);
      if (f === undefined) continue;
      findings.push({
        id: f.id,
        label: f.label,
        ruleId: String(f.props.ruleId),
        severity: String(f.props.severity),
        repository: String(f.props.repository ?? '.'),
        path: String(f.props.path),
        line: Number(f.props.line),
        ...(typeof f.props.commit === 'string' ? { commit: f.props.commit } : {}),
      });
    }
    const unknown = new Set(exposure.sources.filter((s) => s.unknown).map((s) => s.source));
    for (const e of await listGraphEdges(target, c, { kind: 'used' })) {
      uses.push({
        credential: c,
        source: e.dst,
        count: e.count,
        firstSeen: e.firstSeen,
        lastSeen: e.lastSeen,
        unknown: unknown.has(e.dst),
        ...(Object.keys(e.props).length > 0 ? { event: e.props } : {}),
      });
    }
  }
  uses.sort((a, b) => Number(b.unknown) - Number(a.unknown) || b.lastSeen - a.lastSeen);
  const keys = credentials.map((c) => c.label);
  const db = queryable(target);
  let alerts: Alert[] = [];
  if (identities.length > 0 || keys.length > 0) {
    const rows = await db
      .selectFrom('alerts')
      .select(['alert'])
      .where((eb) =>
        eb.or([
          ...(identities.length > 0
            ? [
                eb(
                  'identity_id',
                  'in',
                  identities.map((i) => i.slice(9)),
                ),
              ]
            : []),
          ...(keys.length > 0 ? [eb('credential_key', 'in', keys)] : []),
        ]),
      )
      .orderBy('last_seen', 'desc')
      .limit(200)
      .execute();
    alerts = rows.map((r) => JSON.parse(r.alert) as Alert);
  }
  return { subject, risk: await getRisk(target, nodeId), identities, credentials, findings, uses, alerts };
}
