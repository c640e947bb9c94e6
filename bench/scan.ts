/**
 * `npm run bench:scan`: Warden against secretlint and ripgrep on one generated corpus.
 *
 * The corpus (BENCH_MB of realistic text with planted synthetic secrets and decoys, all generated from
 * a seed at run time) is cached under .bench/. Each tool runs as a child process on the same files so
 * wall time and peak RSS are measured the same way; findings are scored against the corpus manifest by
 * file and line. Nothing here asserts a timing: it reports numbers to quote and compare.
 *
 * Environment: BENCH_MB (200), BENCH_RUNS (3, for Warden and rg), BENCH_SECRETLINT_RUNS (1),
 * BENCH_SECRETS (2000), BENCH_DECOYS (2000), BENCH_SEED (1), BENCH_TIMEOUT_S (1800 per run),
 * BENCH_TOOLS (comma list of warden, warden-secrets, warden-1t, rg, secretlint; default all), BENCH_SECRETLINT_FORMAT
 * (unix by default; json repeats the content of every file read in its report; compact).
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { packageRoot } from '../src/model/package-root.js';
import { ensureCorpus, type Manifest } from './lib/corpus.js';
import { keywordEngineLine } from './lib/keyword-engine.js';
import { envInt, median, type RunResult, rssMethod, runMeasured, warmPageCache } from './lib/measure.js';
import { fixed, formatTable, ratio, round } from './lib/report.js';
import { type Hit, type Score, scorePlants } from './lib/score.js';
import { type Availability, ensureRipgrep, ensureSecretlint } from './lib/tools.js';

const MB = 2 ** 20;

/**
 * ripgrep's side of the comparison: the token shapes a hand-written grep pre-commit check would use.
 * Rust regex syntax (also valid JavaScript, which the coverage count below relies on).
 */
const RG_PATTERNS = [
  'A[KS]IA[0-9A-Z]{16}',
  'gh[pousr]_[A-Za-z0-9]{36}',
  'github_pat_[A-Za-z0-9_]{82}',
  'glpat-[A-Za-z0-9_-]{20}',
  'xox[baprs]-[A-Za-z0-9-]{10,}',
  'hooks\\.slack\\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+',
  '[sr]k_live_[A-Za-z0-9]{24,}',
  'AIza[0-9A-Za-z_-]{35}',
  'ya29\\.[0-9A-Za-z_-]{20,}',
  '-----BEGIN [A-Z ]*PRIVATE KEY-----',
  'npm_[A-Za-z0-9]{36}',
  'hf_[A-Za-z]{34}',
  'sk-ant-[A-Za-z0-9_-]{20,}',
  'sk-(?:proj-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}',
  'SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}',
  'AccountKey=[A-Za-z0-9+/=]{88}',
  'dop_v1_[a-f0-9]{64}',
  'shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}',
  'eyJ[A-Za-z0-9_-]{10,}\\.eyJ[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]{10,}',
  'pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}',
  'https?://[^\\s/:@]+:[^\\s/:@]{3,}@[^\\s/]+',
];

/** secretlint's output format: unix (its fastest honest setting), or BENCH_SECRETLINT_FORMAT=json|compact. */
function secretlintFormat(): 'unix' | 'json' | 'compact' {
  const f = process.env.BENCH_SECRETLINT_FORMAT;
  return f === 'json' || f === 'compact' ? f : 'unix';
}

interface Invocation {
  cmd: string;
  args: string[];
  cwd: string;
  /** Where the report ends up (a -o file, or captured standard output). */
  outFile: string;
  captureStdout: boolean;
  /** Exit codes that mean "ran to the end" (finding tools exit 1 on findings). */
  okExit: readonly number[];
  /** A separate, untimed run for accuracy when the timed form prints no locations (rg -c). */
  accuracyRun?: Omit<Invocation, 'accuracyRun' | 'parse'>;
  parse: (outFile: string) => Hit[];
  version?: string;
}

interface ToolSpec {
  name: string;
  label: string;
  runs: number;
  prepare: () => Availability<Invocation>;
}

interface ToolResult {
  name: string;
  label: string;
  skipped?: string;
  version?: string;
  runsMs: number[];
  medianMs?: number;
  mbPerS?: number;
  peakRssMb?: number;
  score?: Score;
  note?: string;
}

const log = (s: string): void => console.log(`[bench] ${s}`);

