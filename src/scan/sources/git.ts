import { existsSync } from 'node:fs';
import { WardenError } from '../../model/errors.js';
import type { CommitInfo } from '../../model/finding.js';
import { defaultExcludeReason, looksBinary } from './excludes.js';
import { directGitPipe, failed, type GitExit, type GitPipe, type GitProcess, spawnGit, threadedGitPipe } from './git-process.js';
import type { OnSkip, ScanItem } from './types.js';

export interface GitSourceOptions {
  /** A directory inside the repository. Reported paths are relative to the repository's top level. */
  cwd: string;
  /** Only commits not reachable from this rev (incremental scans). */
  since?: string | undefined;
  /** Bytes; bigger blobs are skipped with reason 'too-large'. */
  maxFileSize: number;
  /** Apply defaultExcludeReason() to paths (skip reason 'excluded', detail = the reason). */
  defaultExcludes: boolean;
  /** Path ignores (.wardenignore); skip reason 'ignored'. */
  isIgnored?: ((relPath: string) => boolean) | undefined;
  onSkip?: OnSkip | undefined;
  /** How blobs are read from git (see CatFileReader); default: a reader thread for history, this thread for staged files. */
  reader?: CatFileReader | undefined;
}

/** One object read back from `git cat-file --batch`. */
interface BatchObject {
  oid: string;
  data?: Buffer;
  size: number;
  missing?: boolean;
  tooLarge?: boolean;
}

/** One line of `--raw` output: the new side of a file change. */
interface RawChange {
  commit?: CommitInfo;
  mode: string;
  oid: string;
  path: string;
}

const COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const NULL_ID = /^0+$/;
const MODE_SYMLINK = '120000';
const MODE_SUBMODULE = '160000';

function firstLine(text: string): string | undefined {
  return text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '');
}

/** Turns a failed git run into an error that says what to do next. */
function gitError(cwd: string, what: string, exit: GitExit, stderr: string): WardenError {
  const errno = (exit.error as NodeJS.ErrnoException | undefined)?.code;
  if (errno === 'ENOENT') {
    // spawn reports a missing cwd as ENOENT too, naming the program rather than the directory.
    return existsSync(cwd)
      ? new WardenError(
          'WARDEN_GIT_FAILED',
          'git is not installed or not on PATH; install git, or run warden scan without --git',
          [],
          { cause: exit.error },
        )
      : new WardenError(
          'WARDEN_GIT_FAILED',
          `${cwd} does not exist; point warden scan at a directory inside a git repository`,
          [],
          { cause: exit.error },
        );
  }
  const detail = firstLine(stderr) ?? exit.error?.message ?? `exit code ${exit.code ?? exit.signal}`;
  if (/not a git repository/i.test(stderr)) {
    return new WardenError(
      'WARDEN_GIT_FAILED',
      `${cwd} is not inside a git repository (${detail}); run warden scan without --git, or point it at a repository`,
    );
  }
  return new WardenError(
    'WARDEN_GIT_FAILED',
    `${what} failed in ${cwd} (${detail}); fix what git reports, or run warden scan without --git`,
  );
}

/** Runs git to completion, for the small questions asked before streaming starts. */
async function runGit(cwd: string, args: readonly string[]): Promise<{ exit: GitExit; stdout: string; stderr: string }> {
  const git = spawnGit(cwd, args);
  git.child.stdin.end();
  let stdout = '';
  git.child.stdout.setEncoding('utf8');
  git.child.stdout.on('data', (text: string) => {
    stdout += text;
  });
  const exit = await git.closed;
  return { exit, stdout, stderr: git.stderr() };
}

/**
 * The repository's top-level folder: history and staged paths are relative to it, so path ignores
 * (.wardenignore) and report roots are taken from there.
 * @example await gitTopLevel('/repo/src') // '/repo'
 */
export async function gitTopLevel(cwd: string): Promise<string> {
  const r = await runGit(cwd, ['rev-parse', '--show-toplevel']);
  if (failed(r.exit)) throw gitError(cwd, 'git rev-parse', r.exit, r.stderr);
  return r.stdout.trim();
}

async function ensureRepository(cwd: string): Promise<void> {
  const r = await runGit(cwd, ['rev-parse', '--git-dir']);
  if (failed(r.exit)) throw gitError(cwd, 'git rev-parse', r.exit, r.stderr);
}

