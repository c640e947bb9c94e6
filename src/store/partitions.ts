import { sql } from 'kysely';
import { createDetector, type Detector, type DetectorOptions, type DetectorSnapshot } from '../detect/engine.js';
import { fromWire, isRevocationCopy } from '../detect/wire.js';
import type { Alert } from '../model/alert.js';
import { WardenError } from '../model/errors.js';
import type { IdentityEvent } from '../model/identity-event.js';
import { upsertAlerts } from './alerts.js';
import { type AuditInput, appendAudit } from './audit.js';
import { toJson } from './detector-state.js';
import { decodeQueueRow, type QueueRow } from './queue-rows.js';
import { inTransaction, queryable, type StoreTarget } from './store.js';

/**
 * Adds to named counters atomically (`value = value + n`), in the caller's transaction when given one.
 * @example await addCounters(trx, { ingested: 120, 'rejected:cloudtrail/not-json': 2 });
 */
export async function addCounters(target: StoreTarget, deltas: Readonly<Record<string, number>>): Promise<void> {
  const rows = Object.entries(deltas)
    .filter(([, n]) => n !== 0)
    .map(([name, value]) => ({ name, value }));
  if (rows.length === 0) return;
  await queryable(target)
    .insertInto('ingest_counters')
    .values(rows)
    .onConflict((oc) => oc.column('name').doUpdateSet({ value: sql`ingest_counters.value + excluded.value` }))
    .execute();
}

/** Every counter by name. */
export async function readCounters(target: StoreTarget): Promise<Record<string, number>> {
  const rows = await queryable(target).selectFrom('ingest_counters').selectAll().execute();
  return Object.fromEntries(rows.map((r) => [r.name, Number(r.value)]));
}

/** What an ingest request writes to the store beside its events. */
export interface IngestRecord {
  /** Added to the ingest counters (`records.accepted`, `rejected:<reason>`). */
  counters: Readonly<Record<string, number>>;
  audit: AuditInput;
}

/** Adds a request's counters and appends its audit entry (in the caller's transaction when given one). */
export async function writeIngestRecord(target: StoreTarget, record: IngestRecord): Promise<void> {
  await inTransaction(target, async (trx) => {
    await addCounters(trx, record.counters);
    await appendAudit(trx, record.audit);
  });
}

/**
 * Appends rows made by `queueRows` to the queue and counts them as ingested, with the requests'
 * counters and audit entries, in one transaction: once it resolves all of it is durable.
 */
export async function enqueueRows(
  target: StoreTarget,
  rows: readonly QueueRow[],
  records: readonly IngestRecord[] = [],
): Promise<void> {
  if (rows.length === 0 && records.length === 0) return;
  await inTransaction(target, async (trx) => {
    // 4 variables a row: 1,000 rows stay far below both dialects' limits.
    for (let i = 0; i < rows.length; i += 1000)
      await trx
        .insertInto('ingest_queue')
        .values(rows.slice(i, i + 1000).map((r) => ({ partition: r.partition, event: '', events: r.events, count: r.count })))
        .execute();
    let ingested = 0;
    for (const r of rows) ingested += r.count - (r.copies ?? 0);
    const counters: Record<string, number> = { ingested };
    for (const r of records) for (const [name, n] of Object.entries(r.counters)) counters[name] = (counters[name] ?? 0) + n;
    await addCounters(trx, counters);
    for (const r of records) await appendAudit(trx, r.audit);
  });
}

/**
 * Events at one position: a queue row's run (embedded) or one stream message (bus). A runner takes
 * them whole: its position is the last entry's.
 */
export interface QueueEntry {
  position: number;
  events: readonly IdentityEvent[];
}

/**
 * Queued events of a partition after `position`, oldest first, in whole rows: as many rows as make
 * `limit` events (at least one row, whatever its size).
 */
export async function readQueue(target: StoreTarget, partition: number, position: number, limit: number): Promise<QueueEntry[]> {
  const db = queryable(target);
  // Which rows first (their sizes only), then those rows' contents: no run is read and left.
  const sizes = await db
    .selectFrom('ingest_queue')
    .select(['seq', 'count'])
    .where('partition', '=', partition)
    .where('seq', '>', position)
    .orderBy('seq')
    .limit(limit)
    .execute();
  if (sizes.length === 0) return [];
  let taken = 0;
  let last = 0;
  for (const r of sizes) {
    last = Number(r.seq);
    taken += Number(r.count);
    if (taken >= limit) break;
  }
  const rows = await db
    .selectFrom('ingest_queue')
    .select(['seq', 'event', 'events'])
    .where('partition', '=', partition)
    .where('seq', '>', position)
    .where('seq', '<=', last)
    .orderBy('seq')
    .execute();
  return rows.map((r) => ({
    position: Number(r.seq),
    // Rows written before runs (0070) hold one event's JSON.
    events: r.events === null ? [fromWire(JSON.parse(r.event) as IdentityEvent)] : decodeQueueRow(r.events),
  }));
}

