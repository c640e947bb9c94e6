import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { WardenError } from '../../model/errors.js';
import { type CatFileReader, catFileBatch, type GitSourceOptions, gitHistoryItems, gitStagedItems, nulTokens } from './git.js';
import { threadedGitPipe } from './git-process.js';
import type { ScanItem, SkipReason } from './types.js';

// Tests must not see the developer's git setup, nor a repository they happen to run inside
// (a hook exports GIT_DIR and GIT_INDEX_FILE, which would redirect every git call below).
for (const key of Object.keys(process.env)) if (key.startsWith('GIT_')) delete process.env[key];
process.env.GIT_CONFIG_NOSYSTEM = '1';
process.env.GIT_CONFIG_GLOBAL = '/dev/null';
process.env.GIT_CEILING_DIRECTORIES = tmpdir();

const temps: string[] = [];
after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-git-'));
  temps.push(dir);
  return dir;
}

/** A repository whose commits get strictly increasing, known dates (one minute apart). */
function createRepo(initArgs: string[] = []): {
  dir: string;
  git: (...args: string[]) => string;
  commit: (msg: string, author?: string) => string;
} {
  const dir = tempDir();
  let minute = 0;
  const git = (...args: string[]): string => {
    const date = `2024-01-01T10:${String(minute).padStart(2, '0')}:00Z`;
    return execFileSync('git', ['-c', 'init.defaultBranch=main', ...args], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
    }).trim();
  };
  git('init', '-q', ...initArgs);
  git('config', 'user.name', 'Test Committer');
  git('config', 'user.email', 'committer@example.test');
  const commit = (msg: string, author = 'Alice Example <alice@example.test>'): string => {
    minute++;
    git('add', '-A');
    git('commit', '-q', '--allow-empty', '-m', msg, `--author=${author}`);
    return git('rev-parse', 'HEAD');
  };
  return { dir, git, commit };
}

function write(dir: string, path: string, content: string | Buffer): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), content);
}

interface Collected {
  items: ScanItem[];
  skips: [string, SkipReason, string | undefined][];
}

async function collect(source: (onSkip: NonNullable<GitSourceOptions['onSkip']>) => AsyncIterable<ScanItem>): Promise<Collected> {
  const skips: Collected['skips'] = [];
  const items: ScanItem[] = [];
  for await (const item of source((path, reason, detail) => skips.push([path, reason, detail]))) items.push(item);
  skips.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { items, skips };
}

/** git children of this process, running or not yet reaped (Linux /proc; undefined elsewhere). */
function gitChildren(): string[] | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  const found: string[] = [];
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    // "pid (comm) state ppid …"; comm may contain spaces, so split after the last parenthesis.
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(ppid) === process.pid && comm.startsWith('git')) found.push(`${pid} ${comm} ${state}`);
  }
  return found;
}

const MAX = 1024;
const UNICODE_PATH = 'dir with space/naïve ñame.txt';

/**
 * History fixture: c1 adds a spread of files, c2 modifies and duplicates, c3 deletes, then a side
 * branch and main diverge and a merge adds a file that neither parent has.
 */
function historyRepo(): { dir: string; git: (...args: string[]) => string; shas: Record<string, string> } {
  const { dir, git, commit } = createRepo();
  write(dir, 'config.env', 'TOKEN=placeholder-one\n');
  write(dir, UNICODE_PATH, 'unicode path\n');
  write(dir, 'package-lock.json', '{}\n');
  write(dir, 'data.raw', Buffer.from([0x50, 0x4b, 0x00, 0x01, 0x02]));
  write(dir, 'big.txt', 'x'.repeat(MAX + 1));
  write(dir, 'ignored/notes.txt', 'never read\n');
  symlinkSync('config.env', join(dir, 'link'));
  const c1 = commit('c1');
  write(dir, 'config.env', 'TOKEN=placeholder-two\n');
  write(dir, 'copy.env', 'TOKEN=placeholder-one\n');
  write(dir, 'twin-a.txt', 'same bytes\n');
  write(dir, 'twin-b.txt', 'same bytes\n');
  const c2 = commit('c2', 'Bob Example <bob@example.test>');
  unlinkSync(join(dir, UNICODE_PATH));
  write(dir, 'later.txt', 'later\n');
  const c3 = commit('c3');
  git('checkout', '-q', '-b', 'side');
  write(dir, 'side.txt', 'side\n');
  const c4 = commit('c4');
  git('checkout', '-q', 'main');
  write(dir, 'main.txt', 'main\n');
  const c5 = commit('c5');
  git('merge', '-q', '--no-ff', '--no-commit', 'side');
  write(dir, 'merge-only.txt', 'from the merge\n');
  const c6 = commit('merge');
  return { dir, git, shas: { c1, c2, c3, c4, c5, c6 } as Record<string, string> };
}