async function ensureCommit(cwd: string, since: string): Promise<void> {
  const hint = 'pass an existing commit, branch or tag (in a shallow CI clone, fetch it first)';
  // A leading dash would be read as an option by git rev-parse.
  if (since.startsWith('-') || since.trim() === '') {
    throw new WardenError('WARDEN_GIT_FAILED', `"${since}" is not a revision to scan since; ${hint}`);
  }
  const r = await runGit(cwd, ['rev-parse', '--verify', '--quiet', `${since}^{commit}`]);
  if (failed(r.exit)) {
    const detail = firstLine(r.stderr) ?? 'no such commit';
    throw new WardenError(
      'WARDEN_GIT_FAILED',
      `cannot scan history since "${since}": not a commit in ${cwd} (${detail}); ${hint}`,
    );
  }
}

/**
 * Splits a `-z` stream into NUL-terminated tokens, a chunk's worth at a time: the bytes up to a chunk's
 * last NUL are decoded at once and split (a NUL byte is never part of a UTF-8 sequence, so a token
 * decodes as it would alone), the rest waits for the next chunk. A last token without its NUL is kept.
 * Exported for tests.
 * @example for await (const tokens of nulTokens(child.stdout)) for (const t of tokens) console.log(t);
 */
export async function* nulTokens(stream: AsyncIterable<Buffer>): AsyncGenerator<string[]> {
  let rest: Buffer | undefined;
  for await (const chunk of stream) {
    const last = chunk.lastIndexOf(0);
    if (last === -1) {
      rest = rest === undefined ? chunk : Buffer.concat([rest, chunk]);
      continue;
    }
    const head = rest === undefined ? chunk.subarray(0, last) : Buffer.concat([rest, chunk.subarray(0, last)]);
    yield head.toString('utf8').split('\0');
    rest = last + 1 < chunk.length ? chunk.subarray(last + 1) : undefined;
  }
  if (rest !== undefined && rest.length > 0) yield [rest.toString('utf8')];
}

function unexpected(what: string): WardenError {
  return new WardenError('WARDEN_GIT_FAILED', `unexpected git output (${what}); please report this with your git version`);
}

/**
 * Parses `--raw -z` output, from `git log` (with our NUL-separated commit header) or `git diff`.
 * Raw records are `:<modes> <ids> <status>` NUL `<path>` NUL, with one colon per parent; merges
 * shown with -c have one mode and id per parent plus the result, e.g. `::100644 100644 100644 <p1> <p2> <new> MM`.
 * git puts a newline or an empty token between the header and the records, so both are skipped.
 */
async function* parseRaw(batches: AsyncIterable<string[]>): AsyncGenerator<RawChange> {
  let commit: CommitInfo | undefined;
  let header: string[] | undefined;
  let record: string | undefined;
  for await (const tokens of batches) {
    for (const token of tokens) {
      if (record !== undefined) {
        const change = parseRecord(record, token);
        record = undefined;
        yield commit === undefined ? change : { ...change, commit };
        continue;
      }
      // Header fields are positional: a name or email may be empty or look like anything.
      if (header !== undefined) {
        header.push(token);
        if (header.length === 4) {
          const [sha, author, email, date] = header as [string, string, string, string];
          commit = { sha, author, email, date };
          header = undefined;
        }
        continue;
      }
      const t = token.replace(/^\n+/, '');
      if (t.startsWith(':')) record = t;
      else if (COMMIT_ID.test(t)) header = [t];
      else if (t !== '') throw unexpected(`token ${JSON.stringify(t.slice(0, 80))}`);
    }
  }
  if (record !== undefined || header !== undefined) throw unexpected('output ended mid-record');
}

function parseRecord(record: string, path: string): Omit<RawChange, 'commit'> {
  const parents = record.length - record.replace(/^:+/, '').length;
  const fields = record.slice(parents).split(' ');
  // parents+1 modes, parents+1 ids, then the status letters; the last mode and id are the result's.
  if (fields.length !== 2 * (parents + 1) + 1) throw unexpected(`raw record ${JSON.stringify(record)}`);
  return { mode: fields[parents]!, oid: fields[2 * parents + 1]!, path };
}

/**
 * How `git cat-file --batch` is read: on this thread (git waits whenever its 64 KiB pipe is full and
 * this thread is busy), or by a reader thread that takes git's output as it comes, up to
 * READER_BUDGET bytes ahead, so git keeps decompressing while this thread scans.
 */