interface WardenReport {
  summary: { files: number; bytes: number };
  findings: { ruleId: string; kind: 'secret' | 'posture'; path: string; line: number }[];
}

function parseWarden(outFile: string): Hit[] {
  const report = JSON.parse(readFileSync(outFile, 'utf8')) as WardenReport;
  // Posture findings (risky configuration) are another question than "is there a secret here"; counted apart.
  return report.findings.filter((f) => f.kind === 'secret').map((f) => ({ path: f.path, line: f.line, ruleId: f.ruleId }));
}

interface SecretlintResult {
  filePath: string;
  messages: { ruleId: string; loc: { start: { line: number } } }[];
}

function parseSecretlint(corpus: string, outFile: string): Hit[] {
  // The JSON formatter repeats every file's content (sourceContent), so the report is corpus-sized; fine to parse once.
  const results = JSON.parse(readFileSync(outFile, 'utf8')) as SecretlintResult[];
  const hits: Hit[] = [];
  for (const r of results) {
    const path = relative(corpus, r.filePath).split('\\').join('/');
    for (const m of r.messages) hits.push({ path, line: m.loc.start.line, ruleId: m.ruleId });
  }
  return hits;
}

function parseSecretlintCompact(corpus: string, outFile: string): Hit[] {
  // "/abs/path: line 3, col 14, Error - message (ruleId)"
  const hits: Hit[] = [];
  for (const l of readFileSync(outFile, 'utf8').split('\n')) {
    const m = /^(.*): line (\d+), col \d+, \w+ - .*\(([^()]+)\)$/.exec(l);
    if (m) hits.push({ path: relative(corpus, m[1]!).split('\\').join('/'), line: Number(m[2]), ruleId: m[3]! });
  }
  return hits;
}

function parseSecretlintUnix(corpus: string, outFile: string): Hit[] {
  // "/abs/path:line:col: message [Error/preset > ruleId]"
  const hits: Hit[] = [];
  for (const l of readFileSync(outFile, 'utf8').split('\n')) {
    const m = /^(.*?):(\d+):\d+: .*\[\w+\/(?:.* > )?([^\]]+)\]$/.exec(l);
    if (m) hits.push({ path: relative(corpus, m[1]!).split('\\').join('/'), line: Number(m[2]), ruleId: m[3]! });
  }
  return hits;
}

function parseRgLocations(outFile: string): Hit[] {
  // Lines look like "./path:line:" (-o with an empty replacement keeps secrets out of the output).
  const hits: Hit[] = [];
  for (const l of readFileSync(outFile, 'utf8').split('\n')) {
    const m = /^(?:\.\/)?(.*):(\d+):$/.exec(l);
    if (m) hits.push({ path: m[1]!, line: Number(m[2]) });
  }
  return hits;
}

/** How many planted secrets any rg pattern could match at all: rg's ceiling, for reading its recall. */
function rgCoverable(corpus: string, manifest: Manifest): number {
  const res = RG_PATTERNS.map((p) => new RegExp(p));
  const byPath = new Map<string, Manifest['plants']>();
  for (const p of manifest.plants) if (p.kind === 'secret') byPath.set(p.path, [...(byPath.get(p.path) ?? []), p]);
  let n = 0;
  for (const [path, plants] of byPath) {
    const lines = readFileSync(join(corpus, path), 'utf8').split('\n');
    for (const p of plants) {
      const text = lines.slice(p.line - 1, p.endLine).join('\n');
      if (res.some((re) => re.test(text))) n++;
    }
  }
  return n;
}

