import type { DetectorOptions } from '../detect/engine.js';
import { withoutCopies } from '../detect/wire.js';
import { WardenError } from '../model/errors.js';
import type { IdentityEvent } from '../model/identity-event.js';
import { importEventsOnce } from '../store/graph-import.js';
import {
  enqueueRows,
  type IngestRecord,
  PartitionRunner,
  processedTotal,
  queueSummary,
  readCounters,
  readQueue,
  trimQueue,
} from '../store/partitions.js';
import { type QueueRow, queueRows } from '../store/queue-rows.js';
import type { Store } from '../store/store.js';
import type { IngestPipeline, PipelineStatus } from './context.js';

/** Events per partition per pass: large enough to amortise the snapshot, small enough to stay responsive. */
const BATCH = 5000;
/** Events per pass at most (all partitions): what a pass holds in memory. */
const PASS_EVENTS = 40_000;
/**
 * After new records arrive, the loop waits this long for more before a pass: each commit writes the
 * partition's whole detector snapshot, so a steady stream of small requests is committed in groups.
 * As the snapshots grow, so does the wait: at least PASS_DUTY times the last pass, up to
 * MAX_GATHER_MS, so commits (which hold the store's write lock) take a bounded share of the time
 * and batches grow instead.
 */
const GATHER_MS = 100;
const PASS_DUTY = 4;
const MAX_GATHER_MS = 2000;
/**
 * The gathering ends early once at least a partition step's worth of events (BATCH) waits and no
 * request came for this long: the stream paused, so waiting longer adds nothing to the batch, and
 * no request waits behind the pass's commits. (A trickle of small requests still gathers in full.)
 */
const QUIET_MS = 100;

/** Overrides of the loop's timing, for tests. */
export interface EmbeddedTuning {
  /** The shortest gathering wait (GATHER_MS). */
  gatherMs?: number;
  /** Events per partition step (BATCH). */
  batch?: number;
}

/**
 * The embedded pipeline: accepted events go to the store's queue (durable when `accept` resolves);
 * one loop in this process feeds each partition's queue to the identity graph and the partition's
 * detector, and commits alerts, state and position together, then deletes what it covered. A restart resumes from the committed state.
 * @example const pipeline = createEmbeddedPipeline(store, { learnUntil }, 16); await pipeline.accept(events);
 */
