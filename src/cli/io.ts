import type { Readable } from 'node:stream';

/** Everything the CLI touches of the outside world, so tests can run it in-process. */
export interface CliIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  stdin: Readable;
  /** Whether stdout / stderr are terminals: tables and colour for people, progress on stderr. */
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
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
