import type { DetectorOptions } from '../detect/engine.js';
import { WardenError } from '../model/errors.js';
import type { IdentityEvent } from '../model/identity-event.js';
import { importEvents } from '../store/graph-import.js';
import { enqueueEvents, PartitionRunner, processedTotal, queueSummary, readCounters, readQueue } from '../store/partitions.js';
import type { Store } from '../store/store.js';
import type { IngestPipeline, PipelineStatus } from './context.js';

/** Events per partition per commit: large enough to amortise the snapshot, small enough to stay responsive. */
const BATCH = 5000;
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
): IngestPipeline & { idle(): Promise<void> } {
  const runners = new Map<number, PartitionRunner>();
  let wake: (() => void) | undefined;
  let pending = true;
  let closed = false;
  let idleWaiters: Array<() => void> = [];

  async function runner(p: number): Promise<PartitionRunner> {
    let r = runners.get(p);
    if (r === undefined) {
      r = await PartitionRunner.open(store, p, detect);
      runners.set(p, r);
    }
    return r;
  }

  /** One pass over every partition with queued events; true when it did some work. */
  async function pass(): Promise<boolean> {
    let worked = false;
    for (const p of await queueSummary(store)) {
      const r = await runner(p);
      for (;;) {
        const batch = await readQueue(store, p, r.position, BATCH);
        if (batch.length === 0) break;
        // The identity graph first: idempotent by event id, so a commit that fails after it adds nothing twice.
        await importEvents(
          store,
          batch.map((b) => b.event),
        );
        const alerts = r.process(batch);
        await r.commit(alerts, { trimQueue: true });
        worked = true;
        if (batch.length < BATCH) break;
      }
    }
    return worked;
  }

  let hurry = false;
  let lastPassMs = 0;
  const loop = (async () => {
    while (!closed) {
      if (!hurry) await new Promise((r) => setTimeout(r, Math.min(MAX_GATHER_MS, Math.max(GATHER_MS, lastPassMs * PASS_DUTY))));
      hurry = false;
      pending = false;
      try {
        const started = Date.now();
        const worked = await pass();
        if (worked) {
          lastPassMs = Date.now() - started;
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
    async accept(events: readonly IdentityEvent[]) {
      if (closed) throw new WardenError('WARDEN_UNAVAILABLE', 'the server is shutting down');
      try {
        await enqueueEvents(store, events, partitions);
      } catch (error) {
        throw new WardenError('WARDEN_UNAVAILABLE', `the store did not take the records: ${(error as Error).message}`, [], {
          cause: error,
        });
      }
      pending = true;
      wake?.();
    },
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
      // Graceful: what was accepted before the close goes through detection now, not at the next start.
      await pass().catch(onError);
    },
  };
}
