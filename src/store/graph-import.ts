import { createHash } from 'node:crypto';
import { credentialKeysOfEvent, credentialKeysOfFinding, subjectKeyOfEvent } from '../correlate/keys.js';
import type { Finding } from '../model/finding.js';
import type { IdentityEvent } from '../model/identity-event.js';
import {
  claimImported,
  type GraphEdgeRow,
  type GraphNodeRow,
  getGraphNode,
  listGraphEdges,
  updateGraphNodeProps,
  upsertGraphEdges,
  upsertGraphNodes,
} from './graph.js';
import { inTransaction, type StoreTarget } from './store.js';

/*
 * The identity graph, stored in `graph_nodes` / `graph_edges` (migration 0002_identity_graph).
 *
 * Nodes, id `<kind>:<natural id>`:
 * - `credential:<join key>` (keys.ts): label the redacted preview or the log's key name; never a secret.
 * - `finding:<hash>`, `repository:<name>`, `identity:<stable id>`, `workload:<name>`, `resource:<id>`,
 * - `network:<ip>`: where a credential was used from when no workload is named (`network:unknown`
 *   when the log names neither).
 *
 * Edges:
 * - credential —found-in→ repository (props: path, line, commit; first_seen = when the leak was found)
 * - finding —detected→ credential
 * - credential —credential-of→ identity
 * - identity —used→ resource, credential —used→ workload|network (the source it was used from);
 *   count, first_seen and last_seen aggregate every event
 * - workload —runs-as→ identity
 *
 * Every import is one transaction and idempotent: `graph_imported` remembers each finding and event
 * id, so importing the same input again adds nothing (counts included).
 */

/** Events per round trip: one claim, one node upsert and one edge upsert per batch. */
const EVENT_BATCH = 1000;

/** What `exposureOf` says about a credential. */
export type ExposureStatus =
  | 'not-leaked'
  | 'leaked-never-seen'
  | 'leaked-in-use-by-owner'
  | 'leaked-in-use-unknown-source'
  | 'leaked-revoked';

/** How many findings and events an import added (those already in the graph are skipped). */
export interface ImportResult {
  imported: number;
  skipped: number;
}

function millis(value: string | number | Date, what: string): number {
  const ms = typeof value === 'number' ? value : value instanceof Date ? value.getTime() : Date.parse(value);
  if (!Number.isFinite(ms)) throw new RangeError(`${what} is not a time: ${JSON.stringify(value)}`);
  return ms;
}