function toolSpecs(root: string, corpus: string, outDir: string, runs: number, slRuns: number): ToolSpec[] {
  const cli = join(root, 'dist', 'src', 'cli', 'bin.js');
  const cache = join(root, '.bench');
  const warden = (threads?: number, secretsOnly = false): Availability<Invocation> => {
    if (!existsSync(cli)) return { ok: false, reason: `${cli} not built (npm run build)` };
    const outFile = join(
      outDir,
      secretsOnly ? 'warden-secrets.json' : threads === undefined ? 'warden.json' : `warden-${threads}t.json`,
    );
    const args = [cli, 'scan', corpus, '--format', 'json', '-o', outFile, '--no-progress'];
    if (threads !== undefined) args.push('--threads', String(threads));
    // Secret rules only: the difference to the full run is what posture analysis and inventory cost.
    if (secretsOnly) args.push('--rule', 'secret.*');
    // cwd is the cache folder: no warden.config.yaml there, so defaults apply.
    const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
    return {
      ok: true,
      value: {
        cmd: process.execPath,
        args,
        cwd: cache,
        outFile,
        captureStdout: false,
        okExit: [0, 1],
        parse: parseWarden,
        version,
      },
    };
  };
  return [
    { name: 'warden', label: 'warden', runs, prepare: () => warden() },
    { name: 'warden-secrets', label: "warden --rule 'secret.*'", runs, prepare: () => warden(undefined, true) },
    { name: 'warden-1t', label: 'warden --threads 1', runs, prepare: () => warden(1) },
    {
      name: 'rg',
      label: 'ripgrep (21 patterns)',
      runs,
      prepare: () => {
        const rg = ensureRipgrep(log);
        if (!rg.ok) return rg;
        // --no-ignore: the corpus sits in a git-ignored folder; --hidden: .env files are dotfiles.
        const common = ['--no-ignore', '--hidden', '--no-messages', ...RG_PATTERNS.flatMap((p) => ['-e', p])];
        const outFile = join(outDir, 'rg-count.txt');
        const locFile = join(outDir, 'rg-lines.txt');
        return {
          ok: true,
          value: {
            cmd: rg.value.bin,
            args: ['-c', ...common, '.'],
            cwd: corpus,
            outFile,
            captureStdout: true,
            okExit: [0, 1],
            accuracyRun: {
              cmd: rg.value.bin,
              args: ['-n', '--no-heading', '--with-filename', '-o', '-r', '', ...common, '.'],
              cwd: corpus,
              outFile: locFile,
              captureStdout: true,
              okExit: [0, 1],
            },
            parse: () => parseRgLocations(locFile),
            version: rg.value.version,
          },
        };
      },
    },
    {
      name: 'secretlint',
      label: `secretlint 13 (recommend, ${secretlintFormat()})`,
      runs: slRuns,
      prepare: () => {
        const sl = ensureSecretlint(join(cache, 'tools'), log);
        if (!sl.ok) return sl;
        // unix (the default, docs BENCHMARKS.md) and compact print one line per finding; json repeats every
        // file's content in the report (a corpus-sized file), which costs secretlint time of its own.
        const format = secretlintFormat();
        // secretlint reports real paths: a corpus reached through a symbolic link must be compared as its target.
        const realCorpus = realpathSync(corpus);
        const outFile = join(outDir, `secretlint.${format === 'json' ? 'json' : 'txt'}`);
        return {
          ok: true,
          value: {
            cmd: sl.value.node,
            // --no-gitignore: secretlint 13 honours .gitignore files, and the corpus folder is ignored by Warden's.
            args: [
              sl.value.script,
              '**/*',
              '--format',
              format,
              '--output',
              outFile,
              '--secretlintrc',
              sl.value.rcFile,
              '--no-gitignore',
              '--no-color',
              '--no-terminalLink',
            ],
            cwd: corpus,
            outFile,
            captureStdout: false,
            // With --output secretlint exits 0 even when it finds something.
            okExit: [0, 1],
            parse: (f) =>
              format === 'json'
                ? parseSecretlint(realCorpus, f)
                : format === 'compact'
                  ? parseSecretlintCompact(realCorpus, f)
                  : parseSecretlintUnix(realCorpus, f),
            version: `${sl.value.version} on node ${sl.value.nodeVersion}`,
          },
        };
      },
    },
  ];
}

/** The gist of a failing tool's standard error: its error line rather than a stack trace. */
function tail(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const error = lines.find((l) => /error/i.test(l) && !l.startsWith('at '));
  return (error ?? lines.slice(-2).join(' | ')) || 'no error output';
}

