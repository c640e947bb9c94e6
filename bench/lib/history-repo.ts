import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSecretRules } from '../../src/scan/secrets/load-rules.js';
import { expandPlant, plantTemplates, spread } from './plants.js';
import { createRng, type Rng } from './rng.js';
import { cleanLines, type FileKind } from './text.js';

/** Bump when the generated history changes, so cached repositories are rebuilt. */
const GENERATOR_VERSION = 1;

export interface HistoryParams {
  commits: number;
  /** Files in the pool that commits modify. */
  files: number;
  /** One commit in this many plants a secret (removed again by the file's next change). */
  secretEvery: number;
  seed: number;
}

/** A planted secret: the commit whose new blob holds it, and where in that blob. */
export interface HistoryPlant {
  commit: number;
  sha?: string;
  path: string;
  line: number;
  endLine: number;
  ruleId: string;
}

export interface HistoryManifest {
  generator: number;
  params: HistoryParams;
  key: string;
  plants: HistoryPlant[];
}

const KINDS: readonly FileKind[] = ['ts', 'ts', 'py', 'go', 'java', 'yaml', 'json', 'md', 'sh', 'env', 'properties'];
const EXT: Partial<Record<FileKind, string>> = {
  ts: '.ts',
  py: '.py',
  go: '.go',
  java: '.java',
  yaml: '.yaml',
  json: '.json',
  md: '.md',
  sh: '.sh',
  properties: '.properties',
};
const AUTHORS = [
  'Ada Byte <ada@example.com>',
  'Lin Commit <lin@example.com>',
  'Sam Merge <sam@example.com>',
  'CI Bot <ci@example.com>',
];

interface PoolFile {
  path: string;
  kind: FileKind;
  lines: string[];
  /** Where a planted secret sits (removed at the file's next change), if any. */
  secret?: { at: number; count: number };
}

/** A fast-import `data` block: byte length, then the bytes. */
function data(text: string): string {
  return `data ${Buffer.byteLength(text)}\n${text}\n`;
}

/** Rewrites a window of a file, as most commits do: a few lines replaced by new ones. */
function mutate(f: PoolFile, r: Rng): void {
  const at = r.int(0, f.lines.length);
  const remove = Math.min(r.int(0, 8), f.lines.length - at);
  const fresh = cleanLines(f.kind, r, r.int(40, 600), 1);
  f.lines.splice(at, remove, ...fresh.slice(0, 12));
}

/**
 * Writes the fast-import stream for the whole history: commit 0 adds the pool, then every commit
 * changes 1–4 files; every `secretEvery`-th commit plants a secret that the file's next change removes,
 * so each planted secret lives in exactly one blob.
 */
function* stream(params: HistoryParams, plants: HistoryPlant[]): Generator<string> {
  const r = createRng(params.seed);
  const pool: PoolFile[] = [];
  for (let i = 0; i < params.files; i++) {
    const kind = r.pick(KINDS);
    const dir = r.pick([
      'src/api',
      'src/core',
      'src/jobs',
      'deploy',
      'docs',
      'scripts',
      'config',
      'services/auth',
      'services/billing',
    ]);
    const path = kind === 'env' ? `${dir}/svc-${i}/.env` : `${dir}/${kind}-${i}${EXT[kind] ?? '.txt'}`;
    pool.push({ path, kind, lines: cleanLines(kind, r, r.int(1_000, 16_000), 1) });
  }
  const { secrets } = plantTemplates();
  const chosen = spread(secrets, Math.ceil(params.commits / params.secretEvery), (t) => t.ruleId ?? '');
  let nextSecret = 0;
  const t0 = 1_700_000_000;
  for (let c = 0; c < params.commits; c++) {
    const author = r.pick(AUTHORS);
    const when = `${t0 + c * 1800} +0000`;
    const changed = c === 0 ? pool : Array.from({ length: r.int(1, 4) }, () => r.pick(pool));
    const plantHere = c > 0 && c % params.secretEvery === 0 && nextSecret < chosen.length;
    const ops: string[] = [];
    const done = new Set<PoolFile>();
    for (const [i, f] of changed.entries()) {
      if (done.has(f)) continue;
      done.add(f);
      if (c > 0) {
        if (f.secret) {
          f.lines.splice(f.secret.at, f.secret.count);
          delete f.secret;
        }
        mutate(f, r);
      }
      if (plantHere && i === 0) {
        const t = chosen[nextSecret++]!;
        const text = expandPlant(t, r);
        const at = r.int(0, f.lines.length);
        f.lines.splice(at, 0, ...text);
        f.secret = { at, count: text.length };
        plants.push({ commit: c, path: f.path, line: at + 1, endLine: at + text.length, ruleId: t.ruleId ?? t.label });
      }
      ops.push(`M 100644 inline ${f.path}\n${data(`${f.lines.join('\n')}\n`)}`);
    }
    const message = c === 0 ? 'Initial import' : `Update ${[...done].map((f) => f.path.split('/').pop()).join(', ')}`;
    yield `commit refs/heads/main\nmark :${c + 1}\nauthor ${author} ${when}\ncommitter ${author} ${when}\n${data(message)}${c > 0 ? `from :${c}\n` : ''}${ops.join('')}\n`;
  }
}

