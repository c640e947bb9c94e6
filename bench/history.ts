/**
 * `npm run bench:history`: how fast Warden scans a git history, against git reading the same blobs.
 *
 * A synthetic repository (BENCH_COMMITS commits over a pool of files, some commits planting a synthetic
 * secret that the file's next change removes) is built once with `git fast-import` and cached under
 * .bench/history. Then, BENCH_RUNS times each:
 *  (a) Warden: runScan({ mode: 'git' }), in this process, findings included;
 *  (b) the reference: `git rev-list --all --objects` piped into `git cat-file --batch`, every blob read
 *      and parsed, nothing scanned: the floor any history scanner built on git sits on;
 *  (c) Warden's catFileBatch reader over the same blob ids, read on this thread, and (d) its
 *      gitHistoryItems source (rev-list into diff-tree --raw, then cat-file through the reader thread)
 *      without scanning: where the time of (a) goes;
 *  (e) (a) and (b) again on a copy repacked as `git gc` would (`git repack -adf`): fast-import's pack is
 *      slow for git to read, which flatters any scanner measured against git's floor.
 *
 * Environment: BENCH_COMMITS (5000), BENCH_HISTORY_FILES (400), BENCH_SECRET_EVERY (20), BENCH_SEED (1),
 * BENCH_RUNS (3).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseConfig } from '../src/model/config.js';
import { packageRoot } from '../src/model/package-root.js';
import { runScan } from '../src/scan/index.js';
import { catFileBatch, gitHistoryItems } from '../src/scan/sources/git.js';
import { ensureHistoryRepo, type HistoryManifest } from './lib/history-repo.js';
import { keywordEngineLine } from './lib/keyword-engine.js';
import { envInt, median, rssMethod, runMeasured, warmPageCache } from './lib/measure.js';
import { fixed, formatTable, ratio, round } from './lib/report.js';

const log = (s: string): void => console.log(`[bench] ${s}`);

interface Pass {
  blobs: number;
  bytes: number;
  ms: number;
}

/** Blob ids of the whole history, each once, as `git rev-list --all --objects` lists them. */
async function blobIds(repo: string): Promise<string[]> {
  // The type filter keeps trees out; commits still come, without a path, and are dropped here.
  const git = spawn('git', ['rev-list', '--all', '--objects', '--filter=object:type=blob'], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ids: string[] = [];
  for await (const line of createInterface({ input: git.stdout })) {
    const space = line.indexOf(' ');
    if (space > 0) ids.push(line.slice(0, space));
  }
  return ids;
}

/**
 * The reference pass: rev-list and cat-file --batch in a pipe, with a minimal parser that only
 * counts; headers are `<oid> <type> <size>` LF, then the bytes and an LF.
 */
async function referencePass(repo: string): Promise<Pass> {
  const started = performance.now();
  const ids = await blobIds(repo);
  const cat = spawn('git', ['cat-file', '--batch'], { cwd: repo, stdio: ['pipe', 'pipe', 'inherit'] });
  const closed = new Promise<void>((resolve) => cat.once('close', () => resolve()));
  cat.stdin.end(`${ids.join('\n')}\n`);
  let blobs = 0;
  let bytes = 0;
  let pending = 0; // body bytes (plus the trailing LF) still to skip
  let header = '';
  for await (const chunk of cat.stdout as AsyncIterable<Buffer>) {
    let i = 0;
    while (i < chunk.length) {
      if (pending > 0) {
        const n = Math.min(pending, chunk.length - i);
        pending -= n;
        i += n;
        continue;
      }
      const nl = chunk.indexOf(10, i);
      if (nl === -1) {
        header += chunk.toString('latin1', i);
        break;
      }
      header += chunk.toString('latin1', i, nl);
      i = nl + 1;
      const size = Number(header.slice(header.lastIndexOf(' ') + 1));
      header = '';
      blobs++;
      bytes += size;
      pending = size + 1;
    }
  }
  await closed;
  return { blobs, bytes, ms: performance.now() - started };
}

/** Warden's git reader alone (no rev-list: it is given the same ids the reference listed). */
async function catFilePass(repo: string, ids: readonly string[]): Promise<Pass> {
  const started = performance.now();
  let blobs = 0;
  let bytes = 0;
  for await (const o of catFileBatch(repo, ids)) {
    blobs++;
    bytes += o.size;
  }
  return { blobs, bytes, ms: performance.now() - started };
}

/** Warden's history source alone: commit walk and blob reads, nothing scanned. */
async function sourcePass(repo: string): Promise<Pass> {
  const started = performance.now();
  const config = parseConfig({});
  let blobs = 0;
  let bytes = 0;
  for await (const item of gitHistoryItems({
    cwd: repo,
    maxFileSize: config.scan.maxFileSize,
    defaultExcludes: config.scan.defaultExcludes,
  })) {
    blobs++;
    bytes += item.size ?? item.data?.length ?? 0;
  }
  return { blobs, bytes, ms: performance.now() - started };
}

interface WardenPass extends Pass {
  /** Secret findings; posture findings (configuration) are not what this history is about. */
  findings: number;
  found: number;
  foundByOwnRule: number;
  missedByRule: Record<string, number>;
  unplanted: Record<string, number>;
  /** "planted rule → reporting rules" for secrets found only by other rules. */
  foundByOtherRule: Record<string, number>;
}

async function wardenPass(repo: string, manifest: HistoryManifest): Promise<WardenPass> {
  const started = performance.now();
  const { findings, summary } = await runScan({ root: repo, mode: 'git', config: parseConfig({}) });
  const ms = performance.now() - started;
  // A plant is found when a finding of its commit and path falls on one of its lines.
  const found = new Set<number>();
  const ownRule = new Set<number>();
  const unplanted: Record<string, number> = {};
  const reportedBy = new Map<number, Set<string>>();
  for (const f of findings) {
    if (f.kind !== 'secret') continue;
    const i = manifest.plants.findIndex(
      (p) => (p.sha === undefined || p.sha === f.commit?.sha) && p.path === f.path && f.line >= p.line && f.line <= p.endLine,
    );
    if (i === -1) unplanted[f.ruleId] = (unplanted[f.ruleId] ?? 0) + 1;
    else {
      found.add(i);
      if (f.ruleId === manifest.plants[i]!.ruleId) ownRule.add(i);
      else reportedBy.set(i, (reportedBy.get(i) ?? new Set()).add(f.ruleId));
    }
  }
  const foundByOtherRule: Record<string, number> = {};
  for (const [i, ids] of reportedBy) {
    if (ownRule.has(i)) continue;
    const k = `${manifest.plants[i]!.ruleId} → ${[...ids].sort().join(', ')}`;
    foundByOtherRule[k] = (foundByOtherRule[k] ?? 0) + 1;
  }
  const missedByRule: Record<string, number> = {};
  manifest.plants.forEach((p, i) => {
    if (!found.has(i)) missedByRule[p.ruleId] = (missedByRule[p.ruleId] ?? 0) + 1;
  });
  return {
    blobs: summary.files,
    bytes: summary.bytes,
    ms,
    findings: findings.filter((f) => f.kind === 'secret').length,
    found: found.size,
    foundByOwnRule: ownRule.size,
    missedByRule,
    unplanted,
    foundByOtherRule,
  };
}

/**
 * The same history as a repository that was garbage-collected: `git fast-import` writes a pack with
 * few and far-reaching deltas, which makes git itself slow to read it back; a repository people work
 * in has been repacked (`git gc`), and there git's floor is several times lower. Made once, beside the
 * generated one.
 */
function repackedCopy(repo: string): string {
  const packed = `${repo}-repacked`;
  if (existsSync(packed)) return packed;
  // Built aside and renamed once repacked, so an interrupted run never leaves a copy that was not.
  const building = `${packed}.building`;
  rmSync(building, { recursive: true, force: true });
  execFileSync('git', ['clone', '-q', '--no-checkout', repo, building], { stdio: 'ignore' });
  execFileSync('git', ['repack', '-a', '-d', '-f', '-q'], { cwd: building, stdio: 'ignore' });
  renameSync(building, packed);
  return packed;
}

function medianPass<T extends Pass>(passes: T[]): T {
  const m = median(passes.map((p) => p.ms));
  // The run closest to the median stands for all (its counts are the same in every run).
  return passes.reduce((best, p) => (Math.abs(p.ms - m) < Math.abs(best.ms - m) ? p : best));
}

async function main(): Promise<void> {
  const root = packageRoot();
  const runs = envInt('BENCH_RUNS', 3);
  const params = {
    commits: envInt('BENCH_COMMITS', 5000),
    files: envInt('BENCH_HISTORY_FILES', 400),
    secretEvery: envInt('BENCH_SECRET_EVERY', 20),
    seed: envInt('BENCH_SEED', 1),
  };
  const { repo, manifest, reused } = await ensureHistoryRepo(join(root, '.bench', 'history'), params, log);
  log(
    `repository ${repo} (${reused ? 'reused' : 'new'}): ${params.commits} commits, ${manifest.plants.length} planted secrets; ${runs} run(s) each`,
  );

  log(keywordEngineLine());
  log(
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} on ${cpus().length} cores`,
  );
  mkdirSync(join(root, '.bench', 'out'), { recursive: true });
  const ids = await blobIds(repo);
  const packed = repackedCopy(repo);
  const warden: WardenPass[] = [];
  const reference: Pass[] = [];
  const reader: Pass[] = [];
  const source: Pass[] = [];
  const packedReference: Pass[] = [];
  const packedWarden: WardenPass[] = [];
  // Interleaved, so drift on a shared machine touches every contender alike.
  // Each pass starts with the repository's files in the page cache (BENCHMARKS.md; see warmPageCache).
  const warm = (dir: string): void => void warmPageCache(join(dir, '.git'));
  for (let k = 0; k < runs; k++) {
    warm(repo);
    reference.push(await referencePass(repo));
    warm(repo);
    reader.push(await catFilePass(repo, ids));
    warm(repo);
    source.push(await sourcePass(repo));
    warm(repo);
    warden.push(await wardenPass(repo, manifest));
    warm(packed);
    packedReference.push(await referencePass(packed));
    warm(packed);
    packedWarden.push(await wardenPass(packed, manifest));
    log(
      `run ${k + 1}/${runs}: reference ${(reference[k]!.ms / 1000).toFixed(2)} s, catFileBatch ${(reader[k]!.ms / 1000).toFixed(2)} s, gitHistoryItems ${(source[k]!.ms / 1000).toFixed(2)} s, warden ${(warden[k]!.ms / 1000).toFixed(2)} s; repacked: reference ${(packedReference[k]!.ms / 1000).toFixed(2)} s, warden ${(packedWarden[k]!.ms / 1000).toFixed(2)} s`,
    );
  }
  const w = medianPass(warden);
  const ref = medianPass(reference);
  const rd = medianPass(reader);
  const src = medianPass(source);
  const pref = medianPass(packedReference);
  const pw = medianPass(packedWarden);
  const rate = (p: Pass): number => p.blobs / (p.ms / 1000);
  const mbps = (p: Pass): number => p.bytes / 2 ** 20 / (p.ms / 1000);

  console.log(
    `\nHistory benchmark: ${params.commits} commits, ${ref.blobs} blobs (${(ref.bytes / 2 ** 20).toFixed(1)} MB), median of ${runs}`,
  );
  console.log(
    formatTable(
      ['pass', 'blobs', 'median s', 'blobs/s', 'MB/s'],
      [
        ['warden runScan mode git', String(w.blobs), fixed(w.ms / 1000, 2), fixed(rate(w), 0), fixed(mbps(w))],
        ['git rev-list + cat-file --batch', String(ref.blobs), fixed(ref.ms / 1000, 2), fixed(rate(ref), 0), fixed(mbps(ref))],
        ['warden catFileBatch only (read here)', String(rd.blobs), fixed(rd.ms / 1000, 2), fixed(rate(rd), 0), fixed(mbps(rd))],
        [
          'warden gitHistoryItems only (reader thread)',
          String(src.blobs),
          fixed(src.ms / 1000, 2),
          fixed(rate(src), 0),
          fixed(mbps(src)),
        ],
        ['warden runScan, repacked copy', String(pw.blobs), fixed(pw.ms / 1000, 2), fixed(rate(pw), 0), fixed(mbps(pw))],
        ['git floor, repacked copy', String(pref.blobs), fixed(pref.ms / 1000, 2), fixed(rate(pref), 0), fixed(mbps(pref))],
      ],
    ),
  );
  // Peak memory of the whole product on the same history: the CLI in a child process, measured once.
  const cli = join(root, 'dist', 'src', 'cli', 'bin.js');
  const cliRun = await runMeasured(
    process.execPath,
    [cli, 'scan', repo, '--git', '--format', 'json', '-o', join(root, '.bench', 'out', 'history-scan.json'), '--no-progress'],
    { cwd: join(root, '.bench'), timeoutMs: 30 * 60_000 },
  );
  console.log(
    `warden scan --git (CLI, process start included, ${rssMethod}): ${fixed(cliRun.wallMs / 1000, 2)} s, peak RSS ${fixed(cliRun.peakRssMb, 0)} MB`,
  );
  const vsRef = rate(w) / rate(ref);
  const vsPacked = rate(pw) / rate(pref);
  console.log(`warden/reference blobs/s: ${vsRef.toFixed(2)}x`);
  // The same history repacked as `git gc` leaves a repository: git reads it several times faster, so the
  // scan's own cost shows.
  console.log(`warden/reference blobs/s on the repacked copy: ${vsPacked.toFixed(2)}x`);
  if (pw.found !== w.found || pw.findings !== w.findings) console.log('note: the repacked copy gave other findings');
  if (w.blobs !== ref.blobs) console.log(`note: Warden scanned ${w.blobs} blobs, git lists ${ref.blobs}`);
  console.log(
    `secret findings: ${w.findings}; planted secrets found: ${ratio(w.found, manifest.plants.length)}, by the rule they were made for: ${w.foundByOwnRule}`,
  );
  const missed = Object.entries(w.missedByRule).map(([id, n]) => `${id}: ${n}`);
  console.log(`missed by rule: ${missed.length === 0 ? 'none' : missed.join('; ')}`);
  const other = Object.entries(w.foundByOtherRule).map(([k, n]) => `${k}: ${n}`);
  console.log(`found only by another rule (planted → reported): ${other.length === 0 ? 'none' : other.join('; ')}`);
  const extra = Object.entries(w.unplanted).map(([id, n]) => `${id}: ${n}`);
  console.log(`findings not at a planted secret: ${extra.length === 0 ? 'none' : extra.join('; ')}`);
  console.log(
    JSON.stringify({
      bench: 'history',
      commits: params.commits,
      blobs: ref.blobs,
      mb: round(ref.bytes / 2 ** 20),
      runs,
      warden: {
        blobsPerS: round(rate(w), 0),
        medianS: round(w.ms / 1000, 3),
        runsS: warden.map((p) => round(p.ms / 1000, 3)),
        blobs: w.blobs,
      },
      reference: {
        blobsPerS: round(rate(ref), 0),
        medianS: round(ref.ms / 1000, 3),
        runsS: reference.map((p) => round(p.ms / 1000, 3)),
      },
      cli: { wallS: round(cliRun.wallMs / 1000, 3), peakRssMb: round(cliRun.peakRssMb, 0) },
      catFileBatch: { blobsPerS: round(rate(rd), 0), medianS: round(rd.ms / 1000, 3) },
      gitHistoryItems: { blobsPerS: round(rate(src), 0), medianS: round(src.ms / 1000, 3) },
      ratioWardenOverReference: round(vsRef),
      repacked: {
        warden: { blobsPerS: round(rate(pw), 0), medianS: round(pw.ms / 1000, 3) },
        reference: { blobsPerS: round(rate(pref), 0), medianS: round(pref.ms / 1000, 3) },
        ratioWardenOverReference: round(vsPacked),
      },
      findings: w.findings,
      planted: manifest.plants.length,
      found: w.found,
      foundByOwnRule: w.foundByOwnRule,
      missedByRule: w.missedByRule,
      unplanted: w.unplanted,
      foundByOtherRule: w.foundByOtherRule,
      node: process.version,
      // A shared machine's load skews every number; quoted so readers can discount a noisy run.
      loadAvg: loadavg().map((x) => round(x)),
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 2;
});