export type CatFileReader = 'direct' | 'thread';
/** Bytes of `cat-file` output the reader thread may hold that the scan has not taken yet. */
const READER_BUDGET = 32 * 1024 * 1024;
/** Blobs asked of `cat-file` newest first at a time (see blobItems). */
const READ_WINDOW = 1024;
/** Object names sent to `cat-file` ahead of the objects read back. */
const MAX_AHEAD = 4096;

/** Parses `git cat-file --batch` output: `<oid> <type> <size>` LF, the bytes, LF; or `<name> missing` LF. */
async function* readBatch(stdout: AsyncIterable<Buffer>, maxSize: number): AsyncGenerator<BatchObject> {
  const chunks = stdout[Symbol.asyncIterator]();
  let buf: Buffer = Buffer.alloc(0);
  const more = async (): Promise<boolean> => {
    const r = await chunks.next();
    if (r.done) return false;
    buf = buf.length === 0 ? r.value : Buffer.concat([buf, r.value]);
    return true;
  };
  const truncated = (): WardenError => unexpected('git cat-file output ended mid-object');
  for (;;) {
    let nl = buf.indexOf(10);
    while (nl === -1) {
      if (!(await more())) {
        if (buf.length > 0) throw truncated();
        return;
      }
      nl = buf.indexOf(10);
    }
    const header = buf.toString('utf8', 0, nl);
    buf = buf.subarray(nl + 1);
    const m = /^([0-9a-f]+) [a-z]+ (\d+)$/.exec(header);
    if (m === null) {
      // An unknown or ambiguous name is echoed back as given; either way there is nothing to read.
      const gone = / (?:missing|ambiguous)$/.exec(header);
      if (gone === null) throw unexpected(`cat-file header ${JSON.stringify(header.slice(0, 120))}`);
      yield { oid: header.slice(0, gone.index), size: 0, missing: true };
      continue;
    }
    const oid = m[1]!;
    const size = Number(m[2]);
    // A blob wholly inside the chunk in hand is a view of it (no copy; the chunk lives as long as
    // the blob does); one that spans chunks is gathered into memory of its own.
    if (size <= maxSize && buf.length > size) {
      const data = buf.subarray(0, size);
      if (buf[size] !== 10) throw unexpected('cat-file object not followed by a newline');
      buf = buf.subarray(size + 1);
      yield { oid, data, size };
      continue;
    }
    // Over the limit, bytes are dropped as they stream past, so a huge blob never sits in memory.
    const data = size <= maxSize ? Buffer.allocUnsafeSlow(size) : undefined;
    let filled = 0;
    while (filled < size) {
      if (buf.length === 0 && !(await more())) throw truncated();
      const n = Math.min(size - filled, buf.length);
      if (data !== undefined) buf.copy(data, filled, 0, n);
      filled += n;
      buf = buf.subarray(n);
    }
    if (buf.length === 0 && !(await more())) throw truncated();
    if (buf[0] !== 10) throw unexpected('cat-file object not followed by a newline');
    buf = buf.subarray(1);
    yield data === undefined ? { oid, size, tooLarge: true } : { oid, data, size };
  }
}

/**
 * Low-level: a streaming reader of `git cat-file --batch`, exported for the history benchmark.
 * Names are written to git as they arrive and objects come back in request order; memory stays
 * bounded because git blocks when the reader falls behind. Objects over `maxSize` bytes are
 * reported with `tooLarge` and no data. Stopping early (break) kills git.
 * @example
 * for await (const o of catFileBatch('.', ['e69de29bb2d1d6434b8b29ae775ad8c2e48c5391'])) console.log(o.oid, o.size);
 */
