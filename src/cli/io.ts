import type { Readable, Writable } from 'node:stream';

/** Everything the CLI touches of the outside world, so tests can run it in-process. */
export interface CliIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  stdin: Readable;
  /** Whether stdout / stderr are terminals: tables and colour for people, progress on stderr. */
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  /** The terminal's width in columns when stdout is one (`COLUMNS` in `env` wins); tables fit it. */
  columns?: number | undefined;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

/** Collects output in memory: `const io = memoryIO(); await run(['scan'], io); io.out()`. */
export function memoryIO(overrides: Partial<CliIO> = {}): CliIO & { out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    stdout: (s) => out.push(s),
    stderr: (s) => err.push(s),
    stdin: overrides.stdin ?? (process.stdin as Readable),
    stdoutIsTTY: false,
    stderrIsTTY: false,
    env: {},
    cwd: process.cwd(),
    ...overrides,
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

/**
 * Writes to a stream of the real process, ending the process quietly (exit 0) when the reader of a
 * pipe has gone: `warden rules list | head -1` is a finished command, not a crash, and CI must not read
 * an EPIPE as "findings". Every stream the CLI writes people's output to goes through this.
 */
export function pipeSafeWriter(stream: Writable, onClosed: () => void = () => process.exit(0)): (s: string) => void {
  let closed = false;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') {
      closed = true;
      onClosed();
      return;
    }
    throw err;
  });
  return (s) => {
    if (closed) return;
    try {
      stream.write(s);
    } catch (err) {
      // Some platforms raise EPIPE synchronously.
      if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
      closed = true;
      onClosed();
    }
  };
}

/**
 * The CLI's io for the real process: standard streams behind `pipeSafeWriter`, the terminal's width,
 * the environment and working directory. `bin.ts` passes this to `run`.
 */
export function processIO(): CliIO {
  return {
    stdout: pipeSafeWriter(process.stdout),
    stderr: pipeSafeWriter(process.stderr),
    stdin: process.stdin,
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    columns: process.stdout.isTTY ? process.stdout.columns : undefined,
    env: process.env,
    cwd: process.cwd(),
  };
}
