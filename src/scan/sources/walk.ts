import { type Dirent, existsSync, readdirSync, readFileSync, type Stats, statSync } from 'node:fs';
import { join } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { WardenError } from '../../model/errors.js';
import { defaultExcludeReason, VENDORED_DIRS } from './excludes.js';
import type { OnSkip, ScanItem } from './types.js';

export interface WalkOptions {
  root: string;
  maxFileSize: number;
  defaultExcludes: boolean;
  /** Extra gitignore-style patterns (config `scan.exclude`, `--exclude`), relative to the root. */
  exclude?: readonly string[] | undefined;
  onSkip?: OnSkip | undefined;
}

interface Scope {
  /** Directory of the ignore file, relative to the root ('' for the root), with a trailing slash. */
  dir: string;
  ig: Ignore;
}

function readIgnoreFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Walks a directory tree depth-first in name order, honouring .gitignore files at every level, a
 * root `.wardenignore`, configured excludes and the default excludes. Symbolic links are never
 * followed (so link loops cannot happen); they are reported as skipped.
 * @example for (const item of walkTree({ root: '.', maxFileSize: 10e6, defaultExcludes: true })) …
 */
export function* walkTree(opts: WalkOptions): Generator<ScanItem> {
  const onSkip = opts.onSkip ?? (() => {});
  let rootStat: Stats;
  try {
    rootStat = statSync(opts.root);
  } catch (err) {
    throw new WardenError('WARDEN_SOURCE_UNREADABLE', `cannot read ${opts.root}: ${(err as Error).message}`);
  }
  if (rootStat.isFile()) {
    const name = opts.root.split(/[\\/]/).pop() ?? opts.root;
    if (rootStat.size > opts.maxFileSize) onSkip(name, 'too-large', `${rootStat.size} bytes`);
    else yield { path: name, absPath: opts.root, size: rootStat.size };
    return;
  }
  // ignore's ignorecase defaults to true; git is case-sensitive on Linux, so keep it so.
  const base = ignore({ ignorecase: false });
  const wardenignore = readIgnoreFile(join(opts.root, '.wardenignore'));
  if (wardenignore !== undefined) base.add(wardenignore);
  if (opts.exclude?.length) base.add([...opts.exclude]);
  const scopes: Scope[] = [{ dir: '', ig: base }];

  const ignoredBy = (rel: string, isDir: boolean): boolean => {
    for (const s of scopes) {
      if (!rel.startsWith(s.dir)) continue;
      const sub = rel.slice(s.dir.length) + (isDir ? '/' : '');
      if (s.ig.ignores(sub)) return true;
    }
    return false;
  };

  function* visit(absDir: string, relDir: string): Generator<ScanItem> {
    let entries: Dirent[];
    try {
      // Entry types come with the names: no lstat per entry. A file's size is checked where it is read.
      entries = readdirSync(absDir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (err) {
      onSkip(relDir || '.', 'unreadable', (err as NodeJS.ErrnoException).code ?? (err as Error).message);
      return;
    }
    // Only a directory that lists a .gitignore is asked for one: no failed open (and its error) per directory.
    const gitignore = entries.some((e) => e.name === '.gitignore') ? readIgnoreFile(join(absDir, '.gitignore')) : undefined;
    const pushed = gitignore !== undefined;
    if (pushed) scopes.push({ dir: relDir, ig: ignore({ ignorecase: false }).add(gitignore) });
    for (const entry of entries) {
      const name = entry.name;
      const rel = relDir + name;
      const abs = join(absDir, name);
      if (entry.isSymbolicLink()) {
        onSkip(rel, 'symlink');
        continue;
      }
      if (entry.isDirectory()) {
        if (name === '.git') continue;
        if (opts.defaultExcludes && VENDORED_DIRS.has(name)) {
          onSkip(`${rel}/`, 'excluded', `vendored (${name})`);
          continue;
        }
        if (ignoredBy(rel, true)) {
          onSkip(`${rel}/`, 'ignored');
          continue;
        }
        yield* visit(abs, `${rel}/`);
        continue;
      }
      if (!entry.isFile()) continue; // sockets, FIFOs, devices: nothing to read
      if (ignoredBy(rel, false)) {
        onSkip(rel, 'ignored');
        continue;
      }
      if (opts.defaultExcludes) {
        const reason = defaultExcludeReason(rel);
        if (reason !== undefined) {
          onSkip(rel, 'excluded', reason);
          continue;
        }
      }
      yield { path: rel, absPath: abs };
    }
    if (pushed) scopes.pop();
  }
  yield* visit(opts.root, '');
}

/** A path predicate for sources that are not a directory walk (git history): .wardenignore + excludes. */
export function createPathIgnore(root: string, exclude?: readonly string[]): (relPath: string) => boolean {
  const ig = ignore({ ignorecase: false });
  const file = join(root, '.wardenignore');
  if (existsSync(file)) ig.add(readFileSync(file, 'utf8'));
  if (exclude?.length) ig.add([...exclude]);
  return (rel) => ig.ignores(rel);
}
