/**
 * bench:events — events/s per format through Warden's normalisation, side by side with a bare
 * JSON.parse loop over the same lines in the same run (the floor any JSON-lines consumer pays), and the
 * whole path (read file → split → parse → detect format → normalise) on one thread and on workers.
 * Timings are noisy on 2 cores: medians of several runs, and ratios, are what to read.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../src/model/package-root.js';
import { emptyTelemetryStats, normalizeBatches, recordBatchesOfFiles } from '../src/telemetry/normalize.js';
import * as agentTrace from '../src/telemetry/parsers/agent-trace.samples.js';
import { aksAudit, azureActivity, entraAudit, entraSignIn } from '../src/telemetry/parsers/azure.samples.js';
import * as cloudtrail from '../src/telemetry/parsers/cloudtrail.samples.js';
import { gcpAudit, gkeAudit } from '../src/telemetry/parsers/gcp-audit.samples.js';
import * as githubAudit from '../src/telemetry/parsers/github-audit.samples.js';
import { PARSERS } from '../src/telemetry/parsers/index.js';
import * as k8sAudit from '../src/telemetry/parsers/k8s-audit.samples.js';
import * as ocsf from '../src/telemetry/parsers/ocsf.samples.js';
import * as okta from '../src/telemetry/parsers/okta.samples.js';
import * as openaiAudit from '../src/telemetry/parsers/openai-audit.samples.js';
import * as vault from '../src/telemetry/parsers/vault.samples.js';
import { fixed, formatTable, peakRssMb } from './lib/report.js';

const SAMPLES: Record<string, (seed?: number) => unknown[]> = {
  vault: vault.sampleRecords,
  cloudtrail: cloudtrail.sampleRecords,
  'k8s-audit': k8sAudit.sampleRecords,
  'github-audit': githubAudit.sampleRecords,
  okta: okta.sampleRecords,
  'agent-trace': agentTrace.sampleRecords,
  ocsf: ocsf.sampleRecords,
  'gcp-audit': gcpAudit.sampleRecords,
  'gke-audit': gkeAudit.sampleRecords,
  'azure-activity': azureActivity.sampleRecords,
  'entra-signin': entraSignIn.sampleRecords,
  'entra-audit': entraAudit.sampleRecords,
  'aks-audit': aksAudit.sampleRecords,
  'openai-audit': openaiAudit.sampleRecords,
};

const LINES = Number(process.env.BENCH_LINES ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const dir = join(packageRoot(), '.bench', 'events');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

/** Lines of one format: its samples over many seeds, so ids, identities and times vary. */
function linesOf(source: string): string[] {
  const out: string[] = [];
  for (let seed = 1; out.length < LINES; seed++) for (const r of SAMPLES[source]!(seed)) out.push(JSON.stringify(r));
  return out.slice(0, LINES);
}

async function throughputOfFiles(files: string[]): Promise<{ ms: number; events: number }> {
  const stats = emptyTelemetryStats();
  const t = performance.now();
  let events = 0;
  for await (const batch of normalizeBatches(recordBatchesOfFiles(files, (async function* () {})()), {}, stats))
    events += batch.length;
  return { ms: performance.now() - t, events };
}

/** The floor for the whole path (BENCHMARKS.md): read the same files, split them and parse every line, nothing else. */
function bareOfFiles(files: string[]): number {
  const t = performance.now();
  for (const f of files) for (const l of readFileSync(f, 'utf8').split('\n')) if (l.length > 0) JSON.parse(l);
  return performance.now() - t;
}

/** The same file set split over worker threads, each normalising its share. */
async function throughputOnWorkers(files: string[], threads: number): Promise<{ ms: number; events: number }> {
  const shares: string[][] = Array.from({ length: threads }, () => []);
  for (const [i, f] of files.entries()) shares[i % threads]!.push(f);
  const t = performance.now();
  const counts = await Promise.all(
    shares.map(
      (share) =>
        new Promise<number>((resolve, reject) => {
          const w = new Worker(new URL('./events-worker.js', import.meta.url), { workerData: share });
          w.once('message', resolve);
          w.once('error', reject);
        }),
    ),
  );
  return { ms: performance.now() - t, events: counts.reduce((a, b) => a + b, 0) };
}

