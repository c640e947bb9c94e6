import { Worker } from 'node:worker_threads';
import type { DetectConfig } from '../model/config.js';
import { type ErrorCode, WardenError } from '../model/errors.js';
import type { IdentityEvent } from '../model/identity-event.js';
import type { Severity } from '../model/severity.js';
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
  | { id: number; op: 'accept'; events: readonly IdentityEvent[] }
  | { id: number; op: 'status' | 'ready' | 'idle' | 'close' };

export type ThreadReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; code: string | undefined; message: string }
  | { op: 'started' }
  | { op: 'failed'; message: string }
  | { op: 'error'; message: string };

/**
 * The embedded pipeline on its own thread: the request thread only hands events over (a message),
 * while queueing them in the store, reading them back, the identity-graph import, detection and the
 * commit of each partition's detector state run on the pipeline thread with its own connection to the
 * store. Same contract as createEmbeddedPipeline: `accept` resolves once the events are durable.
 * If the thread dies, every call fails with WARDEN_UNAVAILABLE (nothing is acknowledged that was not stored).
 * @example const pipeline = await startPipelineThread({ store: '.warden/warden.db', cwd, partitions: 16, ... });
 */
export async function startPipelineThread(
  data: PipelineThreadData,
  onError: (error: unknown) => void = () => {},
): Promise<IngestPipeline & { idle(): Promise<void> }> {
  const worker = new Worker(new URL('./pipeline-worker.js', import.meta.url), { workerData: data });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  let next = 0;
  let dead: Error | undefined;
  let closing = false;

  const fail = (error: Error) => {
    dead ??= error;
    for (const p of pending.values()) p.reject(unavailable(error.message));
    pending.clear();
  };
  const unavailable = (why: string) => new WardenError('WARDEN_UNAVAILABLE', `the detection pipeline is not running: ${why}`);

  const started = new Promise<void>((resolve, reject) => {
    worker.on('message', (m: ThreadReply) => {
      if ('id' in m) {
        const p = pending.get(m.id);
        if (p === undefined) return;
        pending.delete(m.id);
        if (m.ok) p.resolve(m.value);
        else p.reject(m.code?.startsWith('WARDEN_') ? new WardenError(m.code as ErrorCode, m.message) : new Error(m.message));
      } else if (m.op === 'started') resolve();
      else if (m.op === 'failed') {
        const error = new Error(`the detection pipeline did not start: ${m.message}`);
        fail(error);
        reject(error);
      } else onError(new Error(m.message));
    });
    worker.on('error', (error) => {
      fail(error);
      reject(error);
      onError(error);
    });
    worker.on('exit', (code) => {
      const error = new Error(`the pipeline thread exited (${code})`);
      fail(error);
      reject(error);
      if (!closing) onError(error);
    });
  });
  try {
    await started;
  } catch (error) {
    await worker.terminate();
    throw error;
  }

  const call = <T>(
    request: ThreadRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never,
  ): Promise<T> => {
    if (dead !== undefined) return Promise.reject(unavailable(dead.message));
    const id = next++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ ...request, id });
    });
  };

  return {
    mode: 'embedded',
    async accept(events) {
      if (closing) throw new WardenError('WARDEN_UNAVAILABLE', 'the server is shutting down');
      if (events.length === 0) return;
      await call<void>({ op: 'accept', events });
    },
    status: () => call<PipelineStatus>({ op: 'status' }),
    ready: async () => dead === undefined && !closing && (await call<boolean>({ op: 'ready' }).catch(() => false)),
    idle: () => call<void>({ op: 'idle' }),
    async close() {
      if (closing) return;
      closing = true;
      try {
        if (dead === undefined) await call<void>({ op: 'close' });
      } finally {
        await worker.terminate();
      }
    },
  };
}