/** A stable id for one finding location: rule, secret fingerprint, path, line, column and commit. */
export function findingId(f: Finding): string {
  const parts = [f.ruleId, f.fingerprint, f.path, f.line, f.column, f.commit?.sha ?? ''];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

/**
 * Imports scan findings: for each secret finding with a join key, a credential node (by its most
 * specific key), a finding node and a repository node, with credential —found-in→ repository (props
 * path, line, commit) and finding —detected→ credential. Posture findings are skipped. `foundAt` (by
 * default now) is when the leak was found: `exposureOf` compares uses against it.
 * @example
 * await importFindings(store, scan.findings, 'github.com/acme/api', { foundAt: scanStartedAt });
 */
export async function importFindings(
  target: StoreTarget,
  findings: readonly Finding[],
  repo?: string,
  options: { foundAt?: string | number | Date | undefined } = {},
): Promise<ImportResult> {
  const at = millis(options.foundAt ?? Date.now(), 'foundAt');
  const repoId = `repository:${repo ?? '.'}`;
  const candidates = findings.flatMap((f) => {
    const keys = credentialKeysOfFinding(f);
    return keys.length === 0 ? [] : [{ f, keys, id: findingId(f) }];
  });
  return inTransaction(target, async (trx) => {
    const fresh = await claimImported(
      trx,
      candidates.map((c) => `finding:${c.id}`),
    );
    const nodes: GraphNodeRow[] = [];
    const edges: GraphEdgeRow[] = [];
    let imported = 0;
    for (const { f, keys, id } of candidates) {
      if (!fresh.delete(`finding:${id}`)) continue;
      imported++;
      const credential = `credential:${keys[0]!}`;
      const finding = `finding:${id}`;
      const location: Record<string, unknown> = { path: f.path, line: f.line };
      if (f.commit !== undefined) location.commit = f.commit.sha;
      nodes.push(
        {
          id: credential,
          kind: 'credential',
          label: f.preview,
          props: { keys, preview: f.preview, ruleId: f.ruleId, ...(f.provider ? { provider: f.provider } : {}) },
          firstSeen: at,
          lastSeen: at,
        },
        {
          id: finding,
          kind: 'finding',
          label: f.title,
          props: { ruleId: f.ruleId, severity: f.severity, fingerprint: f.fingerprint, preview: f.preview, ...location },
          firstSeen: at,
          lastSeen: at,
        },
        { id: repoId, kind: 'repository', label: repo ?? '.', props: {}, firstSeen: at, lastSeen: at },
      );
      edges.push(
        { src: credential, dst: repoId, kind: 'found-in', props: location, count: 1, firstSeen: at, lastSeen: at },
        { src: finding, dst: credential, kind: 'detected', props: {}, count: 1, firstSeen: at, lastSeen: at },
      );
    }
    await upsertGraphNodes(trx, nodes);
    await upsertGraphEdges(trx, edges);
    // A credential first met in the logs keeps its node (and any revokedAt); add what the scan knows.
    // Few rows (one per leaked credential), so read-merge-write is fine here.
    const scanned = new Map<string, Record<string, unknown>>();
    for (const n of nodes) if (n.kind === 'credential' && !scanned.has(n.id)) scanned.set(n.id, n.props);
    await updateGraphNodeProps(trx, [...scanned.keys()], (props, id) => ({ ...scanned.get(id), ...props }));
    return { imported, skipped: findings.length - imported };
  });
}

/** Adds one event's nodes and edges to the batch; returns the revoked credential's node id, if any. */
function eventToGraph(e: IdentityEvent, nodes: GraphNodeRow[], edges: GraphEdgeRow[]): string | undefined {
  const t = millis(e.time, `event ${e.id} time`);
  const identity = `identity:${e.identity.id}`;
  const identityProps: Record<string, unknown> = { type: e.identity.type };
  if (e.identity.scope !== undefined) identityProps.scope = e.identity.scope;
  nodes.push({
    id: identity,
    kind: 'identity',
    label: e.identity.name ?? e.identity.id,
    props: identityProps,
    firstSeen: t,
    lastSeen: t,
  });

  const workloadName = e.client.workload;
  const workload = workloadName === undefined ? undefined : `workload:${workloadName}`;
  if (workload !== undefined) {
    nodes.push({ id: workload, kind: 'workload', label: workloadName!, props: {}, firstSeen: t, lastSeen: t });
    edges.push({ src: workload, dst: identity, kind: 'runs-as', props: {}, count: 1, firstSeen: t, lastSeen: t });
  }

  if (e.resource !== undefined) {
    const resource = `resource:${e.resource.id}`;
    nodes.push({
      id: resource,
      kind: 'resource',
      label: e.resource.id,
      props: e.resource.type === undefined ? {} : { type: e.resource.type },
      firstSeen: t,
      lastSeen: t,
    });
    edges.push({ src: identity, dst: resource, kind: 'used', props: {}, count: 1, firstSeen: t, lastSeen: t });
  }

  const key = credentialKeysOfEvent(e)[0];
  if (key !== undefined && e.credential !== undefined) {
    const credential = `credential:${key}`;
    nodes.push({
      id: credential,
      kind: 'credential',
      label: e.credential.key,
      props: { type: e.credential.type },
      firstSeen: t,
      lastSeen: t,
    });
    edges.push({ src: credential, dst: identity, kind: 'credential-of', props: {}, count: 1, firstSeen: t, lastSeen: t });
    // Where the credential was used from: the workload when the log names one, else the address.
    let source = workload;
    if (source === undefined) {
      const ip = e.client.ip;
      source = `network:${ip ?? 'unknown'}`;
      nodes.push({ id: source, kind: 'network', label: ip ?? 'unknown', props: {}, firstSeen: t, lastSeen: t });
    }
    edges.push({ src: credential, dst: source, kind: 'used', props: {}, count: 1, firstSeen: t, lastSeen: t });
  }

  const lifecycle = e.credential?.lifecycle;
  if ((lifecycle === 'revoked' || lifecycle === 'deactivated') && e.outcome !== 'failure') {
    const subject = subjectKeyOfEvent(e);
    if (subject !== undefined) {
      const id = `credential:${subject}`;
      nodes.push({
        id,
        kind: 'credential',
        label: e.credential!.subject ?? e.credential!.key,
        props: {},
        firstSeen: t,
        lastSeen: t,
      });
      return id;
    }
  }
  return undefined;
}

/**
 * Imports identity events: identity, credential, workload, resource and network nodes, and the
 * edges credential-of (credential → identity), used (identity → resource; credential → the workload
 * or network it was used from), runs-as (workload → identity), each with count and first/last seen.
 * A successful revocation or deactivation marks the credential it acted on with `revokedAt`.
 * Batched upserts in one transaction; events already imported (by id) are skipped.
 * @example
 * const { imported } = await importEvents(store, events);
 */
export async function importEvents(target: StoreTarget, events: readonly IdentityEvent[]): Promise<ImportResult> {
  return inTransaction(target, async (trx) => {
    let imported = 0;
    const revokedAt = new Map<string, number>();
    for (let i = 0; i < events.length; i += EVENT_BATCH) {
      const batch = events.slice(i, i + EVENT_BATCH);
      const fresh = await claimImported(
        trx,
        batch.map((e) => `event:${e.id}`),
      );
      const nodes: GraphNodeRow[] = [];
      const edges: GraphEdgeRow[] = [];
      for (const e of batch) {
        // delete: an id twice in one input is imported once.
        if (!fresh.delete(`event:${e.id}`)) continue;
        imported++;
        const revoked = eventToGraph(e, nodes, edges);
        if (revoked !== undefined) {
          const t = millis(e.time, `event ${e.id} time`);
          revokedAt.set(revoked, Math.min(revokedAt.get(revoked) ?? t, t));
        }
      }
      await upsertGraphNodes(trx, nodes);
      await upsertGraphEdges(trx, edges);
    }
    if (revokedAt.size > 0) {
      await updateGraphNodeProps(trx, [...revokedAt.keys()], (props, id) => {
        const t = revokedAt.get(id)!;
        const prev = typeof props.revokedAt === 'number' ? props.revokedAt : undefined;
        return { ...props, revokedAt: prev === undefined ? t : Math.min(prev, t) };
      });
    }
    return { imported, skipped: events.length - imported };
  });
}

/** A credential's exposure and the evidence behind it. */
export interface Exposure {
  status: ExposureStatus;
  /** Epoch ms the leak was first found (earliest found-in edge), when it was. */
  foundAt?: number;
  /** Epoch ms of the earliest revocation, when one was seen. */
  revokedAt?: number;
  /** Every source the credential was used from: node id, first and last use, count, and whether it is new. */
  sources: Array<{ source: string; firstSeen: number; lastSeen: number; count: number; unknown: boolean }>;
}

/**
 * Explains `exposureOf`. The rule, kept simple on purpose:
 * 1. no found-in edge: `not-leaked`;
 * 2. a revocation or deactivation was seen: `leaked-revoked` (whatever the uses);
 * 3. never used: `leaked-never-seen`;
 * 4. used from a source (workload, else network address) whose first use by this credential is at or
 *    after the leak was found, i.e. a source the credential was not seen using before: `leaked-in-use-unknown-source`;
 * 5. otherwise (every source was already in use before the leak was found): `leaked-in-use-by-owner`.
 * @example const { status, sources } = await explainExposure(store, 'aws-key:AKIAIOSFODNN7EXAMPLE');
 */
export async function explainExposure(target: StoreTarget, credentialKey: string): Promise<Exposure> {
  const id = credentialKey.startsWith('credential:') ? credentialKey : `credential:${credentialKey}`;
  const node = await getGraphNode(target, id);
  if (node === undefined) return { status: 'not-leaked', sources: [] };
  const found = await listGraphEdges(target, id, { kind: 'found-in' });
  const uses = await listGraphEdges(target, id, { kind: 'used' });
  if (found.length === 0) {
    const sources = uses.map((u) => ({
      source: u.dst,
      firstSeen: u.firstSeen,
      lastSeen: u.lastSeen,
      count: u.count,
      unknown: false,
    }));
    return { status: 'not-leaked', sources };
  }
  const foundAt = Math.min(...found.map((f) => f.firstSeen));
  const sources = uses.map((u) => ({
    source: u.dst,
    firstSeen: u.firstSeen,
    lastSeen: u.lastSeen,
    count: u.count,
    unknown: u.firstSeen >= foundAt,
  }));
  const revokedAt = typeof node.props.revokedAt === 'number' ? node.props.revokedAt : undefined;
  if (revokedAt !== undefined) return { status: 'leaked-revoked', foundAt, revokedAt, sources };
  if (sources.length === 0) return { status: 'leaked-never-seen', foundAt, sources };
  const status = sources.some((s) => s.unknown) ? 'leaked-in-use-unknown-source' : 'leaked-in-use-by-owner';
  return { status, foundAt, sources };
}

/**
 * The exposure status of a credential by join key (`aws-key:AKIA…`, `github:…`, `vault:hmac-sha256:…`,
 * or a `credential:` node id); see `explainExposure` for the rule.
 * @example if ((await exposureOf(store, 'aws-key:AKIA…')) === 'leaked-in-use-unknown-source') page();
 */
export async function exposureOf(target: StoreTarget, credentialKey: string): Promise<ExposureStatus> {
  return (await explainExposure(target, credentialKey)).status;
}
