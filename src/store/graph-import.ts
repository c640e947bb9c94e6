import { createHash } from 'node:crypto';
import { findingId, GraphBuilder, millis, type Visibility } from '../correlate/graph.js';
import { credentialKeysOfFinding } from '../correlate/keys.js';
import { WardenError } from '../model/errors.js';
import type { Finding } from '../model/finding.js';
import type { IdentityEvent } from '../model/identity-event.js';
import type { InventoryRelation } from '../model/inventory.js';
import type { Manifest } from '../policy/schema.js';
import { claimImported, cleanText, updateGraphNodeProps, upsertGraphEdges, upsertGraphNodes } from './graph.js';
import { recordScanFindings } from './scan-findings.js';
import { inTransaction, queryable, type StoreTarget } from './store.js';

/*
 * Imports into the identity graph (graph_nodes / graph_edges, migration 0002): src/correlate/graph.ts
 * derives the rows, this module claims and stores them.
 *
 * Idempotence: findings are claimed one by one (`finding:<id>`); events by content-defined chunk
 * (`events:<sha256 of the chunk's event ids>`). A chunk ends after an event whose id hashes to a
 * boundary (about one in 1,024) or at 8,192 events, so the same file cut the same way gives the same
 * chunks, and a file that grew keeps its earlier chunks: importing it again adds only what is new.
 * One claim per chunk, not per event, keeps the bookkeeping at a few thousand rows for ten million
 * events. The input's last chunk (cut by its end, not by content) is claimed event by event
 * (`event:<id>`), so re-reading the same events never counts them twice; and the first new chunk of
 * an input (or the first after chunks already imported) is checked against those event claims, so a
 * log that grew since its last import adds only its new events.
 *
 * Throughput: the rows an import writes are the distinct nodes and edges of a flush window, not its
 * events, so a window lasts until it holds FLUSH_ROWS rows (an estate of 100,000 identities has about
 * 1.5 million): ten million events of such an estate write each row about once, where windows of a
 * million events rewrote nearly all of them ten times. Memory is the window's rows plus at most
 * HOLD_EVENTS events, whatever the input's length.
 */

/** How many findings, relations or events an import added (those already in the graph are skipped). */
export interface ImportResult {
  imported: number;
  skipped: number;
}

export interface ImportEventsOptions {
  /** Called as the import goes (about every 65,536 events, and after each flush) with the number of events read so far. */
  onProgress?: ((events: number) => void) | undefined;
  /** Events folded before a flush at the latest (default 20,000,000); a flush also comes when FLUSH_ROWS rows are held. */
  flushEvents?: number | undefined;
  /** Events held before they are checked against stored claims and folded (default 65,536; smaller in tests). */
  holdEvents?: number | undefined;
}

const CHUNK_MAX = 8192;
const BOUNDARY_MASK = 0x3ff;
const FLUSH_EVENTS = 20_000_000;
/** Flush when this many distinct rows are held, whatever the event count: what bounds the memory of a window. */
const FLUSH_ROWS = 2_000_000;
/** Events held (not yet folded) at most: a smaller input is claimed and folded inside its flush transaction. */
const HOLD_EVENTS = 65_536;

/** FNV-1a of a string: cheap, stable, good enough to place chunk boundaries. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

interface Chunk {
  key: string;
  events: IdentityEvent[];
  /** Cut by the end of the input: claimed event by event. */
  tail: boolean;
}

/** Which of `ids` the graph has already claimed (without claiming the others). */
async function alreadyClaimed(target: StoreTarget, ids: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  const db = queryable(target);
  for (let i = 0; i < ids.length; i += 1000) {
    const rows = await db
      .selectFrom('graph_imported')
      .select('id')
      .where('id', 'in', ids.slice(i, i + 1000).map(cleanText))
      .execute();
    for (const r of rows) out.add(r.id);
  }
  // Ids come back cleaned (see cleanText); map them to the callers' spelling.
  if (out.size === 0) return out;
  return new Set(ids.filter((id) => out.has(cleanText(id))));
}