const fixture = historyRepo();

function historyOpts(
  extra: Partial<GitSourceOptions> = {},
): (onSkip: NonNullable<GitSourceOptions['onSkip']>) => AsyncIterable<ScanItem> {
  return (onSkip) =>
    gitHistoryItems({
      cwd: fixture.dir,
      maxFileSize: MAX,
      defaultExcludes: true,
      isIgnored: (p) => p.startsWith('ignored/'),
      onSkip,
      ...extra,
    });
}

test('gitHistoryItems yields each blob once, attributed to the commit that introduced it', async () => {
  const { items, skips } = await collect(historyOpts());
  const { c1, c2, c3, c4, c5, c6 } = fixture.shas;
  assert.deepEqual(
    items.map((i) => [i.path, i.commit?.sha, i.data?.toString('utf8')]),
    // Newest first: a history this small is one read window, asked of git backwards (attribution
    // is settled in history order first).
    [
      ['merge-only.txt', c6, 'from the merge\n'],
      ['main.txt', c5, 'main\n'],
      ['side.txt', c4, 'side\n'],
      ['later.txt', c3, 'later\n'],
      // copy.env repeats c1's config.env and twin-b.txt repeats twin-a.txt: neither is yielded again.
      ['twin-a.txt', c2, 'same bytes\n'],
      ['config.env', c2, 'TOKEN=placeholder-two\n'],
      [UNICODE_PATH, c1, 'unicode path\n'],
      ['config.env', c1, 'TOKEN=placeholder-one\n'],
    ],
  );
  const first = items.at(-1)!;
  assert.equal(first.commit?.author, 'Alice Example');
  assert.equal(first.commit?.email, 'alice@example.test');
  assert.equal(Date.parse(first.commit?.date ?? ''), Date.parse('2024-01-01T10:01:00Z'));
  assert.equal(items.at(-3)!.commit?.author, 'Bob Example');
  assert.equal(first.size, first.data?.length);
  assert.equal(first.absPath, undefined);
  assert.deepEqual(skips, [
    ['big.txt', 'too-large', `${MAX + 1} bytes`],
    ['data.raw', 'binary', undefined],
    ['ignored/notes.txt', 'ignored', undefined],
    ['link', 'symlink', undefined],
    ['package-lock.json', 'excluded', 'lock file'],
  ]);
});

test('gitHistoryItems without default excludes scans lock files; without isIgnored scans everything', async () => {
  const { items, skips } = await collect((onSkip) =>
    gitHistoryItems({ cwd: join(fixture.dir, 'ignored'), maxFileSize: MAX, defaultExcludes: false, onSkip }),
  );
  const paths = items.map((i) => i.path);
  // Paths stay relative to the top level even when cwd is a subdirectory.
  assert.ok(paths.includes('package-lock.json'));
  assert.ok(paths.includes('ignored/notes.txt'));
  assert.deepEqual(
    skips.map(([p, r]) => [p, r]),
    [
      ['big.txt', 'too-large'],
      ['data.raw', 'binary'],
      ['link', 'symlink'],
    ],
  );
});

test('gitHistoryItems with since reads only newer commits', async () => {
  const { items } = await collect(historyOpts({ since: fixture.shas.c3 }));
  const { c4, c5, c6 } = fixture.shas;
  assert.deepEqual(
    items.map((i) => [i.path, i.commit?.sha]),
    [
      ['merge-only.txt', c6],
      ['main.txt', c5],
      ['side.txt', c4],
    ],
  );
  const sinceBranch = await collect(historyOpts({ since: 'side' }));
  assert.deepEqual(
    sinceBranch.items.map((i) => i.path),
    ['merge-only.txt', 'main.txt'],
  );
});

test('gitHistoryItems rejects an unknown since revision with WARDEN_GIT_FAILED', async () => {
  for (const since of ['no-such-branch', '--output=/tmp/x']) {
    await assert.rejects(collect(historyOpts({ since })), (err: unknown) => {
      assert.ok(err instanceof WardenError);
      assert.equal(err.code, 'WARDEN_GIT_FAILED');
      assert.match(err.message, /since/);
      return true;
    });
  }
});

