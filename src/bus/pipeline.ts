import type { DetectorOptions } from '../detect/engine.js';
import { WardenError } from '../model/errors.js';
import type { IdentityEvent } from '../model/identity-event.js';
import {
  addCounters,
  type IngestRecord,
  liveWorkers,
  processedTotal,
  readCounters,
  writeIngestRecord,
} from '../store/partitions.js';
import { queueRows } from '../store/queue-rows.js';
import type { Store } from '../store/store.js';
import { BUS_TIMEOUT_MS, type Bus, busNames, connectBus, eventSubject, messageId } from './nats.js';

/** A worker counts as alive this long after its last heartbeat. */
export const WORKER_LIVE_MS = 10_000;

/** What `warden serve --bus` ingests through: the shape of the server's IngestPipeline. */
export interface BusPipeline {
  readonly mode: 'bus';
  accept(events: readonly IdentityEvent[], record?: IngestRecord): Promise<void>;
  status(): Promise<{ ingested: number; processed: number; workers: number; partitions: number }>;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

function unavailable(error: unknown): WardenError {
  return new WardenError(
    'WARDEN_UNAVAILABLE',
    `NATS JetStream did not acknowledge the records (${(error as Error).message}); nothing was accepted, retry the batch`,
    [],
    { cause: error },
  );
}

/**
 * The counter of revocation copies published one message each, as the bus did before runs (see
 * src/detect/wire.ts): the stream's last sequence counts them beside the events, and `status` takes
 * them off. Still read, for streams written then.
 */
const COPIES_COUNTER = 'revocation.copies';

/**
 * The events the stream holds beyond one per message: for each run newly stored, its events less its
 * revocation copies less one. `status` adds it to the stream's last sequence.
 */
const RUNS_COUNTER = 'bus.run-events';

/** Characters of JSON per message at most (a fraction of NATS's 1 MB default payload, UTF-8 included). */
const RUN_CHARS = 256 * 1024;

/**
 * Publishes accepted events to JetStream as runs: one message per partition they fall in (more when a
 * run would pass RUN_CHARS), each a JSON array of the partition's events in order, revocation copies
 * for other partitions among them (see `queueRows`), with a message id = hash of partition and run, and
 * resolves only when JetStream acknowledged every one: a 202 means the stream has them. On any failure
 * it throws WARDEN_UNAVAILABLE; a retry of the same batch makes the same runs, which the stream's
 * duplicate window drops. One message per event was 100 times the publishes, acknowledgements and
 * fetched messages for the same records.
 *
 * `ingested` stays exact through retries: each run JetStream newly stored (its acknowledgement is not a
 * duplicate) adds its events beyond the first to a counter, even when other runs of the batch failed,
 * so a retry that finds part of its batch already stored counts only the rest.
 */
export function createBusPipeline(bus: Bus, store: Store, partitions: number): BusPipeline {
  const maxChars = Math.min(RUN_CHARS, Math.floor((bus.nc.info?.max_payload ?? 1 << 20) / 4));
  return {
    mode: 'bus',
    async accept(events, record) {
      if (bus.nc.isClosed()) throw unavailable(new Error('connection closed'));
      const rows = queueRows(events, partitions, maxChars);
      const acks = await Promise.allSettled(
        rows.map((r) =>
          bus.js.publish(eventSubject(bus.names, r.partition), r.events, {
            msgID: messageId(`${r.partition}\n${r.events}`),
            timeout: BUS_TIMEOUT_MS,
          }),
        ),
      );
      let beyond = 0;
      let failure: unknown;
      acks.forEach((a, i) => {
        if (a.status === 'rejected') failure ??= a.reason;
        else if (!a.value.duplicate) beyond += rows[i]!.count - (rows[i]!.copies ?? 0) - 1;
      });
      const counted = beyond === 0 ? {} : { [RUNS_COUNTER]: beyond };
      if (failure !== undefined) {
        // What did reach the stream is counted now: the retry will find it there and count only the rest.
        if (beyond !== 0) await addCounters(store, counted).catch(() => {});
        throw unavailable(failure);
      }
      // Counters and the audit entry follow the acknowledgement: the records are already safe.
      if (record !== undefined) await writeIngestRecord(store, { ...record, counters: { ...record.counters, ...counted } });
      else if (beyond !== 0) await addCounters(store, counted);
    },
    async status() {
      // Every message of the stream is a run (or, in streams written before runs, one event or one
      // revocation copy): its last sequence, plus the events runs hold beyond their first, less the
      // single copies, is how many events were ever stored (duplicates dropped take no sequence).
      let ingested = 0;
      try {
        ingested = (await bus.jsm.streams.info(bus.names.stream)).state.last_seq;
      } catch (error) {
        throw unavailable(error);
      }
      const counters = await readCounters(store);
      ingested += (counters[RUNS_COUNTER] ?? 0) - (counters[COPIES_COUNTER] ?? 0);
      return { ingested, processed: await processedTotal(store), workers: await liveWorkers(store, WORKER_LIVE_MS), partitions };
    },
    async ready() {
      if (bus.nc.isClosed()) return false;
      try {
        await bus.jsm.streams.info(bus.names.stream);
        await processedTotal(store);
        return true;
      } catch {
        return false;
      }
    },
    close: () => bus.close(),
  };
}

/**
 * What `warden serve --bus URL` passes to createServerContext: connects, then builds the pipeline.
 * @example createServerContext({ pipeline: busPipelineFactory({ url, env: process.env }) })
 */
export function busPipelineFactory(options: { url: string; env: Readonly<Record<string, string | undefined>> }) {
  return async (store: Store, _detect: DetectorOptions, partitions: number): Promise<BusPipeline> => {
    const bus = await connectBus(options.url, busNames(options.env));
    return createBusPipeline(bus, store, partitions);
  };
}
