import { createHash } from 'node:crypto';
import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { connect, type NatsConnection, nanos } from '@nats-io/transport-node';
import { WardenError } from '../model/errors.js';

/** Stream and subject names; WARDEN_NATS_STREAM and WARDEN_NATS_PREFIX set them (tests use unique ones). */
export interface BusNames {
  /** The events stream: `<prefix>.events.<partition>`. */
  stream: string;
  /** The alerts stream: `<prefix>.alerts.<severity>`. */
  alertsStream: string;
  prefix: string;
}

export function busNames(env: Readonly<Record<string, string | undefined>>): BusNames {
  const stream = env.WARDEN_NATS_STREAM || 'WARDEN_EVENTS';
  const prefix = env.WARDEN_NATS_PREFIX || 'warden';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(stream))
    throw new WardenError('WARDEN_USAGE', 'WARDEN_NATS_STREAM takes letters, digits, _ and - only');
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(prefix))
    throw new WardenError('WARDEN_USAGE', 'WARDEN_NATS_PREFIX takes dot-separated tokens');
  return { stream, alertsStream: `${stream}_ALERTS`, prefix };
}

export const eventSubject = (names: BusNames, partition: number) => `${names.prefix}.events.${partition}`;
export const alertSubject = (names: BusNames, severity: string) => `${names.prefix}.alerts.${severity}`;

/** A connection to NATS with JetStream and the streams Warden uses. */
export interface Bus {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly names: BusNames;
  close(): Promise<void>;
}

/** How long a publish, or a JetStream API call, waits for its answer before the caller gives up (503). */
export const BUS_TIMEOUT_MS = 5000;

/**
 * Connects (reconnecting forever once connected) and makes sure both streams exist. The events stream
 * keeps records until a retention limit (no acknowledgement removes them: workers track their
 * position in the store), with a two-minute duplicate window so a client retrying a batch that timed
 * out adds nothing twice.
 * @example const bus = await connectBus('nats://127.0.0.1:4222', busNames(process.env));
 */
export async function connectBus(url: string, names: BusNames): Promise<Bus> {
  if (!/^(nats|tls):\/\//.test(url)) throw new WardenError('WARDEN_USAGE', `--bus takes nats://host:port, not "${url}"`);
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: url,
      name: 'warden',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      pingInterval: 5000,
      timeout: BUS_TIMEOUT_MS,
      // Each request (every JetStream publish: one per run of a request's events) otherwise builds two Error objects
      // up front for their async stack traces: in bench:ingest's bus rows, the server's CPU in Error
      // constructors went from 2.2 s (of 11 s) to 0.6 s (the one the client still makes as a request settles).
      noAsyncTraces: true,
    });
  } catch (error) {
    throw new WardenError('WARDEN_UNAVAILABLE', `cannot reach NATS at ${new URL(url).host}: ${(error as Error).message}`, [], {
      cause: error,
    });
  }
  const jsm = await jetstreamManager(nc, { timeout: BUS_TIMEOUT_MS });
  const js = jetstream(nc, { timeout: BUS_TIMEOUT_MS });
  await ensureStream(jsm, { name: names.stream, subjects: [`${names.prefix}.events.*`], duplicate_window: nanos(120_000) });
  await ensureStream(jsm, {
    name: names.alertsStream,
    subjects: [`${names.prefix}.alerts.>`],
    max_age: nanos(7 * 24 * 3600_000),
  });
  return {
    nc,
    js,
    jsm,
    names,
    close: async () => {
      if (!nc.isClosed()) await nc.drain().catch(() => nc.close());
    },
  };
}

async function ensureStream(
  jsm: JetStreamManager,
  cfg: { name: string; subjects: string[]; duplicate_window?: number; max_age?: number },
): Promise<void> {
  try {
    await jsm.streams.info(cfg.name);
  } catch {
    await jsm.streams.add(cfg);
  }
}

/** The message id JetStream deduplicates by: the hash of what was published (partition and run). */
export function messageId(payload: string): string {
  return createHash('sha256').update(payload).digest('base64url').slice(0, 32);
}

/**
 * (Re)creates the durable pull consumer of one partition, delivering from the message after `position`
 * (the last stream sequence the store's checkpoint covers). Acknowledgement is cumulative: acking a
 * message acknowledges every earlier one, which is what a commit of a batch means.
 */
export async function partitionConsumer(bus: Bus, partition: number, position: number) {
  const durable = `${bus.names.stream}_p${partition}`;
  try {
    await bus.jsm.consumers.delete(bus.names.stream, durable);
  } catch {
    // not there yet
  }
  await bus.jsm.consumers.add(bus.names.stream, {
    durable_name: durable,
    filter_subject: eventSubject(bus.names, partition),
    ack_policy: AckPolicy.All,
    ack_wait: nanos(60_000),
    max_ack_pending: 20_000,
    ...(position > 0
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: position + 1 }
      : { deliver_policy: DeliverPolicy.All }),
  });
  return bus.js.consumers.get(bus.names.stream, durable);
}