async function runTool(
  spec: ToolSpec,
  corpusDir: string,
  corpusBytes: number,
  timeoutMs: number,
  plants: Manifest['plants'],
): Promise<ToolResult> {
  const result: ToolResult = { name: spec.name, label: spec.label, runsMs: [] };
  const prepared = spec.prepare();
  if (!prepared.ok) {
    result.skipped = prepared.reason;
    return result;
  }
  const inv = prepared.value;
  if (inv.version !== undefined) result.version = inv.version;
  const once = async (i: Omit<Invocation, 'accuracyRun' | 'parse'>): Promise<RunResult | string> => {
    // A report left by an earlier run must never be scored as this one's.
    rmSync(i.outFile, { force: true });
    const r = await runMeasured(i.cmd, i.args, { cwd: i.cwd, timeoutMs, ...(i.captureStdout ? { stdoutFile: i.outFile } : {}) });
    if (r.timedOut) return `timed out after ${timeoutMs / 1000} s`;
    if (r.exitCode === null || !i.okExit.includes(r.exitCode)) {
      return `exit ${r.exitCode ?? r.signal}: ${tail(r.stderrTail)}`;
    }
    // Node exits 1 on a crash too (an unresolved import, say), which looks like "findings": no report tells them apart.
    if (!existsSync(i.outFile)) return `exit ${r.exitCode} without a report: ${tail(r.stderrTail)}`;
    return r;
  };
  let peak = 0;
  for (let k = 0; k < spec.runs; k++) {
    // Every timed run starts with the corpus in the page cache (BENCHMARKS.md), whatever ran before it.
    warmPageCache(corpusDir);
    const r = await once(inv);
    if (typeof r === 'string') {
      result.skipped = `failed: ${r}`;
      return result;
    }
    result.runsMs.push(r.wallMs);
    if (r.peakRssMb !== undefined) peak = Math.max(peak, r.peakRssMb);
    log(`${spec.label}: run ${k + 1}/${spec.runs} ${(r.wallMs / 1000).toFixed(2)} s, peak RSS ${fixed(r.peakRssMb, 0)} MB`);
  }
  if (inv.accuracyRun) {
    const r = await once(inv.accuracyRun);
    if (typeof r === 'string') {
      result.skipped = `accuracy run failed: ${r}`;
      return result;
    }
  }
  result.medianMs = median(result.runsMs);
  result.mbPerS = corpusBytes / MB / (result.medianMs / 1000);
  if (peak > 0) result.peakRssMb = peak;
  result.score = scorePlants(plants, inv.parse(inv.outFile));
  return result;
}

function missedByRule(s: Score): Record<string, number> {
  return Object.fromEntries(
    Object.entries(s.byRule)
      .filter(([, [p, f]]) => f < p)
      .map(([id, [p, f]]) => [id, p - f]),
  );
}

function top(rec: Record<string, number>, n: number): string {
  const entries = Object.entries(rec).sort((a, b) => b[1] - a[1]);
  const shown = entries.slice(0, n).map(([k, v]) => `${k}: ${v}`);
  return shown.length === 0 ? 'none' : shown.join('; ') + (entries.length > n ? `; … ${entries.length - n} more` : '');
}