/** Stores what the builder holds and marks revoked credentials, in the caller's transaction. */
async function flushBuilder(trx: StoreTarget, builder: GraphBuilder): Promise<void> {
  const { nodes, edges, revoked } = builder.take();
  await upsertGraphNodes(trx, nodes);
  await upsertGraphEdges(trx, edges);
  if (revoked.size > 0) {
    await updateGraphNodeProps(trx, [...revoked.keys()], (props, id) => {
      const t = revoked.get(id)!;
      const prev = typeof props.revokedAt === 'number' ? props.revokedAt : undefined;
      return { ...props, revokedAt: prev === undefined ? t : Math.min(prev, t) };
    });
  }
}

/**
 * Imports identity events, streamed: identities, credentials, workloads, resources and networks, and
 * the edges between them (see src/correlate/graph.ts), folded in memory and upserted in batches, one
 * transaction per flush. A successful revocation or deactivation marks the credential it acted on
 * with `revokedAt`. Chunks already imported are skipped (see the module comment).
 *
 * Memory holds at most HOLD_EVENTS events and the folded rows of one flush window: a window ends when
 * it holds FLUSH_ROWS distinct rows (or `flushEvents` events), so a busy estate folds many events into
 * each stored row and memory does not grow with the number of events. Chunks of a small input are
 * claimed and folded inside the flush transaction. Past HOLD_EVENTS, chunks are checked against the
 * claims already stored as they come (read only), folded, and claimed in the flush transaction: if
 * another import claimed one of them in between, the transaction rolls back and the import fails with
 * WARDEN_IMPORT_CONFLICT (what committed before stays; importing again adds only what is missing).
 * @example
 * const { imported } = await importEvents(store, readEvents(files));
 */
