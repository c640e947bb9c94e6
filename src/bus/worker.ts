import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import type { DetectorOptions } from '../detect/engine.js';
import { fromWire, withoutCopies } from '../detect/wire.js';
import type { Alert } from '../model/alert.js';
import type { IdentityEvent } from '../model/identity-event.js';
import { toDetectionFinding } from '../report/ocsf.js';
import { importEventsOnce } from '../store/graph-import.js';
import {
  claimPartitions,
  heartbeat,
  PartitionRunner,
  type QueueEntry,
  releasePartitions,
  retireWorker,
} from '../store/partitions.js';
import { decodeQueueRow } from '../store/queue-rows.js';
import type { Store } from '../store/store.js';
import { alertSubject, type Bus, partitionConsumer } from './nats.js';
import { WORKER_LIVE_MS } from './pipeline.js';

export interface WorkerOptions {
  bus: Bus;
  store: Store;
  /** Every partition there is (WARDEN_PARTITIONS). */
  partitions: number;
  /** Only these partitions (`--partitions`); default all, shared out with the other live workers. */
  only?: readonly number[] | undefined;
  /** Detector options, or a function that reads them when a partition starts (e.g. from the store). */
  detect: DetectorOptions | (() => Promise<DetectorOptions>);
  signal: AbortSignal;
  /** Lease length: a worker that dies holds its partitions this long at most (default 10 s). */
  leaseMs?: number | undefined;
  /** Messages (runs of events) per fetch, and so per commit (default 64). */
  batch?: number | undefined;
  log?: (line: string) => void;
}

/**
 * Messages per fetch by default. A message is a run of one request's events for the partition (a
 * quarter of a megabyte of JSON at most), so a fetch holds 16 MiB at most and usually far less.
 */
const BATCH = 64;

export interface WorkerStats {
  id: string;
  processed: number;
  alerts: number;
  commits: number;
}

/**
 * A `warden worker`: holds a fair share of the partitions by lease (PostgreSQL row locks fence a
 * worker that lost one), and for each runs a durable pull consumer from the position its committed
 * checkpoint covers: fetch a batch, run the partition's detector, commit alerts, state and position in
 * one transaction, then acknowledge. A crash loses nothing (unacknowledged messages come again and
 * those the checkpoint covers are skipped) and duplicates nothing (alert uids are deterministic).
 * Alerts are then published on `<prefix>.alerts.<severity>`.
 */
export async function runWorker(options: WorkerOptions): Promise<WorkerStats> {
  const { bus, store, signal } = options;
  const id = `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const leaseMs = options.leaseMs ?? 10_000;
  const batch = options.batch ?? BATCH;
  const log = options.log ?? (() => {});
  const wanted = options.only ?? Array.from({ length: options.partitions }, (_, i) => i);
  const stats: WorkerStats = { id, processed: 0, alerts: 0, commits: 0 };
  const loops = new Map<number, { stop: AbortController; done: Promise<void> }>();

  async function publishAlerts(alerts: readonly Alert[]): Promise<void> {
    for (const a of alerts) {
      const payload = JSON.stringify(toDetectionFinding(a, a.count > 1 ? 'update' : 'create'));
      await bus.js
        .publish(alertSubject(bus.names, a.severity), payload, { msgID: `${a.uid}:${a.count}:${a.lastSeen}` })
        .catch((error: unknown) => log(`alert ${a.uid} not published: ${(error as Error).message}`));
    }
  }

  async function partitionLoop(p: number, stop: AbortSignal): Promise<void> {
    while (!stop.aborted) {
      try {
        const detect = typeof options.detect === 'function' ? await options.detect() : options.detect;
        const runner = await PartitionRunner.open(store, p, detect, id);
        const consumer = await partitionConsumer(bus, p, runner.position);
        while (!stop.aborted) {
          const messages = await consumer.fetch({ max_messages: batch, expires: 1000 });
          const items: QueueEntry[] = [];
          let last: { ack(): void } | undefined;
          for await (const m of messages) {
            const body = m.string();
            // A run (a JSON array), or one event as streams written before runs hold.
            const events = body.charCodeAt(0) === 0x5b ? decodeQueueRow(body) : [fromWire(JSON.parse(body) as IdentityEvent)];
            items.push({ position: m.seq, events });
            last = m;
          }
          if (items.length === 0 || last === undefined) continue;
          const before = runner.processed;
          const fresh = items.filter((i) => i.position > runner.position);
          const alerts = runner.process(items);
          // The identity graph in the commit's transaction: a batch is imported with the position that
          // covers it or not at all, so a redelivery (skipped by position) adds nothing twice.
          await store.transaction(async (trx) => {
            await importEventsOnce(trx, withoutCopies(fresh.flatMap((i) => i.events)));
            await runner.commit(alerts, { leaseMs, within: trx });
          });
          // Only now: the commit holds the events' effects, so JetStream may forget them.
          last.ack();
          stats.processed += runner.processed - before;
          stats.alerts += alerts.length;
          stats.commits++;
          await publishAlerts(alerts);
        }
      } catch (error) {
        if (stop.aborted) break;
        log(`partition ${p}: ${(error as Error).message}; starting again from the committed state`);
        await delay(1000, undefined, { signal: stop }).catch(() => {});
      }
    }
  }

  function start(p: number): void {
    const stop = new AbortController();
    loops.set(p, { stop, done: partitionLoop(p, stop.signal) });
  }

  async function stopLoops(ps: readonly number[]): Promise<void> {
    const stopping = ps.map((p) => loops.get(p)).filter((l) => l !== undefined);
    for (const l of stopping) l.stop.abort();
    await Promise.all(stopping.map((l) => l.done));
    for (const p of ps) loops.delete(p);
  }

  log(`worker ${id}: ${wanted.length} partition(s) wanted`);
  while (!signal.aborted) {
    try {
      const live = Math.max(1, await heartbeat(store, id, WORKER_LIVE_MS));
      const share = options.only ? wanted.length : Math.ceil(wanted.length / live);
      const held = await claimPartitions(store, id, wanted, share, leaseMs);
      // Partitions lost (lease taken over) stop; new ones start; beyond our share, give back.
      const lost = [...loops.keys()].filter((p) => !held.includes(p));
      if (lost.length > 0) await stopLoops(lost);
      const extra = held.slice(share);
      if (extra.length > 0) {
        await stopLoops(extra);
        await releasePartitions(store, id, extra);
      }
      for (const p of held.slice(0, share)) if (!loops.has(p)) start(p);
    } catch (error) {
      log(`worker ${id}: ${(error as Error).message}`);
    }
    await delay(Math.min(2000, leaseMs / 4), undefined, { signal }).catch(() => {});
  }
  const mine = [...loops.keys()];
  await stopLoops(mine);
  await releasePartitions(store, id, mine).catch(() => {});
  await retireWorker(store, id).catch(() => {});
  return stats;
}
