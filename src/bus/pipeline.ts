import type { DetectorOptions } from '../detect/engine.js';
import { partitionOf } from '../detect/partition.js';
import { copyPartitions, eventJson } from '../detect/wire.js';
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
 * The counter of revocation copies published (see src/detect/wire.ts): the stream's last sequence
 * counts them beside the events, and `status` takes them off.
 */
const COPIES_COUNTER = 'revocation.copies';

/**
 * Publishes accepted events to JetStream, one message per event on its partition's subject (and a
 * copy of each credential revocation on every other partition's), and
 * resolves only when JetStream acknowledged every one: a 202 means the stream has them. On any failure
 * it throws WARDEN_UNAVAILABLE; a retry of the same batch is deduplicated by message id.
 */
export function createBusPipeline(bus: Bus, store: Store, partitions: number): BusPipeline {
  return {
    mode: 'bus',
    async accept(events, record) {
      if (bus.nc.isClosed()) throw unavailable(new Error('connection closed'));
      let copies = 0;
      try {
        const sends: Array<Promise<unknown>> = [];
        const send = (p: number, payload: string, id: string) =>
          sends.push(bus.js.publish(eventSubject(bus.names, p), payload, { msgID: id, timeout: BUS_TIMEOUT_MS }));
        for (const e of events) {
          const home = partitionOf(e, partitions);
          const payload = eventJson(e);
          send(home, payload, messageId(payload));
          const others = copyPartitions(e, home, partitions);
          if (others.length === 0) continue;
          // A revocation's copies: the same payload on other subjects, so each id names its partition.
          const copy = eventJson(e, true);
          for (const p of others) send(p, copy, messageId(`${p}\n${copy}`));
          copies += others.length;
        }
        await Promise.all(sends);
      } catch (error) {
        throw unavailable(error);
      }
      // Counters and the audit entry follow the acknowledgement: the records are already safe.
      // The stream's sequence counts the copies too; the counter lets `status` take them off.
      if (record !== undefined)
        await writeIngestRecord(
          store,
          copies === 0 ? record : { ...record, counters: { ...record.counters, [COPIES_COUNTER]: copies } },
        );
      else if (copies > 0) await addCounters(store, { [COPIES_COUNTER]: copies });
    },
    async status() {
      // Every message of the stream is one event or a revocation copy; its last sequence less the
      // copies is how many events were ever stored (duplicates dropped by the window take no sequence).
      let ingested = 0;
      try {
        ingested = (await bus.jsm.streams.info(bus.names.stream)).state.last_seq;
      } catch (error) {
        throw unavailable(error);
      }
      ingested -= (await readCounters(store))[COPIES_COUNTER] ?? 0;
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
