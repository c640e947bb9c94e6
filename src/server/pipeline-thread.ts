import { type ResourceLimits, Worker } from 'node:worker_threads';
import type { DetectConfig } from '../model/config.js';
import { type ErrorData, fromErrorData, WardenError } from '../model/errors.js';
import { EVENT_PATH_YOUNG_GENERATION_MB } from '../model/heap.js';
import type { Severity } from '../model/severity.js';
import type { IngestRecord } from '../store/partitions.js';
import { type QueueRow, queueRows } from '../store/queue-rows.js';
import type { IngestPipeline, PipelineStatus } from './context.js';

/** What the pipeline thread is started with: everything plain data, the detector rebuilt there. */
export interface PipelineThreadData {
  /** The store's URL or file (never `:memory:`: that database exists in one thread only). */
  store: string | undefined;
  cwd: string;
  partitions: number;
  learnUntil: number | undefined;
  config: DetectConfig | undefined;
  severity: Readonly<Record<string, Severity>> | undefined;
  /** The policy manifest, for the declared expectations (runtime.policy.violation). */
  policyFile: string | undefined;
}

export type ThreadRequest =
  | { id: number; op: 'accept'; rows: readonly QueueRow[]; record: IngestRecord | undefined }
  | { id: number; op: 'status' | 'ready' | 'idle' | 'close' };

export type ThreadReply =
  | { id: number; ok: true; value: unknown }
  | ({ id: number; ok: false } & ErrorData)
  | { op: 'started' }
  | { op: 'failed'; message: string }
  | { op: 'error'; message: string };

/** A thread that dies is started again after this long, doubling up to the maximum while it keeps dying. */
const RESTART_MIN_MS = 500;
const RESTART_MAX_MS = 30_000;

/**
 * The embedded pipeline on its own thread: the request thread only hands events over (a message),
 * while queueing them in the store, reading them back, the identity-graph import, detection and the
 * commit of each partition's detector state run on the pipeline thread with its own connection to the
 * store. Same contract as createEmbeddedPipeline: `accept` resolves once the events are durable.
 * If the thread dies, calls fail with WARDEN_UNAVAILABLE (nothing is acknowledged that was not stored)
 * until a new thread has started from the stored state: it is started again at once, then with a
 * doubling delay (up to 30 s) while it keeps dying. A thread that cannot start at all stops the server's
 * start instead.
 * @example const pipeline = await startPipelineThread({ store: '.warden/warden.db', cwd, partitions: 16, ... });
 */
export async function startPipelineThread(
  data: PipelineThreadData,
  onError: (error: unknown) => void = () => {},
): Promise<IngestPipeline & { idle(): Promise<void>; restart(): Promise<void>; heapLimits(): ResourceLimits | undefined }> {
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  let next = 0;
  let dead: Error | undefined;
  let closing = false;
  let worker: Worker | undefined;
  let delay = 0;
  let timer: NodeJS.Timeout | undefined;
  /** Waiters for the next thread to start (restart()). */
  let onStarted: Array<() => void> = [];

  const unavailable = (why: string) => new WardenError('WARDEN_UNAVAILABLE', `the detection pipeline is not running: ${why}`);
  const fail = (error: Error) => {
    dead ??= error;
    for (const p of pending.values()) p.reject(unavailable(error.message));
    pending.clear();
  };

  /** Starts a thread; resolves when it reports started, rejects when it cannot start. */
  const spawn = () =>
    new Promise<void>((resolve, reject) => {
      const w = new Worker(new URL('./pipeline-worker.js', import.meta.url), {
        workerData: data,
        resourceLimits: { maxYoungGenerationSizeMb: EVENT_PATH_YOUNG_GENERATION_MB },
      });
      worker = w;
      let started = false;
      w.on('message', (m: ThreadReply) => {
        if ('id' in m) {
          const p = pending.get(m.id);
          if (p === undefined) return;
          pending.delete(m.id);
          if (m.ok) p.resolve(m.value);
          else p.reject(fromErrorData(m));
        } else if (m.op === 'started') {
          started = true;
          dead = undefined;
          for (const f of onStarted) f();
          onStarted = [];
          resolve();
        } else if (m.op === 'failed') {
          const error = new Error(`the detection pipeline did not start: ${m.message}`);
          fail(error);
          reject(error);
          // A replacement that cannot start ends, and is tried again later (the first start's failure is the caller's).
          if (running) void w.terminate();
        } else onError(new Error(m.message));
      });
      w.on('error', (error) => {
        fail(error);
        reject(error);
        onError(error);
      });
      w.on('exit', (code) => {
        const error = new Error(`the pipeline thread exited (${code})`);
        fail(error);
        reject(error);
        if (closing || !running || worker !== w) return;
        onError(error);
        // A thread that ran is started again at once; one that keeps dying waits longer each time.
        delay = started ? 0 : Math.min(RESTART_MAX_MS, Math.max(RESTART_MIN_MS, delay * 2));
        timer = setTimeout(() => {
          timer = undefined;
          if (!closing) spawn().catch(() => {});
        }, delay);
      });
    });

  /** The first thread started: from then on, a thread that dies is replaced. */
  let running = false;
  try {
    await spawn();
    running = true;
  } catch (error) {
    closing = true;
    await worker?.terminate();
    throw error;
  }

  const call = <T>(
    request: ThreadRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never,
  ): Promise<T> => {
    if (dead !== undefined || worker === undefined) return Promise.reject(unavailable(dead?.message ?? 'not started'));
    const id = next++;
    const w = worker;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      w.postMessage({ ...request, id });
    });
  };

  return {
    mode: 'embedded',
    async accept(events, record) {
      if (closing) throw new WardenError('WARDEN_UNAVAILABLE', 'the server is shutting down');
      if (events.length === 0 && record === undefined) return;
      // Partitioned and serialised here: strings cross to the thread far cheaper than event objects.
      await call<void>({ op: 'accept', rows: queueRows(events, data.partitions), record });
    },
    status: () => call<PipelineStatus>({ op: 'status' }),
    ready: async () => dead === undefined && !closing && (await call<boolean>({ op: 'ready' }).catch(() => false)),
    idle: () => call<void>({ op: 'idle' }),
    /** The running thread's heap limits as V8 applies them (undefined while no thread runs). */
    heapLimits: () => worker?.resourceLimits,
    /** Stops the thread as a crash would and waits for its replacement (operations; tests of the recovery). */
    async restart() {
      if (closing) throw new WardenError('WARDEN_UNAVAILABLE', 'the server is shutting down');
      const started = new Promise<void>((resolve) => onStarted.push(resolve));
      await worker?.terminate();
      await started;
    },
    async close() {
      if (closing) return;
      closing = true;
      if (timer !== undefined) clearTimeout(timer);
      try {
        if (dead === undefined) await call<void>({ op: 'close' });
      } finally {
        await worker?.terminate();
      }
    },
  };
}