test('gitHistoryItems outside a repository, or without git, fails with WARDEN_GIT_FAILED', async () => {
  const notRepo = tempDir();
  await assert.rejects(
    collect(() => gitHistoryItems({ cwd: notRepo, maxFileSize: MAX, defaultExcludes: true })),
    (err: unknown) => {
      assert.ok(err instanceof WardenError);
      assert.equal(err.code, 'WARDEN_GIT_FAILED');
      assert.match(err.message, /not inside a git repository.*not a git repository/);
      return true;
    },
  );
  await assert.rejects(
    collect(() => gitStagedItems({ cwd: notRepo, maxFileSize: MAX, defaultExcludes: true })),
    { code: 'WARDEN_GIT_FAILED' },
  );
  await assert.rejects(
    collect(() => gitHistoryItems({ cwd: join(notRepo, 'absent'), maxFileSize: MAX, defaultExcludes: true })),
    /does not exist/,
  );
  const path = process.env.PATH;
  process.env.PATH = notRepo;
  try {
    await assert.rejects(
      collect(() => gitHistoryItems({ cwd: fixture.dir, maxFileSize: MAX, defaultExcludes: true })),
      (err: unknown) => {
        assert.ok(err instanceof WardenError);
        assert.equal(err.code, 'WARDEN_GIT_FAILED');
        assert.match(err.message, /git is not installed/);
        return true;
      },
    );
  } finally {
    process.env.PATH = path;
  }
});

test('gitHistoryItems in a repository without commits yields nothing', async () => {
  const { dir } = createRepo();
  write(dir, 'untracked.txt', 'x\n');
  assert.deepEqual(await collect(() => gitHistoryItems({ cwd: dir, maxFileSize: MAX, defaultExcludes: true })), {
    items: [],
    skips: [],
  });
});

/** Many commits at once through git fast-import (one process, not thousands of git commit runs). */
function manyCommitsRepo(commits: number, files: number): string {
  const { dir, git } = createRepo();
  const lines: string[] = [];
  for (let i = 0; i < commits; i++) {
    const when = `${1704103200 + i * 60} +0000`;
    const msg = `c${i}`;
    lines.push('commit refs/heads/main', `author Alice Example <alice@example.test> ${when}`);
    lines.push(`committer Alice Example <alice@example.test> ${when}`, `data ${msg.length}`, msg);
    for (let j = 0; j < files; j++) {
      const body = `commit ${i} file ${j}\n`;
      lines.push(`M 100644 inline f${j}.txt`, `data ${Buffer.byteLength(body)}`, body);
    }
  }
  execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, input: `${lines.join('\n')}\n` });
  assert.equal(git('rev-list', '--count', 'main'), String(commits));
  return dir;
}

test('breaking out of gitHistoryItems leaves no git process behind', async (t) => {
  if (gitChildren() === undefined) {
    t.skip('no /proc to inspect child processes');
    return;
  }
  // Enough raw output (~0.5 MB) that git diff-tree is still blocked writing it when the loop breaks.
  const dir = manyCommitsRepo(400, 10);
  let seen = 0;
  for await (const item of gitHistoryItems({ cwd: dir, maxFileSize: MAX, defaultExcludes: true })) {
    assert.ok(item.data);
    if (++seen === 3) {
      // rev-list may already have listed every commit; diff-tree and cat-file are still running.
      const running = gitChildren()?.length ?? 0;
      assert.ok(running === 2 || running === 3, `git diff-tree and git cat-file run side by side (${running} git processes)`);
      break;
    }
  }
  assert.equal(seen, 3);
  assert.deepEqual(gitChildren(), []);
  const all = await collect(() => gitHistoryItems({ cwd: dir, maxFileSize: MAX, defaultExcludes: true }));
  assert.equal(all.items.length, 4000);
  assert.deepEqual(gitChildren(), []);
});

test('gitHistoryItems asks git for each read window newest first, with every blob attributed to its commit', async () => {
  const dir = manyCommitsRepo(400, 10);
  const { items } = await collect(() => gitHistoryItems({ cwd: dir, maxFileSize: MAX, defaultExcludes: true }));
  assert.equal(items.length, 4000);
  const texts = new Set<string>();
  for (const item of items) {
    const m = /^commit (\d+) file (\d+)\n$/.exec(item.data!.toString('utf8'));
    assert.ok(m, item.path);
    texts.add(m[0]);
    assert.equal(item.path, `f${m[2]}.txt`);
    // manyCommitsRepo dates commit i at a minute per commit from a fixed start.
    assert.equal(Date.parse(item.commit!.date), (1704103200 + Number(m[1]) * 60) * 1000, `${item.path} of commit ${m[1]}`);
  }
  assert.equal(texts.size, 4000, 'each blob once');
  // Windows of 1024 in history order (commit 0 file 0 first), each read backwards.
  const at = (k: number): string => items[k]!.data!.toString('utf8');
  assert.equal(at(0), 'commit 102 file 3\n');
  assert.equal(at(1023), 'commit 0 file 0\n');
  assert.equal(at(1024), 'commit 204 file 7\n');
  assert.equal(at(3999), 'commit 307 file 2\n');
});