export async function* catFileBatch(
  cwd: string,
  oids: AsyncIterable<string> | Iterable<string>,
  maxSize: number = Number.POSITIVE_INFINITY,
  reader: CatFileReader = 'direct',
): AsyncGenerator<BatchObject> {
  const git: GitPipe =
    reader === 'thread'
      ? threadedGitPipe(cwd, ['cat-file', '--batch'], READER_BUDGET)
      : directGitPipe(cwd, ['cat-file', '--batch']);
  let stopped = false;
  let inputDone = false;
  let writeError: unknown;
  let requested = 0;
  let received = 0;
  // Names sent ahead of the objects read back are bounded (git's pipe does it for the direct reader).
  let caughtUp: (() => void) | undefined;
  // The writer runs alongside the reader; its failure is kept and rethrown by the reader, never left unhandled.
  void (async () => {
    for await (const oid of oids) {
      if (stopped || git.inputClosed) return;
      if (oid === '' || /[\r\n]/.test(oid)) throw new TypeError(`catFileBatch: invalid object name ${JSON.stringify(oid)}`);
      requested++;
      const wait = git.write(`${oid}\n`);
      if (wait !== undefined) await wait;
      if (requested - received > MAX_AHEAD) {
        await new Promise<void>((resolve) => {
          caughtUp = resolve;
        });
      }
    }
    inputDone = true;
    git.end();
  })().catch((error: unknown) => {
    writeError = error;
    void git.stop();
  });
  try {
    try {
      for await (const obj of readBatch(git.stdout, maxSize)) {
        received++;
        if (caughtUp !== undefined && requested - received <= MAX_AHEAD / 2) {
          caughtUp();
          caughtUp = undefined;
        }
        yield obj;
      }
    } catch (error) {
      throw writeError ?? error;
    }
    if (writeError !== undefined) throw writeError;
    const exit = await git.closed;
    if (failed(exit)) throw gitError(cwd, 'git cat-file', exit, git.stderr());
    if (!inputDone || received !== requested) throw unexpected(`git cat-file answered ${received} of ${requested} requests`);
  } finally {
    stopped = true;
    caughtUp?.();
    await git.stop();
  }
}

/** Feeds raw changes to cat-file (after path checks) and yields the blobs worth scanning. */
async function* blobItems(
  opts: Omit<GitSourceOptions, 'since'>,
  changes: AsyncIterable<RawChange>,
  seen: Set<string> | undefined,
  reader: CatFileReader,
  readWindow: number,
): AsyncGenerator<ScanItem> {
  const onSkip: OnSkip = opts.onSkip ?? (() => {});
  const pending: RawChange[] = [];
  // Path-based skips do not mark the blob seen: the same bytes may be scanned under another path.
  const skipped = new Set<string>();
  const skipPath = (c: RawChange, reason: 'symlink' | 'excluded' | 'ignored', detail?: string): void => {
    const key = `${c.oid}\0${c.path}`;
    if (skipped.has(key)) return;
    skipped.add(key);
    if (detail === undefined) onSkip(c.path, reason);
    else onSkip(c.path, reason, detail);
  };
  // Blobs are asked of cat-file newest first within windows of the history: git packs store a file's
  // newer version whole and older ones as deltas against it, so reading a window backwards resolves
  // each delta chain from its base (cached) rather than from its far end, about a fifth faster here
  // (docs/performance.md). Attribution is unchanged: which commit introduced a blob is settled in
  // history order, before the window is turned.
  const window: RawChange[] = [];
  function* turned(): Generator<string> {
    for (let i = window.length - 1; i >= 0; i--) {
      pending.push(window[i]!);
      yield window[i]!.oid;
    }
    window.length = 0;
  }
  async function* requests(): AsyncGenerator<string> {
    yield* accepted();
    yield* turned();
  }
  async function* accepted(): AsyncGenerator<string> {
    for await (const c of changes) {
      if (NULL_ID.test(c.oid) || c.mode === MODE_SUBMODULE) continue;
      if (seen?.has(c.oid)) continue;
      if (c.mode === MODE_SYMLINK) {
        skipPath(c, 'symlink');
        continue;
      }
      const reason = opts.defaultExcludes ? defaultExcludeReason(c.path) : undefined;
      if (reason !== undefined) {
        skipPath(c, 'excluded', reason);
        continue;
      }
      if (opts.isIgnored?.(c.path)) {
        skipPath(c, 'ignored');
        continue;
      }
      seen?.add(c.oid);
      window.push(c);
      if (window.length >= readWindow) yield* turned();
    }
  }
  for await (const obj of catFileBatch(opts.cwd, requests(), opts.maxFileSize, reader)) {
    const c = pending.shift();
    if (c === undefined) throw unexpected('more cat-file answers than requests');
    // A partial (blobless) clone may not have the blob locally.
    if (obj.missing) onSkip(c.path, 'missing', c.oid);
    else if (obj.tooLarge || obj.data === undefined) onSkip(c.path, 'too-large', `${obj.size} bytes`);
    else if (looksBinary(obj.data)) onSkip(c.path, 'binary');
    else
      yield c.commit === undefined
        ? { path: c.path, data: obj.data, size: obj.size, text: true }
        : { path: c.path, data: obj.data, size: obj.size, commit: c.commit, text: true };
  }
}