export async function importEvents(
  target: StoreTarget,
  events: Iterable<IdentityEvent> | AsyncIterable<IdentityEvent>,
  options: ImportEventsOptions = {},
): Promise<ImportResult> {
  const flushAt = options.flushEvents ?? FLUSH_EVENTS;
  const holdAt = Math.min(options.holdEvents ?? HOLD_EVENTS, flushAt);
  const result: ImportResult = { imported: 0, skipped: 0 };
  let read = 0;
  /** Closed chunks not yet checked: their events are still in memory. */
  let held: Chunk[] = [];
  let heldEvents = 0;
  /** Chunks checked and folded into the builder, to claim at the flush. */
  let folded: string[] = [];
  /** Events folded (or held) since the last flush. */
  let windowEvents = 0;
  /** Chunk keys folded by this import: the same chunk twice in one input is imported once. */
  const taken = new Set<string>();
  let ids: string[] = [];
  let current: IdentityEvent[] = [];
  const builder = new GraphBuilder();
  // True at the start of the input and after a chunk that was already imported.
  let afterSkipped = true;

  const closeChunk = (tail: boolean) => {
    if (current.length === 0) return;
    const key = `events:${createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 40)}`;
    held.push({ key, events: current, tail });
    heldEvents += current.length;
    windowEvents += current.length;
    ids = [];
    current = [];
  };

  /** Folds a chunk's events that are new; `counted`: event claims of an earlier import's last chunk. */
  const foldChunk = (chunk: Chunk, counted: Set<string> | undefined, fresh?: Set<string>) => {
    const seen = new Set<string>();
    for (const e of chunk.events) {
      if (seen.has(e.id) || (chunk.tail && !fresh!.delete(`event:${e.id}`)) || counted?.has(`event:${e.id}`)) {
        result.skipped++;
        continue;
      }
      seen.add(e.id);
      builder.addEvent(e);
      result.imported++;
    }
  };

  /** The held chunks (never the tail), checked against stored claims outside any transaction, folded. */
  const settle = async () => {
    const chunks = held;
    held = [];
    heldEvents = 0;
    const db = queryable(target);
    const stored = await alreadyClaimed(
      db,
      chunks.map((c) => c.key),
    );
    for (const chunk of chunks) {
      if (stored.has(chunk.key) || taken.has(chunk.key)) {
        result.skipped += chunk.events.length;
        afterSkipped = true;
        continue;
      }
      const counted = afterSkipped
        ? await alreadyClaimed(
            db,
            chunk.events.map((e) => `event:${e.id}`),
          )
        : undefined;
      afterSkipped = false;
      taken.add(chunk.key);
      folded.push(chunk.key);
      foldChunk(chunk, counted);
    }
    options.onProgress?.(read);
  };

  const flush = async () => {
    const chunks = held;
    const keys = folded;
    held = [];
    heldEvents = 0;
    folded = [];
    windowEvents = 0;
    if (chunks.length === 0 && keys.length === 0 && builder.size === 0) return;
    await inTransaction(target, async (trx) => {
      const fresh = await claimImported(trx, [
        ...keys,
        ...chunks.flatMap((c) => (c.tail ? c.events.map((e) => `event:${e.id}`) : [c.key])),
      ]);
      const lost = keys.filter((k) => !fresh.delete(k));
      if (lost.length > 0)
        throw new WardenError(
          'WARDEN_IMPORT_CONFLICT',
          `another import stored ${lost.length} of the same event chunks while this one read them; nothing since the last stored batch was kept; import again to add what is missing`,
        );
      for (const chunk of chunks) {
        // delete: the same chunk twice in one input is imported once.
        if (!chunk.tail && (taken.has(chunk.key) || !fresh.delete(chunk.key))) {
          result.skipped += chunk.events.length;
          afterSkipped = true;
          continue;
        }
        // The first new chunk of the input, or the first after chunks already imported: where an
        // earlier import's last chunk (claimed event by event) resurfaces when a log grew.
        const counted =
          !chunk.tail && afterSkipped
            ? await alreadyClaimed(
                trx,
                chunk.events.map((e) => `event:${e.id}`),
              )
            : undefined;
        afterSkipped = false;
        if (!chunk.tail) taken.add(chunk.key);
        foldChunk(chunk, counted, fresh);
      }
      await flushBuilder(trx, builder);
    });
    options.onProgress?.(read);
  };

  for await (const e of events as AsyncIterable<IdentityEvent>) {
    read++;
    ids.push(e.id);
    current.push(e);
    if ((fnv1a(e.id) & BOUNDARY_MASK) === 0 || current.length >= CHUNK_MAX) {
      closeChunk(false);
      if (windowEvents >= flushAt || builder.size >= FLUSH_ROWS) await flush();
      else if (heldEvents >= holdAt) {
        await settle();
        if (builder.size >= FLUSH_ROWS) await flush();
      }
    }
  }
  closeChunk(true);
  await flush();
  return result;
}

/**
 * Imports events whose exactly-once the caller settles itself: the service imports a partition step's
 * events in the transaction that advances the partition's position, so a step is imported whole or
 * not at all and never again. No claims (importEvents claims chunks, and the last chunk's events one by
 * one, so repeated imports of a growing log add nothing twice: rows the service would write per step
 * and keep for ever); an event repeated within the batch (a shipper's retry) counts once. Folded in
 * memory and upserted in the caller's transaction (or one of its own).
 * @example await store.transaction(async (trx) => { await importEventsOnce(trx, events); await runner.commit(alerts, { within: trx }); });
 */
export async function importEventsOnce(target: StoreTarget, events: Iterable<IdentityEvent>): Promise<ImportResult> {
  const builder = new GraphBuilder();
  const seen = new Set<string>();
  const result: ImportResult = { imported: 0, skipped: 0 };
  for (const e of events) {
    if (seen.has(e.id)) {
      result.skipped++;
      continue;
    }
    seen.add(e.id);
    builder.addEvent(e);
    result.imported++;
  }
  if (result.imported > 0) await inTransaction(target, (trx) => flushBuilder(trx, builder));
  return result;
}