test('gitHistoryItems reads a sha256 repository', async (t) => {
  let repo: ReturnType<typeof createRepo>;
  try {
    repo = createRepo(['--object-format=sha256']);
  } catch {
    t.skip('this git cannot create sha256 repositories');
    return;
  }
  write(repo.dir, 'a.txt', 'sha256 content\n');
  const sha = repo.commit('one');
  assert.equal(sha.length, 64);
  const { items } = await collect(() => gitHistoryItems({ cwd: repo.dir, maxFileSize: MAX, defaultExcludes: true }));
  assert.deepEqual(
    items.map((i) => [i.path, i.commit?.sha, i.data?.toString()]),
    [['a.txt', sha, 'sha256 content\n']],
  );
});

test('gitStagedItems yields staged content, not the working tree', async () => {
  const { dir, git, commit } = createRepo();
  write(dir, 'app.env', 'VALUE=committed\n');
  write(dir, 'gone.txt', 'to delete\n');
  write(dir, 'untouched.txt', 'same\n');
  commit('base');
  write(dir, 'app.env', 'VALUE=staged\n');
  write(dir, UNICODE_PATH, 'new staged file\n');
  write(dir, 'yarn.lock', '# lock\n');
  git('add', 'app.env', UNICODE_PATH, 'yarn.lock');
  git('rm', '-q', 'gone.txt');
  // Later edits stay unstaged: the hook must scan what will be committed.
  write(dir, 'app.env', 'VALUE=working-tree\n');
  write(dir, 'unstaged.txt', 'not added\n');
  const { items, skips } = await collect((onSkip) =>
    gitStagedItems({ cwd: dir, maxFileSize: MAX, defaultExcludes: true, onSkip }),
  );
  assert.deepEqual(
    items.map((i) => [i.path, i.data?.toString('utf8'), i.commit]),
    [
      ['app.env', 'VALUE=staged\n', undefined],
      [UNICODE_PATH, 'new staged file\n', undefined],
    ],
  );
  assert.ok(items.every((i) => !('commit' in i)));
  assert.deepEqual(skips, [['yarn.lock', 'excluded', 'lock file']]);
});

test('gitStagedItems works before the first commit', async () => {
  const { dir, git } = createRepo();
  write(dir, 'first.txt', 'initial\n');
  write(dir, 'first-copy.txt', 'initial\n');
  git('add', '.');
  const { items } = await collect(() => gitStagedItems({ cwd: dir, maxFileSize: MAX, defaultExcludes: true }));
  // Unlike history, each staged path is reported, even with identical content.
  assert.deepEqual(
    items.map((i) => [i.path, i.data?.toString()]),
    [
      ['first-copy.txt', 'initial\n'],
      ['first.txt', 'initial\n'],
    ],
  );
});

for (const reader of ['direct', 'thread'] as CatFileReader[])
  test(`catFileBatch (${reader} reader) answers in request order, drops oversized bytes and reports missing objects`, async () => {
    const { dir, git, commit } = createRepo();
    // Bigger than a pipe buffer, so the discarded bytes span many chunks.
    write(dir, 'huge.txt', 'y'.repeat(1 << 20));
    write(dir, 'small.txt', 'small\n');
    commit('blobs');
    const huge = git('rev-parse', 'HEAD:huge.txt');
    const small = git('rev-parse', 'HEAD:small.txt');
    const absent = 'deadbeef'.repeat(5);
    async function* names(): AsyncGenerator<string> {
      yield huge;
      yield small;
      yield absent;
      yield small;
    }
    const out = [];
    for await (const o of catFileBatch(dir, names(), 1000, reader)) out.push(o);
    assert.deepEqual(out, [
      { oid: huge, size: 1 << 20, tooLarge: true },
      { oid: small, data: Buffer.from('small\n'), size: 6 },
      { oid: absent, size: 0, missing: true },
      { oid: small, data: Buffer.from('small\n'), size: 6 },
    ]);
    const full = [];
    for await (const o of catFileBatch(dir, [huge], undefined, reader)) full.push(o);
    assert.equal(full[0]?.data?.length, 1 << 20);
    for await (const o of catFileBatch(dir, [small, small, small], undefined, reader)) {
      assert.equal(o.oid, small);
      break;
    }
    assert.deepEqual(gitChildren() ?? [], []);
  });