async function main(): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const rows: string[][] = [];
  const results: Record<string, unknown> = {};
  const files: string[] = [];
  let totalLines = 0;
  for (const [source, factory] of PARSERS) {
    if (SAMPLES[source] === undefined)
      throw new Error(`bench:events has no samples for the ${source} parser; add them to SAMPLES`);
    const lines = linesOf(source);
    totalLines += lines.length;
    const file = join(dir, `${source}.jsonl`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    files.push(file);
    const parseMs: number[] = [];
    const normMs: number[] = [];
    let events = 0;
    for (let r = 0; r < RUNS; r++) {
      // Alternate the order so neither side always runs on a warmer heap.
      const bare = () => {
        for (const l of lines) JSON.parse(l);
      };
      const warden = () => {
        const p = factory();
        events = 0;
        for (let i = 0; i < lines.length; i++) {
          const out = p.push(JSON.parse(lines[i]!), { file, line: i + 1 });
          if (Array.isArray(out)) events += out.length;
        }
        events += p.flush().length;
      };
      if (r % 2 === 0) {
        parseMs.push(time(bare));
        normMs.push(time(warden));
      } else {
        normMs.push(time(warden));
        parseMs.push(time(bare));
      }
    }
    const p = median(parseMs);
    const n = median(normMs);
    results[source] = {
      lines: lines.length,
      events,
      parseMs: p,
      normaliseMs: n,
      ratio: n / p,
      eventsPerSec: (events / n) * 1000,
    };
    rows.push([
      source,
      String(lines.length),
      String(events),
      fixed((lines.length / p) * 1000, 0),
      fixed((events / n) * 1000, 0),
      `${fixed(n / p, 2)}x`,
    ]);
  }
  console.log(`bench:events — ${LINES} lines per format, median of ${RUNS} runs, one thread\n`);
  console.log(formatTable(['format', 'lines', 'events', 'JSON.parse lines/s', 'warden events/s', 'warden/parse'], rows));

  const singles: Array<{ ms: number; events: number }> = [];
  const bares: number[] = [];
  for (let r = 0; r < Math.min(RUNS, 3); r++) {
    bares.push(bareOfFiles(files));
    singles.push(await throughputOfFiles(files));
  }
  const single = { ms: median(singles.map((x) => x.ms)), events: singles[0]!.events };
  const bareMs = median(bares);
  const threads = Math.min(availableParallelism(), files.length);
  const pool = await throughputOnWorkers(files, threads);
  console.log(
    `\nwhole path from files (read, split, detect, normalise), all ${files.length} formats mixed, ${totalLines} lines:`,
  );
  console.log(
    formatTable(
      ['mode', 'events', 'events/s'],
      [
        ['bare read + split + JSON.parse, 1 thread', String(totalLines), fixed((totalLines / bareMs) * 1000, 0)],
        [
          `1 thread (${fixed(single.ms / bareMs, 2)}x the bare floor)`,
          String(single.events),
          fixed((single.events / single.ms) * 1000, 0),
        ],
        [`${threads} worker threads`, String(pool.events), fixed((pool.events / pool.ms) * 1000, 0)],
      ],
    ),
  );
  results.wholePath = {
    single: (single.events / single.ms) * 1000,
    workers: (pool.events / pool.ms) * 1000,
    threads,
    bareLinesPerSec: (totalLines / bareMs) * 1000,
    ratioToBare: single.ms / bareMs,
  };
  results.peakRssMb = Math.round(peakRssMb());
  console.log(`\npeak RSS of the bench process (worker threads included): ${fixed(peakRssMb(), 0)} MiB`);
  console.log(`\n${JSON.stringify({ bench: 'events', results })}`);
}

await main();