/**
 * Streams a git command's `--raw -z` changes, throwing if git fails; the caller stops the process.
 * `stopping()` tells a failure we caused (killing git on early return) from a real one.
 */
async function* rawChanges(cwd: string, git: GitProcess, what: string, stopping: () => boolean): AsyncGenerator<RawChange> {
  yield* parseRaw(nulTokens(git.child.stdout));
  const exit = await git.closed;
  if (failed(exit) && !stopping()) throw gitError(cwd, what, exit, git.stderr());
}

/**
 * Every blob in the history of all refs, once (deduplicated by blob id), attributed to the oldest
 * commit that introduced it, with that commit's sha, author name, email and ISO date and the path
 * (relative to the repository's top level). Merge commits count where their result differs from
 * every parent (an "evil merge"). With `since`, only commits not reachable from it are read.
 * @example
 * for await (const item of gitHistoryItems({ cwd: '.', maxFileSize: 1e6, defaultExcludes: true })) console.log(item.path, item.commit?.sha);
 */
export async function* gitHistoryItems(opts: GitSourceOptions): AsyncGenerator<ScanItem> {
  await ensureRepository(opts.cwd);
  if (opts.since !== undefined) await ensureCommit(opts.cwd, opts.since);
  // The commit walk (rev-list, oldest first) streams into diff-tree, which diffs each commit as it
  // arrives: blobs reach the scanner while git is still diffing. `git log --reverse` gives the same
  // bytes, but only once it has diffed the whole history.
  const walk = spawnGit(opts.cwd, [
    'rev-list',
    '--all',
    // Oldest first, parents before children, so the first sighting of a blob is its introduction.
    '--reverse',
    '--date-order',
    ...(opts.since === undefined ? [] : [`^${opts.since}`]),
    '--',
  ]);
  walk.child.stdin.end();
  const log = spawnGit(opts.cwd, [
    'diff-tree',
    '--stdin',
    '-r',
    '--root',
    // A commit whose diff is empty still prints its header, as `git log` does.
    '--always',
    '--raw',
    '--no-abbrev',
    '--no-renames',
    '-c',
    '-z',
    '--no-color',
    '--format=%x00%H%x00%an%x00%ae%x00%aI',
  ]);
  walk.child.stdout.pipe(log.child.stdin);
  let stopping = false;
  try {
    yield* blobItems(
      opts,
      rawChanges(opts.cwd, log, 'git diff-tree', () => stopping),
      new Set(),
      opts.reader ?? 'thread',
      READ_WINDOW,
    );
    const walked = await walk.closed;
    if (failed(walked)) throw gitError(opts.cwd, 'git rev-list', walked, walk.stderr());
  } finally {
    stopping = true;
    await log.stop();
    await walk.stop();
  }
}

/**
 * The staged (index) version of every added, copied, modified or renamed file, for a pre-commit
 * hook; `commit` is undefined. Works before the first commit (git diffs the index against the
 * empty tree then) and honours GIT_INDEX_FILE, which `git commit <paths>` sets for its hooks.
 * @example
 * for await (const item of gitStagedItems({ cwd: '.', maxFileSize: 1e6, defaultExcludes: true })) console.log(item.path);
 */
export async function* gitStagedItems(opts: Omit<GitSourceOptions, 'since'>): AsyncGenerator<ScanItem> {
  await ensureRepository(opts.cwd);
  const diff = spawnGit(opts.cwd, [
    'diff',
    '--cached',
    '--raw',
    '-z',
    '--no-abbrev',
    '--no-renames',
    '--no-color',
    '--diff-filter=ACMR',
    '--',
  ]);
  diff.child.stdin.end();
  let stopping = false;
  try {
    yield* blobItems(
      opts,
      rawChanges(opts.cwd, diff, 'git diff --cached', () => stopping),
      undefined,
      opts.reader ?? 'direct',
      1,
    );
  } finally {
    stopping = true;
    await diff.stop();
  }
}