/**
 * Imports scan findings: for each secret finding with a join key, a credential node (by its most
 * specific key), a finding node and a repository node, with credential —found-in→ repository (the
 * leak location, exposed since the introducing commit's date or else `foundAt`) and finding
 * —detected→ credential. Posture findings are skipped. `foundAt` defaults to now.
 * @example
 * await importFindings(store, scan.findings, { repo: 'github.com/acme/api', visibility: 'public' });
 */
export async function importFindings(
  target: StoreTarget,
  findings: readonly Finding[],
  options: { repo?: string | undefined; visibility?: Visibility | undefined; foundAt?: string | number | Date | undefined } = {},
): Promise<ImportResult> {
  const at = millis(options.foundAt ?? Date.now(), 'foundAt');
  const repo = { name: options.repo ?? '.', visibility: options.visibility ?? 'unknown' };
  return inTransaction(target, async (trx) => {
    const builder = new GraphBuilder();
    const candidates = findings.filter((f) => credentialKeysOfFinding(f).length > 0);
    const fresh = await claimImported(
      trx,
      candidates.map((f) => `finding:${findingId(f)}`),
    );
    let imported = 0;
    for (const f of candidates) {
      if (!fresh.delete(`finding:${findingId(f)}`)) continue;
      builder.addFinding(f, repo, at);
      imported++;
    }
    await flushBuilder(trx, builder);
    // Every finding, posture and secret alike, by repository, file and line (the dashboard's findings).
    await recordScanFindings(trx, findings, repo.name, at);
    return { imported, skipped: findings.length - imported };
  });
}

/**
 * Imports declared relations (`warden scan` JSON `inventory`): runs-as, can-access, has-policy,
 * assumes and owned-by edges with their nodes. Relations are idempotent by nature (an edge is its
 * src, kind and dst), so a re-import refreshes props and counts nothing twice: counts stay 1.
 * @example await importInventory(store, report.inventory, { repo: 'github.com/acme/infra' });
 */
export async function importInventory(
  target: StoreTarget,
  relations: readonly InventoryRelation[],
  options: { repo?: string | undefined; at?: string | number | Date | undefined } = {},
): Promise<ImportResult> {
  const at = millis(options.at ?? Date.now(), 'at');
  const repo = options.repo ?? '.';
  return inTransaction(target, async (trx) => {
    const builder = new GraphBuilder();
    for (const r of relations) builder.addRelation(r, repo, at);
    const { nodes, edges } = builder.take();
    // A declared edge is a fact, not an observation: claim each so re-imports keep count = 1.
    const fresh = await claimImported(
      trx,
      edges.map((e) => `relation:${e.kind}\u001f${e.src}\u001f${e.dst}`),
    );
    await upsertGraphNodes(trx, nodes);
    await upsertGraphEdges(
      trx,
      edges.map((e) => (fresh.has(`relation:${e.kind}\u001f${e.src}\u001f${e.dst}`) ? e : { ...e, count: 0 })),
    );
    return { imported: fresh.size, skipped: relations.length - fresh.size };
  });
}

/**
 * Imports a policy manifest's declarations into the graph (see `GraphBuilder.addManifest`): owners,
 * aliases and declared grants. Idempotent like inventory: a re-import refreshes, counts nothing twice.
 * @example await importManifest(store, loadManifest('warden.policy.yaml'));
 */
export async function importManifest(
  target: StoreTarget,
  manifest: Manifest,
  options: { at?: string | number | Date | undefined } = {},
): Promise<ImportResult> {
  const at = millis(options.at ?? Date.now(), 'at');
  return inTransaction(target, async (trx) => {
    const builder = new GraphBuilder();
    builder.addManifest(manifest, at);
    const { nodes, edges } = builder.take();
    const fresh = await claimImported(
      trx,
      edges.map((e) => `manifest:${e.kind}\u001f${e.src}\u001f${e.dst}`),
    );
    await upsertGraphNodes(trx, nodes);
    await upsertGraphEdges(
      trx,
      edges.map((e) => (fresh.has(`manifest:${e.kind}\u001f${e.src}\u001f${e.dst}`) ? e : { ...e, count: 0 })),
    );
    return { imported: fresh.size, skipped: edges.length - fresh.size };
  });
}