export function createEmbeddedPipeline(
  store: Store,
  detect: DetectorOptions,
  partitions: number,
  onError: (error: unknown) => void = () => {},
  tuning: EmbeddedTuning = {},
): IngestPipeline & { idle(): Promise<void>; acceptRows(rows: QueueRow[], record?: IngestRecord): Promise<void> } {
  const batchSize = tuning.batch ?? BATCH;
  const gatherMs = tuning.gatherMs ?? GATHER_MS;
  const runners = new Map<number, PartitionRunner>();
  let wake: (() => void) | undefined;
  let pending = true;
  let closed = false;
  let idleWaiters: Array<() => void> = [];
  /** Accepted events not yet stored, and the requests waiting on them. */
  let group:
    | { rows: QueueRow[]; records: IngestRecord[]; waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> }
    | undefined;

  /** The group being stored, if any (close waits for it). */
  let storing: Promise<void> = Promise.resolve();
  /** Milliseconds spent storing groups, so a pass's own length leaves out the requests let in during it. */
  let storingMs = 0;
  /** Events stored since the last pass began, and when the last request arrived (performance.now()). */
  let storedEvents = 0;
  let lastArrival = 0;

  function storeGroup(): void {
    storing = storeGroupNow();
  }

  async function storeGroupNow(): Promise<void> {
    const g = group;
    if (g === undefined) return;
    group = undefined;
    const started = performance.now();
    try {
      await enqueueRows(store, g.rows, g.records);
    } catch (error) {
      const failed = new WardenError(
        'WARDEN_UNAVAILABLE',
        `the store did not take the records: ${(error as Error).message}`,
        [],
        {
          cause: error,
        },
      );
      for (const w of g.waiters) w.reject(failed);
      return;
    } finally {
      storingMs += performance.now() - started;
    }
    for (const r of g.rows) storedEvents += r.count;
    for (const w of g.waiters) w.resolve();
    pending = true;
    wake?.();
  }

  /** `accept` for events already made queue rows (by `queueRows` with the same partition count): what the pipeline thread is handed. */
  function acceptRows(rows: QueueRow[], record?: IngestRecord): Promise<void> {
    if (closed) return Promise.reject(new WardenError('WARDEN_UNAVAILABLE', 'the server is shutting down'));
    if (rows.length === 0 && record === undefined) return Promise.resolve();
    lastArrival = performance.now();
    return new Promise<void>((resolve, reject) => {
      if (group === undefined) {
        group = { rows: [], records: [], waiters: [] };
        // Requests that arrive together (the pipeline thread takes its messages in bunches) share one transaction.
        setImmediate(storeGroup);
      }
      for (const r of rows) group.rows.push(r);
      if (record !== undefined) group.records.push(record);
      group.waiters.push({ resolve, reject });
    });
  }

  async function runner(p: number): Promise<PartitionRunner> {
    let r = runners.get(p);
    if (r === undefined) {
      r = await PartitionRunner.open(store, p, detect);
      runners.set(p, r);
    }
    return r;
  }

  /** Where the next pass starts among the partitions with queued events, so none waits behind the others. */
  let turn = 0;

  /**
   * One pass: for each partition with queued events (PASS_EVENTS in all), up to BATCH of them through
   * its detector, then one transaction with their identity-graph rows (imported once: the same transaction advances the position) and the
   * partition's alerts, snapshot and position: a step that fails adds nothing, one tried again adds
   * each event once. After each partition the loop lets waiting `accept`s in, so a request waits for
   * one partition's step at most, never for a whole pass. The queue rows the pass covered go in one
   * transaction at its end: the partitions' rows lie side by side in the queue's pages, so deleting
   * them partition by partition would write most of those pages once per partition. Rows at or
   * before a committed position are never read again, so a crash before the trim loses nothing.
   * 'more' when it stopped with events left (the next pass starts at once), 'done', or 'idle' (nothing queued).
   */
  async function pass(): Promise<'more' | 'done' | 'idle'> {
    const queued = await queueSummary(store);
    /** Partitions committed in this pass, and the position each committed. */
    const covered = new Map<number, number>();
    let taken = 0;
    let more = false;
    turn = (turn + 1) % Math.max(1, queued.length);
    for (let i = 0; i < queued.length; i++) {
      if (taken >= PASS_EVENTS) {
        more = true;
        break;
      }
      const r = await runner(queued[(turn + i) % queued.length]!);
      const batch = await readQueue(store, r.partition, r.position, batchSize);
      if (batch.length === 0) continue;
      const entries = batch.flatMap((b) => b.events);
      if (entries.length >= batchSize) more = true;
      // Another partition's revocation copies are learnt by the detector, not imported again.
      const events = withoutCopies(entries);
      taken += entries.length;
      const alerts = r.process(batch);
      // Requests that came in during detection are stored before this step takes the store.
      await new Promise((resolve) => setImmediate(resolve));
      await store.transaction(async (trx) => {
        await importEventsOnce(trx, events);
        await r.commit(alerts, { within: trx });
      });
      covered.set(r.partition, r.position);
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (covered.size > 0) await trimQueue(store, covered);
    return taken === 0 ? 'idle' : more ? 'more' : 'done';
  }

  let hurry = false;
  let lastPassMs = 0;

  /** The gathering wait: `ms`, or less once the stream paused with a step's worth waiting (QUIET_MS). */
  async function gather(ms: number): Promise<void> {
    const deadline = performance.now() + ms;
    for (;;) {
      const now = performance.now();
      if (now >= deadline || closed || hurry) return;
      if (storedEvents >= batchSize && now - lastArrival >= QUIET_MS) return;
      await new Promise((r) => setTimeout(r, Math.min(QUIET_MS / 2, deadline - now)));
    }
  }

  const loop = (async () => {
    while (!closed) {
      if (!hurry) await gather(Math.max(gatherMs, Math.min(MAX_GATHER_MS, lastPassMs * PASS_DUTY)));
      hurry = false;
      pending = false;
      storedEvents = 0;
      try {
        const started = performance.now();
        const stored = storingMs;
        const result = await pass();
        if (result !== 'idle') {
          lastPassMs = performance.now() - started - (storingMs - stored);
          // Events left over: no gathering, the backlog is the batch.
          if (result === 'more') hurry = true;
          continue;
        }
      } catch (error) {
        // A failed commit leaves the runner ahead of what is stored: start it again from the store.
        runners.clear();
        onError(error);
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      for (const w of idleWaiters) w();
      idleWaiters = [];
      if (pending || closed) continue;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 1000).unref();
      });
      wake = undefined;
    }
  })();

  return {
    mode: 'embedded',
    accept(events: readonly IdentityEvent[], record?: IngestRecord) {
      return acceptRows(queueRows(events, partitions), record);
    },
    acceptRows,
    async status(): Promise<PipelineStatus> {
      const counters = await readCounters(store);
      return { ingested: counters.ingested ?? 0, processed: await processedTotal(store), workers: 1, partitions };
    },
    async ready() {
      try {
        await readCounters(store);
        return !closed;
      } catch {
        return false;
      }
    },
    /** Resolves once the loop has found nothing left to do (tests and benchmarks wait on it). */
    idle() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        pending = true;
        hurry = true;
        wake?.();
      });
    },
    async close() {
      closed = true;
      hurry = true;
      wake?.();
      await loop;
      // Requests accepted before the close whose group has not been stored yet are stored now.
      if (group !== undefined) storeGroup();
      await storing;
      // Graceful: what was accepted before the close goes through detection now, not at the next start.
      try {
        while ((await pass()) === 'more');
      } catch (error) {
        onError(error);
      }
    },
  };
}