for (const reader of ['direct', 'thread'] as CatFileReader[])
  test(`catFileBatch (${reader} reader) rethrows a failure of its input and stops git`, async () => {
    const { dir } = createRepo();
    async function* failing(): AsyncGenerator<string> {
      yield 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391';
      throw new Error('input broke');
    }
    await assert.rejects(async () => {
      for await (const _ of catFileBatch(dir, failing(), undefined, reader));
    }, /input broke/);
    assert.deepEqual(gitChildren() ?? [], []);
  });

test('catFileBatch (thread reader) outside a repository, or without git, fails with WARDEN_GIT_FAILED and the reason', async () => {
  const notRepo = tempDir();
  const refused = (reason: RegExp) =>
    assert.rejects(
      async () => {
        for await (const _ of catFileBatch(notRepo, ['e69de29bb2d1d6434b8b29ae775ad8c2e48c5391'], undefined, 'thread'));
      },
      (err: unknown) => {
        assert.ok(err instanceof WardenError);
        assert.equal(err.code, 'WARDEN_GIT_FAILED');
        assert.match(err.message, reason);
        return true;
      },
    );
  await refused(/not a git repository/);
  assert.deepEqual(gitChildren() ?? [], []);
  // git missing: the reader thread's spawn error keeps its errno code across the thread.
  const path = process.env.PATH;
  process.env.PATH = notRepo;
  try {
    await refused(/git is not installed/);
  } finally {
    process.env.PATH = path;
  }
});

test('the reader thread holds git back at its budget and hands every byte over in order', { timeout: 60_000 }, async () => {
  const { dir, git, commit } = createRepo();
  // Six blobs of 300 KB each, different bytes, against a budget of 64 KB: git must wait many times.
  const oids: string[] = [];
  for (let i = 0; i < 6; i++) {
    const body = Buffer.alloc(300_000);
    for (let j = 0; j < body.length; j++) body[j] = 97 + ((i * 7 + j * 13) % 26);
    write(dir, `b${i}.txt`, body);
  }
  commit('blobs');
  for (let i = 0; i < 6; i++) oids.push(git('rev-parse', `HEAD:b${i}.txt`));
  const input = `${[...oids, ...oids.slice(0, 2)].join('\n')}\n`;
  const expected = execFileSync('git', ['cat-file', '--batch'], { cwd: dir, input, maxBuffer: 16 << 20 });
  const pipe = threadedGitPipe(dir, ['cat-file', '--batch'], 64 * 1024);
  assert.equal(pipe.write(input), undefined);
  pipe.end();
  const chunks: Buffer[] = [];
  let biggest = 0;
  for await (const chunk of pipe.stdout) {
    chunks.push(chunk);
    biggest = Math.max(biggest, chunk.length);
    // A slow reader: the thread must stop reading rather than hold everything.
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  assert.ok(Buffer.concat(chunks).equals(expected), 'same bytes, same order');
  assert.ok(chunks.length > 1);
  // Held back at the budget: no piece is much bigger than the budget plus one pipe read.
  assert.ok(biggest <= 64 * 1024 + 256 * 1024, `largest piece ${biggest} bytes`);
  const exit = await pipe.closed;
  assert.equal(exit.code, 0);
  await pipe.stop();
  assert.deepEqual(gitChildren() ?? [], []);
});

test('nulTokens splits NUL-terminated UTF-8 tokens across chunk boundaries as one buffer would', async () => {
  const text = 'a\0naïve/über ✓.txt\0\0:100644 x\0tail';
  const bytes = Buffer.from(text, 'utf8');
  const whole = text.split('\0');
  // Every split point, including inside the two- and three-byte characters and next to each NUL.
  for (let cut = 0; cut <= bytes.length; cut++) {
    for (const step of [1, 3, bytes.length]) {
      const chunks: Buffer[] = [bytes.subarray(0, cut)];
      for (let at = cut; at < bytes.length; at += step) chunks.push(bytes.subarray(at, Math.min(bytes.length, at + step)));
      async function* source(): AsyncGenerator<Buffer> {
        yield* chunks;
      }
      const got: string[] = [];
      for await (const batch of nulTokens(source())) got.push(...batch);
      assert.deepEqual(got, whole, `cut at ${cut}, then ${step}-byte chunks`);
    }
  }
  async function* ending(): AsyncGenerator<Buffer> {
    yield Buffer.from('x\0y\0');
  }
  const got: string[] = [];
  for await (const batch of nulTokens(ending())) got.push(...batch);
  assert.deepEqual(got, ['x', 'y'], 'no empty token after a final NUL');
});
