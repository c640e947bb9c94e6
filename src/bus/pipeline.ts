import type { DetectorOptions } from '../detect/engine.js';
import { partitionOf } from '../detect/partition.js';
import { WardenError } from '../model/errors.js';
import type { IdentityEvent } from '../model/identity-event.js';
import { type IngestRecord, liveWorkers, processedTotal, writeIngestRecord } from '../store/partitions.js';
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
 * Publishes accepted events to JetStream, one message per event on its partition's subject, and
 * resolves only when JetStream acknowledged every one: a 202 means the stream has them. On any failure
 * it throws WARDEN_UNAVAILABLE; a retry of the same batch is deduplicated by message id.
 */
export function createBusPipeline(bus: Bus, store: Store, partitions: number): BusPipeline {
  return {
    mode: 'bus',
    async accept(events, record) {
      if (bus.nc.isClosed()) throw unavailable(new Error('connection closed'));
      try {
        await Promise.all(
          events.map((e) => {
            const payload = JSON.stringify(e);
            return bus.js.publish(eventSubject(bus.names, partitionOf(e, partitions)), payload, {
              msgID: messageId(payload),
              timeout: BUS_TIMEOUT_MS,
            });
          }),
        );
      } catch (error) {
        throw unavailable(error);
      }
      // Counters and the audit entry follow the acknowledgement: the records are already safe.
      if (record !== undefined) await writeIngestRecord(store, record);
    },
    async status() {
      // Every message of the stream is one event; its last sequence is how many were ever stored
      // (duplicates dropped by the window take no sequence).
      let ingested = 0;
      try {
        ingested = (await bus.jsm.streams.info(bus.names.stream)).state.last_seq;
      } catch (error) {
        throw unavailable(error);
      }
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