function key(params: HistoryParams): string {
  const rules = loadSecretRules().map((r) => [r.id, r.examples.positive]);
  return createHash('sha256')
    .update(JSON.stringify({ v: GENERATOR_VERSION, params, rules }))
    .digest('hex')
    .slice(0, 12);
}

/**
 * A cached git repository of `params.commits` commits, built with `git fast-import` (seconds, where
 * 5,000 `git commit` runs take minutes), and the manifest of its planted secrets with commit shas.
 * @example const { repo, manifest } = await ensureHistoryRepo('.bench/history', { commits: 500, files: 100, secretEvery: 20, seed: 1 }, console.log)
 */
export async function ensureHistoryRepo(
  cacheDir: string,
  params: HistoryParams,
  log: (s: string) => void,
): Promise<{ repo: string; manifest: HistoryManifest; reused: boolean }> {
  const k = key(params);
  const repo = join(cacheDir, k);
  const manifestPath = join(cacheDir, `${k}.manifest.json`);
  if (existsSync(manifestPath) && existsSync(repo)) {
    return { repo, manifest: JSON.parse(readFileSync(manifestPath, 'utf8')) as HistoryManifest, reused: true };
  }
  mkdirSync(cacheDir, { recursive: true });
  for (const name of readdirSync(cacheDir))
    if (!name.startsWith(k)) rmSync(join(cacheDir, name), { recursive: true, force: true });
  rmSync(repo, { recursive: true, force: true });
  const started = performance.now();
  const init = spawnSync('git', ['init', '-q', '-b', 'main', repo], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`git init failed: ${init.stderr}`);
  const marksFile = join(cacheDir, `${k}.marks`);
  const plants: HistoryPlant[] = [];
  const git = spawn('git', ['fast-import', '--quiet', `--export-marks=${marksFile}`], {
    cwd: repo,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  git.stderr.setEncoding('utf8');
  git.stderr.on('data', (s: string) => {
    stderr += s;
  });
  const closed = new Promise<number | null>((resolve, reject) => {
    git.once('error', reject);
    git.once('close', resolve);
  });
  for (const chunk of stream(params, plants)) {
    // Respect back-pressure: the stream for 5,000 commits is tens of megabytes.
    if (!git.stdin.write(chunk)) await new Promise((resolve) => git.stdin.once('drain', resolve));
  }
  git.stdin.end();
  const code = await closed;
  if (code !== 0) throw new Error(`git fast-import failed (${code}): ${stderr.trim()}`);
  const shas = new Map<number, string>();
  for (const l of readFileSync(marksFile, 'utf8').split('\n')) {
    const m = /^:(\d+) ([0-9a-f]+)$/.exec(l);
    if (m) shas.set(Number(m[1]) - 1, m[2]!);
  }
  for (const p of plants) {
    const sha = shas.get(p.commit);
    if (sha !== undefined) p.sha = sha;
  }
  rmSync(marksFile, { force: true });
  const manifest: HistoryManifest = { generator: GENERATOR_VERSION, params, key: k, plants };
  writeFileSync(manifestPath, `${JSON.stringify(manifest)}\n`);
  log(`generated ${params.commits} commits in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { repo, manifest, reused: false };
}