async function main(): Promise<void> {
  const root = packageRoot();
  const sizeMb = envInt('BENCH_MB', 200);
  const runs = envInt('BENCH_RUNS', 3);
  const slRuns = envInt('BENCH_SECRETLINT_RUNS', 1);
  const timeoutMs = envInt('BENCH_TIMEOUT_S', 1800) * 1000;
  const selected = (process.env.BENCH_TOOLS ?? 'warden,warden-secrets,warden-1t,rg,secretlint').split(',').map((s) => s.trim());
  const params = {
    targetBytes: Math.round(sizeMb * MB),
    secrets: envInt('BENCH_SECRETS', 2000),
    decoys: envInt('BENCH_DECOYS', 2000),
    seed: envInt('BENCH_SEED', 1),
  };
  const cache = join(root, '.bench');
  const outDir = join(cache, 'out');
  mkdirSync(outDir, { recursive: true });

  const { dir: corpus, manifest, reused } = ensureCorpus(join(cache, 'corpus'), params, log);
  const mb = manifest.bytes / MB;
  const planted = manifest.plants.filter((p) => p.kind === 'secret').length;
  const decoys = manifest.plants.length - planted;
  const rules = new Set(manifest.plants.filter((p) => p.kind === 'secret').map((p) => p.ruleId)).size;
  log(
    `corpus ${corpus} (${reused ? 'reused' : 'new'}): ${manifest.files} files, ${mb.toFixed(1)} MB, ${planted} planted secrets over ${rules} rules, ${decoys} decoys`,
  );
  log(keywordEngineLine());
  log(
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} on ${cpus().length} cores`,
  );
  log(
    `MB = 2^20 bytes; wall time includes process start-up; peak RSS via ${rssMethod}; ${runs} run(s) per tool, ${slRuns} for secretlint`,
  );

  const results: ToolResult[] = [];
  for (const spec of toolSpecs(root, corpus, outDir, runs, slRuns)) {
    if (!selected.includes(spec.name)) continue;
    const r = await runTool(spec, corpus, manifest.bytes, timeoutMs, manifest.plants);
    if (r.skipped) log(`${spec.label}: skipped: ${r.skipped}`);
    results.push(r);
  }
  const byName = new Map(results.map((r) => [r.name, r]));
  const wardenResult = byName.get('warden');
  if (wardenResult?.score) {
    const report = JSON.parse(readFileSync(join(outDir, 'warden.json'), 'utf8')) as WardenReport;
    const notes: string[] = [];
    if (report.summary.files !== manifest.files) notes.push(`Warden scanned ${report.summary.files} of ${manifest.files} files`);
    const posture = report.findings.filter((f) => f.kind === 'posture');
    if (posture.length > 0) {
      const byRule: Record<string, number> = {};
      for (const f of posture) byRule[f.ruleId] = (byRule[f.ruleId] ?? 0) + 1;
      notes.push(`${posture.length} posture findings, not scored (${top(byRule, 6)})`);
    }
    if (notes.length > 0) wardenResult.note = notes.join('; ');
  }
  const rgResult = byName.get('rg');
  const coverable = rgResult?.score ? rgCoverable(corpus, manifest) : undefined;
  if (rgResult?.score && coverable !== undefined)
    rgResult.note = `its patterns can match ${coverable} of the ${planted} planted secrets`;

  // Recall per provider (secret.<provider>.*), or per rule with BENCH_PER_RULE=1: hundreds of rows otherwise.
  const perRule = process.env.BENCH_PER_RULE === '1';
  const groupOf = (id: string): string => (perRule ? id : id.split('.').slice(0, 2).join('.'));
  const scored = results.filter((r) => r.score);
  const groups = new Map<string, number[][]>();
  for (const [ti, r] of scored.entries()) {
    for (const [id, [p, f]] of Object.entries(r.score!.byRule)) {
      const g = groups.get(groupOf(id)) ?? scored.map(() => [0, 0]);
      g[ti]![0]! += p;
      g[ti]![1]! += f;
      groups.set(groupOf(id), g);
    }
  }
  console.log(
    `\nRecall per ${perRule ? 'planted rule' : 'provider (BENCH_PER_RULE=1 for each rule)'}: found at the planted file+line / planted`,
  );
  console.log(
    formatTable(
      [perRule ? 'rule' : 'provider', ...scored.map((r) => r.name)],
      [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([id, g]) => [id, ...g.map(([p, f]) => `${f}/${p}`)]),
    ),
  );

  for (const r of scored) {
    const s = r.score!;
    console.log(`\n${r.label}:`);
    const missed = Object.entries(missedByRule(s)).map(([id, n]) => `${id} ${n}/${s.byRule[id]![0]}`);
    if (r.name.startsWith('warden')) {
      console.log(`  missed planted secrets by rule: ${missed.length === 0 ? 'none' : missed.join('; ')}`);
      console.log(`  found by the rule the secret was made for: ${ratio(s.foundByOwnRule, s.planted)}`);
      console.log(`  found only by another rule (planted → reported): ${top(s.foundByOtherRule, 12)}`);
      console.log(
        `  recall as the example wrote it: ${ratio(s.asIs[1], s.asIs[0])}; behind a comment/indent/log prefix: ${ratio(s.wrapped[1], s.wrapped[0])}`,
      );
      console.log(`  missed when wrapped, by rule: ${top(s.missedWrappedByRule, 40)}`);
    } else {
      // Other tools know fewer providers; the per-rule table above has the detail.
      const none = Object.values(s.byRule).filter(([, f]) => f === 0).length;
      console.log(`  planted rules it finds nothing for: ${none} of ${Object.keys(s.byRule).length}`);
    }
    console.log(`  decoys flagged (${s.decoysFlagged} decoys; family ← rule: hits): ${top(s.decoyFlags, 20)}`);
    console.log(`  findings in clean text by rule: ${top(s.otherByRule, 12)}`);
    if (r.note) console.log(`  note: ${r.note}`);
  }

  console.log(
    `\nScan benchmark: ${manifest.files} files, ${mb.toFixed(1)} MB, ${planted} planted secrets, ${decoys} decoys (MB = 2^20 bytes)`,
  );
  console.log(
    formatTable(
      [
        'tool',
        'MB/s',
        'median s',
        'runs',
        'peak RSS MB',
        'planted found',
        'look-alikes flagged',
        'rule negatives hit',
        'clean-text hits',
      ],
      results.map((r) =>
        r.skipped
          ? [r.label, `skipped: ${r.skipped}`, '', '', '', '', '', '', '']
          : [
              r.label,
              fixed(r.mbPerS),
              fixed((r.medianMs ?? 0) / 1000, 2),
              String(r.runsMs.length),
              fixed(r.peakRssMb, 0),
              ratio(r.score!.found, r.score!.planted),
              ratio(r.score!.lookalikes[1], r.score!.lookalikes[0]),
              ratio(r.score!.negatives[1], r.score!.negatives[0]),
              String(r.score!.other),
            ],
      ),
    ),
  );
  const speedup = (a?: ToolResult, b?: ToolResult): number | undefined =>
    a?.mbPerS && b?.mbPerS ? a.mbPerS / b.mbPerS : undefined;
  const vsSecretlint = speedup(wardenResult, byName.get('secretlint'));
  const vsRg = speedup(wardenResult, rgResult);
  console.log(`warden/secretlint throughput: ${vsSecretlint === undefined ? 'n/a' : `${vsSecretlint.toFixed(2)}x`}`);
  console.log(`warden/ripgrep throughput: ${vsRg === undefined ? 'n/a' : `${vsRg.toFixed(2)}x`}`);
  const secretsOnly = byName.get('warden-secrets');
  const postureShare =
    wardenResult?.medianMs && secretsOnly?.medianMs ? 1 - secretsOnly.medianMs / wardenResult.medianMs : undefined;
  if (postureShare !== undefined)
    console.log(`posture and inventory share of the full scan's time: ${(postureShare * 100).toFixed(0)}%`);
  const oneThread = byName.get('warden-1t');
  const threadGain = speedup(wardenResult, oneThread);
  if (threadGain !== undefined) console.log(`all threads over one thread: ${threadGain.toFixed(2)}x`);
  if (coverable !== undefined) console.log(`ripgrep's patterns can match ${coverable}/${planted} planted secrets at best`);

  const json = {
    bench: 'scan',
    corpus: { key: manifest.key, files: manifest.files, mb: round(mb), planted, decoys, rules, seed: params.seed },
    tools: Object.fromEntries(
      results.map((r) => [
        r.name,
        r.skipped
          ? { skipped: r.skipped }
          : {
              version: r.version,
              mbPerS: round(r.mbPerS),
              medianS: round((r.medianMs ?? 0) / 1000, 3),
              runsS: r.runsMs.map((ms) => round(ms / 1000, 3)),
              peakRssMb: round(r.peakRssMb, 0),
              found: r.score!.found,
              foundByOwnRule: r.name.startsWith('warden') ? r.score!.foundByOwnRule : undefined,
              planted: r.score!.planted,
              decoysFlagged: r.score!.decoysFlagged,
              decoys: r.score!.decoys,
              lookalikesFlagged: r.score!.lookalikes[1],
              lookalikes: r.score!.lookalikes[0],
              ruleNegativesHit: r.score!.negatives[1],
              ruleNegatives: r.score!.negatives[0],
              cleanTextHits: r.score!.other,
              missedByRule: r.name.startsWith('warden') ? missedByRule(r.score!) : undefined,
              foundByOtherRule: r.name.startsWith('warden') ? r.score!.foundByOtherRule : undefined,
              recallAsIs: r.score!.asIs,
              recallWrapped: r.score!.wrapped,
              decoyFlags: r.name.startsWith('warden') ? r.score!.decoyFlags : undefined,
              cleanTextHitsByRule: r.score!.otherByRule,
              rulesWithNoFinding: Object.values(r.score!.byRule).filter(([, f]) => f === 0).length,
            },
      ]),
    ),
    ratios: {
      wardenOverSecretlint: round(vsSecretlint),
      wardenOverRipgrep: round(vsRg),
      postureShare: round(postureShare),
      threadsOverOne: round(threadGain),
    },
    rgCoverable: coverable ?? null,
    node: process.version,
    // A shared machine's load skews every number; quoted so readers can discount a noisy run.
    loadAvg: loadavg().map((x) => round(x)),
    corpusBytes: manifest.bytes,
  };
  console.log(JSON.stringify(json));
  writeFileSync(join(outDir, 'scan-result.json'), `${JSON.stringify(json, null, 2)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 2;
});
