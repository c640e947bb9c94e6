import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Expands the paths a user gives (`--replay logs/`) into files: a directory stands for every file
 * below it, in name order (hidden entries and `truth.json`-style metadata included only if named).
 * "-" and plain files pass through; a missing path passes through too, to be reported as unreadable.
 * @example expandInputs(['logs/', 'extra.jsonl']) // ['logs/cloudtrail/00.json.gz', …, 'extra.jsonl']
 */
export function expandInputs(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    )) {
      if (entry.name.startsWith('.')) continue;
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) out.push(p);
    }
  };
  for (const p of paths) {
    let dir = false;
    try {
      dir = p !== '-' && statSync(p).isDirectory();
    } catch {
      dir = false;
    }
    if (dir) walk(p);
    else out.push(p);
  }
  return out;
}
