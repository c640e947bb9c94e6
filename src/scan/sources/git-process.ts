import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';

export interface GitExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

export interface GitProcess {
  child: ChildProcessWithoutNullStreams;
  /** Resolves once the process has exited and its pipes have closed (or it failed to start). */
  closed: Promise<GitExit>;
  stderr: () => string;
  /** Kills the process if still running and waits until it has been reaped. */
  stop: () => Promise<void>;
}

// Repository config must not change the output we parse, nor run programs: a scanned repository
// may be untrusted, and core.fsmonitor names a command git would execute.
const SAFE_CONFIG = ['-c', 'core.fsmonitor=false', '-c', 'diff.relative=false', '-c', 'log.showSignature=false'];

/**
 * Starts git with the repository config that could change our parse or run programs overridden.
 * @example const git = spawnGit('.', ['rev-parse', 'HEAD']); git.child.stdin.end(); await git.closed;
 */
export function spawnGit(cwd: string, args: readonly string[]): GitProcess {
  const child = spawn('git', [...SAFE_CONFIG, ...args], {
    cwd,
    // Do not take index.lock for opportunistic index refreshes: a pre-commit hook may hold it.
    // No lock files in a repository we only read; no network fetches of missing blobs in a
    // partial clone (they come back as 'missing' skips instead of a slow fetch per blob).
    env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', GIT_NO_LAZY_FETCH: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    if (stderr.length < 8192) stderr += text;
  });
  // EPIPE when git exits before reading all input; the exit status tells what went wrong.
  child.stdin.on('error', () => {});
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const closed = new Promise<GitExit>((resolve) => {
    child.once('error', (error) => {
      spawnError = error;
      resolve({ code: null, signal: null, error });
    });
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  const stop = async (): Promise<void> => {
    child.stdin.destroy();
    child.stdout.destroy();
    if (spawnError === undefined && child.exitCode === null && child.signalCode === null) child.kill();
    await exited;
  };
  return { child, closed, stderr: () => stderr, stop };
}

export function failed(exit: GitExit): boolean {
  return exit.error !== undefined || exit.code !== 0;
}

/**
 * A git process spoken to through a pipe: what `git cat-file --batch` needs (names in, objects out).
 * `write` returns a promise when the caller should wait before writing more.
 */
export interface GitPipe {
  stdout: AsyncIterable<Buffer>;
  write(text: string): Promise<void> | undefined;
  end(): void;
  /** Input can no longer be written (git exited or was stopped). */
  readonly inputClosed: boolean;
  closed: Promise<GitExit>;
  stderr: () => string;
  stop: () => Promise<void>;
}

/** A GitPipe over a process of this thread: git blocks as soon as its pipe to us is full. */
export function directGitPipe(cwd: string, args: readonly string[]): GitPipe {
  const git = spawnGit(cwd, args);
  const stdin = git.child.stdin;
  return {
    stdout: git.child.stdout,
    write: (text) => (stdin.write(text) ? undefined : drained(stdin)),
    end: () => stdin.end(),
    get inputClosed() {
      return stdin.destroyed;
    },
    closed: git.closed,
    stderr: git.stderr,
    stop: git.stop,
  };
}

function drained(stream: NodeJS.WritableStream & { destroyed: boolean }): Promise<void> {
  if (stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}

/** Messages of the reader thread (git-reader.ts) to this one. */
export type ReaderMessage =
  | { type: 'data'; chunk: Uint8Array }
  | { type: 'closed'; code: number | null; signal: NodeJS.Signals | null; error?: string; errno?: string; stderr: string };

/** Messages of this thread to the reader thread. */
export type ReaderCommand = { type: 'write'; text: string } | { type: 'end' } | { type: 'ack'; bytes: number } | { type: 'stop' };

export interface ReaderConfig {
  cwd: string;
  /** git's arguments, as to `spawnGit`. */
  args: string[];
  /** Bytes the reader may hold that this thread has not taken yet; past it, git waits. */
  budget: number;
}

/** Bytes of names buffered before they go to the reader thread at once (else at the end of this turn). */
const WRITE_FLUSH = 16 * 1024;

/**
 * A GitPipe whose process is run by a thread of its own, which reads git's output as fast as git
 * writes it (up to `budget` bytes ahead of the caller), so git keeps working while this thread is
 * busy scanning instead of stopping each time its 64 KiB pipe fills. Output arrives in order.
 */
export function threadedGitPipe(cwd: string, args: readonly string[], budget: number): GitPipe {
  const config: ReaderConfig = { cwd, args: [...args], budget };
  const worker = new Worker(new URL('./git-reader.js', import.meta.url), { workerData: config });
  const queue: Buffer[] = [];
  let ended = false;
  let inputClosed = false;
  let wake: (() => void) | undefined;
  let stderr = '';
  let resolveClosed!: (exit: GitExit) => void;
  const closed = new Promise<GitExit>((resolve) => {
    resolveClosed = resolve;
  });
  const finish = (exit: GitExit): void => {
    ended = true;
    inputClosed = true;
    resolveClosed(exit);
    wake?.();
  };
  worker.on('message', (msg: ReaderMessage) => {
    if (msg.type === 'data') queue.push(Buffer.from(msg.chunk.buffer, msg.chunk.byteOffset, msg.chunk.byteLength));
    else {
      stderr = msg.stderr;
      finish(
        msg.error === undefined
          ? { code: msg.code, signal: msg.signal }
          : {
              code: null,
              signal: null,
              error: Object.assign(new Error(msg.error), msg.errno === undefined ? {} : { code: msg.errno }),
            },
      );
    }
    wake?.();
  });
  worker.on('error', (error) => finish({ code: null, signal: null, error }));
  worker.on('exit', () => finish({ code: null, signal: null, error: new Error('git reader thread exited') }));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const post = (cmd: ReaderCommand): void => {
    if (!inputClosed || cmd.type === 'stop') worker.postMessage(cmd);
  };
  let pending = '';
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending === '') return;
    post({ type: 'write', text: pending });
    pending = '';
  };
  async function* stdout(): AsyncGenerator<Buffer> {
    for (;;) {
      const chunk = queue.shift();
      if (chunk !== undefined) {
        post({ type: 'ack', bytes: chunk.length });
        yield chunk;
        continue;
      }
      if (ended) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  }
  return {
    stdout: stdout(),
    write(text) {
      pending += text;
      if (pending.length >= WRITE_FLUSH) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
      return undefined;
    },
    end() {
      flush();
      post({ type: 'end' });
    },
    get inputClosed() {
      return inputClosed;
    },
    closed,
    stderr: () => stderr,
    async stop() {
      post({ type: 'stop' });
      await exited;
    },
  };
}
