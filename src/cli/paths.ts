import { accessSync, constants, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { WardenError } from '../model/errors.js';
import { termSafe } from '../report/terminal.js';
import type { CliIO } from './io.js';

/**
 * The input paths a command was given, resolved against the working directory, each checked to
 * exist and be readable before any work starts ("-" is standard input and passes). A missing or
 * unreadable path is exit 2 naming it, for every command.
 * @example const files = requireInputs(flags.replay, io)
 */
export function requireInputs(paths: readonly string[], io: CliIO): string[] {
  return paths.map((p) => {
    if (p === '-') return p;
    const abs = resolve(io.cwd, p);
    try {
      statSync(abs);
      accessSync(abs, constants.R_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (code ?? 'cannot read');
      throw new WardenError('WARDEN_SOURCE_UNREADABLE', `cannot read ${termSafe(p)}: ${why}`);
    }
    return abs;
  });
}

/**
 * An output path checked before the work starts (a scan of a large tree must not end in "cannot
 * write"): its folder exists and is writable, and it is not itself a folder.
 * @example const out = requireOutput(flags.output, io)
 */
export function requireOutput(path: string, io: CliIO): string {
  const abs = resolve(io.cwd, path);
  const fail = (why: string) => new WardenError('WARDEN_OUTPUT_UNWRITABLE', `cannot write ${termSafe(path)}: ${why}`);
  let isDir = false;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    // does not exist yet: its folder must
  }
  if (isDir) throw fail('it is a directory');
  const dir = dirname(abs);
  try {
    if (!statSync(dir).isDirectory()) throw fail(`${termSafe(dir)} is not a directory`);
    accessSync(dir, constants.W_OK);
  } catch (err) {
    if (err instanceof WardenError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw fail(code === 'ENOENT' ? `no such directory ${termSafe(dir)}` : code === 'EACCES' ? 'permission denied' : String(code));
  }
  return abs;
}

/** Writes a report to a path `requireOutput` accepted; a failure at the last moment is still exit 2 naming it. */
export function writeOutput(abs: string, content: string, shown: string): void {
  try {
    writeFileSync(abs, content);
  } catch (err) {
    throw new WardenError(
      'WARDEN_OUTPUT_UNWRITABLE',
      `cannot write ${termSafe(shown)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}