/**
 * Deletes the queue rows each partition's committed position covers (`positions`: partition →
 * position), in one transaction.
 */
export async function trimQueue(target: StoreTarget, positions: ReadonlyMap<number, number>): Promise<void> {
  await inTransaction(target, async (trx) => {
    for (const [partition, position] of positions)
      await trx.deleteFrom('ingest_queue').where('partition', '=', partition).where('seq', '<=', position).execute();
  });
}

/** Partitions with queued events, and the processed total. */
export async function queueSummary(target: StoreTarget): Promise<number[]> {
  const rows = await queryable(target).selectFrom('ingest_queue').select('partition').distinct().execute();
  return rows.map((r) => r.partition);
}

/** Events processed over all partitions. */
export async function processedTotal(target: StoreTarget): Promise<number> {
  const row = await queryable(target)
    .selectFrom('partition_state')
    .select((eb) => eb.fn.sum<number>('processed').as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** What a partition's runner commits: the detector's state, the position it covers, the alerts it raised. */
interface Checkpoint {
  snapshot: DetectorSnapshot;
  position: number;
  processed: number;
  alerts: readonly Alert[];
}

/**
 * One partition's detector: restored from its snapshot, fed events in order, committed with its
 * alerts and position in one transaction. Events at or before the committed position are skipped, so
 * a redelivery after a crash changes nothing; the snapshot keeps open episodes, so a restart
 * continues them with the same uids.
 * @example
 * const r = await PartitionRunner.open(store, 3, { learnUntil });
 * const alerts = r.process(batch);           // batch: [{ position, events }]
 * await r.commit(alerts);                    // alerts, snapshot and position together
 */
export class PartitionRunner {
  readonly partition: number;
  #detector: Detector;
  #position: number;
  #processed: number;
  readonly #store: StoreTarget;
  readonly #owner: string | undefined;

  private constructor(
    store: StoreTarget,
    partition: number,
    detector: Detector,
    position: number,
    processed: number,
    owner?: string,
  ) {
    this.#store = store;
    this.partition = partition;
    this.#detector = detector;
    this.#position = position;
    this.#processed = processed;
    this.#owner = owner;
  }

  /** Loads the partition's committed state (a fresh detector when there is none). `owner` fences commits to its lease. */
  static async open(store: StoreTarget, partition: number, options: DetectorOptions, owner?: string): Promise<PartitionRunner> {
    const row = await queryable(store)
      .selectFrom('partition_state')
      .select(['snapshot', 'position', 'processed'])
      .where('partition', '=', partition)
      .executeTakeFirst();
    const initial = row === undefined ? undefined : (JSON.parse(row.snapshot) as DetectorSnapshot);
    // Live streams: an alert as its episode opens, updated when it closes.
    const detector = createDetector({ ...options, emit: 'first', initial });
    return new PartitionRunner(store, partition, detector, Number(row?.position ?? 0), Number(row?.processed ?? 0), owner);
  }

  /** The last position the runner has taken in (committed or not). */
  get position(): number {
    return this.#position;
  }

  get processed(): number {
    return this.#processed;
  }

  /** Runs the entries after the current position through the detector; returns the alerts due. */
  process(batch: readonly QueueEntry[]): Alert[] {
    const out: Alert[] = [];
    for (const { position, events } of batch) {
      if (position <= this.#position) continue;
      this.#position = position;
      for (const event of events) {
        // Another partition's revocation: learnt, not counted (the queue counted it as ingested once).
        if (isRevocationCopy(event)) {
          this.#detector.learnRevocation(event);
          continue;
        }
        this.#processed++;
        for (const a of this.#detector.process(event)) out.push(a);
      }
    }
    return out;
  }

  /**
   * Commits the alerts with the detector snapshot and position, in one transaction; with an owner,
   * only while it still holds the partition's lease (else WARDEN_UNAVAILABLE and nothing is written).
   * `within`: a transaction of the
   * caller's (on the runner's store) to commit in, with whatever else it writes; else one of its own.
   */
  async commit(alerts: readonly Alert[], options: { leaseMs?: number; within?: StoreTarget } = {}): Promise<void> {
    const cp: Checkpoint = { snapshot: this.#detector.snapshot(), position: this.#position, processed: this.#processed, alerts };
    const now = Date.now();
    await inTransaction(options.within ?? this.#store, async (trx) => {
      if (this.#owner !== undefined) {
        // Fencing: the row lock taken by this update orders us against a worker taking the lease over.
        const r = await trx
          .updateTable('partition_state')
          .set({ lease_until: now + (options.leaseMs ?? 15_000), updated_at: now })
          .where('partition', '=', this.partition)
          .where('owner', '=', this.#owner)
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0)
          throw new WardenError('WARDEN_UNAVAILABLE', `partition ${this.partition} is no longer held by ${this.#owner}`);
      }
      await upsertAlerts(trx, cp.alerts);
      const row = {
        partition: this.partition,
        snapshot: toJson(cp.snapshot),
        position: cp.position,
        processed: cp.processed,
        updated_at: now,
      };
      await trx
        .insertInto('partition_state')
        .values({ ...row, owner: this.#owner ?? null, lease_until: 0 })
        .onConflict((oc) =>
          oc.column('partition').doUpdateSet({
            snapshot: row.snapshot,
            position: row.position,
            processed: row.processed,
            updated_at: row.updated_at,
          }),
        )
        .execute();
    });
  }
}

/**
 * Takes up to `max` of `wanted` partitions whose lease is free or expired (or already ours) for
 * `owner`, and renews the ones it holds. Returns the partitions `owner` holds afterwards.
 */
export async function claimPartitions(
  target: StoreTarget,
  owner: string,
  wanted: readonly number[],
  max: number,
  leaseMs: number,
): Promise<number[]> {
  const db = queryable(target);
  const now = Date.now();
  // Rows for partitions never processed, so every lease is an UPDATE that the row lock serialises.
  const empty = toJson({ version: 1, identities: [], credentials: [], watermark: 0 });
  await db
    .insertInto('partition_state')
    .values(
      wanted.map((p) => ({
        partition: p,
        snapshot: empty,
        position: 0,
        processed: 0,
        owner: null,
        lease_until: 0,
        updated_at: now,
      })),
    )
    .onConflict((oc) => oc.column('partition').doNothing())
    .execute();
  await db
    .updateTable('partition_state')
    .set({ lease_until: now + leaseMs })
    .where('owner', '=', owner)
    .where('partition', 'in', wanted)
    .execute();
  const held = (
    await db
      .selectFrom('partition_state')
      .select('partition')
      .where('owner', '=', owner)
      .where('partition', 'in', wanted)
      .execute()
  ).map((r) => r.partition);
  for (const p of wanted) {
    if (held.length >= max) break;
    if (held.includes(p)) continue;
    const r = await db
      .updateTable('partition_state')
      .set({ owner, lease_until: now + leaseMs })
      .where('partition', '=', p)
      .where((eb) => eb.or([eb('owner', 'is', null), eb('lease_until', '<', now)]))
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) > 0) held.push(p);
  }
  return held.sort((a, b) => a - b);
}

/** Gives partitions back (a worker shutting down or sharing out). */
export async function releasePartitions(target: StoreTarget, owner: string, partitions: readonly number[]): Promise<void> {
  if (partitions.length === 0) return;
  await queryable(target)
    .updateTable('partition_state')
    .set({ owner: null, lease_until: 0 })
    .where('owner', '=', owner)
    .where('partition', 'in', partitions)
    .execute();
}

/** Records a worker's heartbeat and returns how many workers are alive (heartbeat within `liveMs`). */
export async function heartbeat(target: StoreTarget, id: string, liveMs: number): Promise<number> {
  const db = queryable(target);
  const now = Date.now();
  await db
    .insertInto('service_workers')
    .values({ id, heartbeat: now, started_at: now })
    .onConflict((oc) => oc.column('id').doUpdateSet({ heartbeat: now }))
    .execute();
  await db
    .deleteFrom('service_workers')
    .where('heartbeat', '<', now - 10 * liveMs)
    .execute();
  return liveWorkers(target, liveMs);
}

/** How many workers sent a heartbeat within `liveMs`. */
export async function liveWorkers(target: StoreTarget, liveMs: number): Promise<number> {
  const row = await queryable(target)
    .selectFrom('service_workers')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('heartbeat', '>=', Date.now() - liveMs)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** A worker leaving: its heartbeat row goes. */
export async function retireWorker(target: StoreTarget, id: string): Promise<void> {
  await queryable(target).deleteFrom('service_workers').where('id', '=', id).execute();
}
