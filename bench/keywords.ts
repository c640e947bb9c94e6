/**
 * `npm run bench:keywords`: the secret engine's keyword pass and whole engine, native prefilter
 * (Hyperscan) against the JavaScript automaton, over one corpus's files held in memory.
 *
 * BENCH_CORPUS: a folder (default: the newest .bench/corpus/* that bench:scan generated). BENCH_RUNS
 * (5): runs per engine, alternated, each timed in CPU time of this process; medians reported.
 * The findings of both engines are compared (same JSON, or the bench fails).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { packageRoot } from '../src/model/package-root.js';
import type { KeywordHits } from '../src/scan/secrets/aho-corasick.js';
import { createSecretScanner, type SecretScanner } from '../src/scan/secrets/engine.js';
import { loadSecretRules } from '../src/scan/secrets/load-rules.js';
import { createKeywordMatcher, type KeywordMatcher } from '../src/scan/secrets/native-keywords.js';
import { envInt, median } from './lib/measure.js';
import { formatTable, peakRssMb } from './lib/report.js';

const log = (s: string): void => console.log(`[bench] ${s}`);

function defaultCorpus(): string {
  const base = join(packageRoot(), '.bench', 'corpus');
  // Folders only: bench:scan keeps each corpus's manifest beside it as <key>.manifest.json.
  const dirs = readdirSync(base, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(base, d.name));
  dirs.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (dirs.length === 0) throw new Error('no corpus: run npm run bench:scan once, or set BENCH_CORPUS');
  return dirs[0]!;
}

function withNative<T>(on: boolean, body: () => T): T {
  const saved = process.env.WARDEN_NATIVE;
  if (on) delete process.env.WARDEN_NATIVE;
  else process.env.WARDEN_NATIVE = '0';
  try {
    return body();
  } finally {
    if (saved === undefined) delete process.env.WARDEN_NATIVE;
    else process.env.WARDEN_NATIVE = saved;
  }
}

const cpuMs = (body: () => void): number => {
  const t = process.cpuUsage();
  body();
  const u = process.cpuUsage(t);
  return (u.user + u.system) / 1000;
};

interface Engine {
  name: string;
  matcher: KeywordMatcher;
  scanner: SecretScanner;
  keywordMs: number[];
  engineMs: number[];
  digest?: string;
  findings?: number;
}

function main(): void {
  const corpus = process.env.BENCH_CORPUS ?? defaultCorpus();
  const runs = envInt('BENCH_RUNS', 5);
  const files: Array<{ path: string; bytes: Buffer }> = [];
  for (const entry of readdirSync(corpus, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    files.push({ path: relative(corpus, full), bytes: readFileSync(full) });
  }
  files.sort((a, b) => (a.path < b.path ? -1 : 1));
  const total = files.reduce((s, f) => s + f.bytes.length, 0);
  log(`corpus ${corpus}: ${files.length} files, ${(total / 2 ** 20).toFixed(1)} MB in memory; ${runs} runs per engine`);

  const rules = loadSecretRules();
  const keywords = [...new Set(rules.flatMap((r) => r.keywords))];
  const engines: Engine[] = [false, true].map((on) =>
    withNative(on, () => {
      const matcher = createKeywordMatcher(keywords);
      return { name: on ? 'native' : 'js', matcher, scanner: createSecretScanner({ rules }), keywordMs: [], engineMs: [] };
    }),
  );
  for (const e of engines)
    log(`${e.name}: keyword engine ${e.matcher.engine}${e.matcher.fallbackReason ? ` (${e.matcher.fallbackReason})` : ''}`);

  const hits: KeywordHits = { buf: new Int32Array(4096) };
  for (let run = 0; run < runs; run++) {
    // Alternated, and the order flipped every run, so neither engine always runs on a warmer machine.
    const order = run % 2 === 0 ? engines : [...engines].reverse();
    for (const e of order) {
      let ints = 0;
      e.keywordMs.push(
        cpuMs(() => {
          for (const f of files) ints += e.matcher.collect(f.bytes, hits);
        }),
      );
      const all: unknown[] = [];
      e.engineMs.push(
        cpuMs(() => {
          for (const f of files) all.push(e.scanner.scanBuffer(f.bytes, f.path).findings);
        }),
      );
      if (run === 0) {
        e.digest = createHash('sha256').update(JSON.stringify(all)).digest('hex');
        e.findings = all.reduce<number>((s, list) => s + (list as unknown[]).length, 0);
        log(`${e.name}: ${ints / 2} keyword hits, ${e.findings} findings, sha256 ${e.digest.slice(0, 16)}`);
      }
    }
  }
  const [js, native] = engines as [Engine, Engine];
  const mbps = (ms: number): string => (total / 2 ** 20 / (ms / 1000)).toFixed(0);
  console.log(
    formatTable(
      ['engine', 'keyword pass, ms CPU', 'whole engine, ms CPU', 'MB/s (engine)', 'findings'],
      engines.map((e) => [
        `${e.name} (${e.matcher.engine})`,
        median(e.keywordMs).toFixed(0),
        median(e.engineMs).toFixed(0),
        mbps(median(e.engineMs)),
        String(e.findings),
      ]),
    ),
  );
  log(
    `native/js: keyword pass ${(median(js.keywordMs) / median(native.keywordMs)).toFixed(2)}x, whole engine ${(median(js.engineMs) / median(native.engineMs)).toFixed(2)}x faster (medians of ${runs}, CPU time)`,
  );
  log(`peak RSS of the bench process (corpus held in memory): ${peakRssMb().toFixed(0)} MiB`);
  if (js.digest !== native.digest) {
    console.error('[bench] findings differ between the engines');
    process.exitCode = 1;
  } else log('findings identical');
}

main();
