/**
 * bench:detect — the detector against a generated scenario with labelled attacks.
 *
 * 1. Generates (or reuses, from .bench/detect/<key>/) a scenario: BENCH_IDENTITIES (1,000) identities
 *    over BENCH_DAYS (17) days from BENCH_START, seed BENCH_SEED; attacks in the last BENCH_ATTACK_DAYS
 *    (3) days, learning before them.
 * 2. Replays it the way a deployment reads its sources: one normaliser per source (that source's files
 *    in time order), the sources merged by time, every event through the detector, on a thread of its
 *    own as `warden detect --replay` runs input this large (then again on the calling thread, unless
 *    BENCH_CALLING_THREAD=0, for comparison; the alert counts must agree). Timed as a whole
 *    (read, gunzip, split, JSON.parse, detect format, normalise, merge, detect), next to the bare floor
 *    of BENCHMARKS.md in the same run (read, gunzip, split and JSON.parse every line; median of
 *    BENCH_FLOOR_RUNS, 3, around the whole path), and a normalise-only pass. Peak RSS is printed.
 * 3. Scores the alerts against truth.json (bench/detect-score.ts): recall per detection, false alarms
 *    by severity in the evaluation days, precision per detection; memory with the detector's state live.
 *
 * Prints a table and one JSON line. Timings are reported, never asserted.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';
import { replaysOnThread } from '../src/cli/detect-thread.js';
import { createDetector, mergeBatchesByTime } from '../src/detect/index.js';
import type { Alert } from '../src/model/alert.js';
import { DETECTION_IDS } from '../src/model/alert.js';
import { EVENT_PATH_YOUNG_GENERATION_MB } from '../src/model/heap.js';
import type { EventSource, IdentityEvent } from '../src/model/identity-event.js';
import { packageRoot } from '../src/model/package-root.js';
import { SEVERITIES } from '../src/model/severity.js';
import {
  type BenignChange,
  type Episode,
  GENERATOR_VERSION,
  type IdentityProfile,
  resolveParams,
  type ScenarioManifest,
  writeScenarioStream,
} from '../src/scenario/generate.js';
import { emptyTelemetryStats, normalizeBatches, recordBatchesOfFiles, type TelemetryStats } from '../src/telemetry/normalize.js';
import { SIGMA_ROW, score } from './detect-score.js';
import { fixed, formatTable, peakRssMb, ratio, round } from './lib/report.js';

const DAY = 86_400_000;
const env = (k: string, d: number) => (process.env[k] === undefined ? d : Number(process.env[k]));

const params = resolveParams({
  seed: env('BENCH_SEED', 1),
  identities: env('BENCH_IDENTITIES', 1000),
  days: env('BENCH_DAYS', 17),
  // A Friday: with 17 days the evaluation days are Friday to Sunday, so weekend nights are in them.
  start: process.env.BENCH_START ?? '2025-06-06',
  attackDays: env('BENCH_ATTACK_DAYS', 3),
  eventsPerIdentityPerDay: env('BENCH_EVENTS_PER_DAY', 40),
});
const learnUntil = Date.parse(params.start) + (params.days - params.attackDays) * DAY;

/** `gc()` without a command-line flag: bench scripts run as `node dist/bench/detect.js`. */
function gcFunction(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
const gc = gcFunction();

function memory(): { heap: number; rss: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

/** The cached scenario for these parameters, generated on first use. */
function scenario(): {
  dir: string;
  manifest: ScenarioManifest;
  truth: Episode[];
  changes: BenignChange[];
  identities: IdentityProfile[];
  generated: boolean;
} {
  const key = createHash('sha256').update(JSON.stringify({ GENERATOR_VERSION, params })).digest('hex').slice(0, 12);
  const dir = join(packageRoot(), '.bench', 'detect', key);
  const manifestPath = join(dir, 'manifest.json');
  let generated = false;
  if (!existsSync(manifestPath)) {
    rmSync(dir, { recursive: true, force: true });
    const t = performance.now();
    process.stdout.write(`generating ${params.identities} identities × ${params.days} days into ${dir} … `);
    writeScenarioStream(dir, params);
    console.log(`${fixed((performance.now() - t) / 1000, 1)} s`);
    generated = true;
  }
  const read = <T>(f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as T;
  return {
    dir,
    manifest: read('manifest.json'),
    truth: read('truth.json'),
    changes: read('changes.json'),
    identities: read('identities.json'),
    generated,
  };
}

/** Files by source, each source's in replay (time) order. */
function bySource(dir: string, manifest: ScenarioManifest): Map<EventSource, string[]> {
  const out = new Map<EventSource, string[]>();
  for (const f of manifest.files) {
    const source = f.slice(0, f.indexOf('/')) as EventSource;
    let list = out.get(source);
    if (list === undefined) {
      list = [];
      out.set(source, list);
    }
    list.push(join(dir, f));
  }
  return out;
}

const noStdin = (async function* () {})();

/** One normaliser per source, merged by time: the events, in batches, as `warden detect --replay` reads them. */
function events(files: Map<EventSource, string[]>, stats: TelemetryStats): AsyncGenerator<IdentityEvent[]> {
  return mergeBatchesByTime([...files.values()].map((list) => normalizeBatches(recordBatchesOfFiles(list, noStdin), {}, stats)));
}

/**
 * The floor (BENCHMARKS.md): read every file (gunzipped), split it into lines and JSON.parse every
 * line, nothing else. `parseMs` is the JSON.parse loop alone, the floor earlier runs quoted.
 */
function bareParse(dir: string, manifest: ScenarioManifest): { ms: number; parseMs: number; lines: number } {
  let parseMs = 0;
  let lines = 0;
  const t0 = performance.now();
  for (const f of manifest.files) {
    const raw = readFileSync(join(dir, f));
    const text = (f.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
    const split = text.split('\n');
    const t = performance.now();
    for (const l of split) {
      if (l.length === 0) continue;
      JSON.parse(l);
      lines++;
    }
    parseMs += performance.now() - t;
  }
  return { ms: performance.now() - t0, parseMs, lines };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** One run of the whole path: its alerts and time, and the detector's memory while its state is live. */
interface WholeRun {
  alerts: Alert[];
  stats: TelemetryStats;
  wholeMs: number;
  n: number;
  tracked: number;
  before: { heap: number; rss: number };
  live: { heap: number; rss: number };
}

/** The whole path (read, gunzip, split, JSON.parse, detect format, normalise, merge, detect) on this thread. */
async function wholePath(files: Map<EventSource, string[]>): Promise<WholeRun> {
  const before = memory();
  const stats = emptyTelemetryStats();
  // BENCH_NO_LEARN=1: no --learn-until, only each identity's warm-up (how a replay with no
  // training period behaves); the evaluation window is scored the same way.
  const detector = createDetector(process.env.BENCH_NO_LEARN === '1' ? {} : { learnUntil });
  const alerts: Alert[] = [];
  const t = performance.now();
  let n = 0;
  for await (const batch of events(files, stats)) {
    n += batch.length;
    for (const e of batch) for (const a of detector.process(e)) alerts.push(a);
  }
  const processMs = performance.now() - t;
  const live = memory();
  const t2 = performance.now();
  for (const a of detector.finish()) alerts.push(a);
  return { alerts, stats, wholeMs: processMs + (performance.now() - t2), n, tracked: detector.stats.identities, before, live };
}

/** `wholePath` on a thread started as `warden detect --replay` starts its own (this file, as a worker). */
function wholePathOnThread(): Promise<WholeRun> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), {
      workerData: { wholePath: true },
      resourceLimits: { maxYoungGenerationSizeMb: EVENT_PATH_YOUNG_GENERATION_MB },
    });
    w.once('message', resolve);
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`the bench thread ended without a result (exit code ${code})`)));
  });
}

async function main(): Promise<void> {
  const s = scenario();
  const files = bySource(s.dir, s.manifest);
  const primary = s.identities.filter((p) => p.support !== true).length;
  console.log(
    `bench:detect — ${primary} identities (+${s.identities.length - primary} supporting) × ${params.days} days from ${params.start.slice(0, 10)}, ` +
      `${s.manifest.files.length} files, ${s.manifest.lines} lines, ${s.truth.length} attack episodes; ` +
      `learning until ${new Date(learnUntil).toISOString().slice(0, 10)} (${params.days - params.attackDays} days), evaluating ${params.attackDays} days\n`,
  );

  // Normalise only (warms the parsers up, and shows what detection adds).
  const nStats = emptyTelemetryStats();
  const t = performance.now();
  let normalised = 0;
  for await (const batch of events(files, nStats)) normalised += batch.length;
  const normaliseMs = performance.now() - t;

  // The floor, BENCH_FLOOR_RUNS (3) times around the whole path: the median is what the ratio divides by.
  const floorRuns = env('BENCH_FLOOR_RUNS', 3);
  const floors = [bareParse(s.dir, s.manifest)];

  // The whole path as `warden detect --replay` runs it (on a thread of its own, with the event path's
  // young generation, for input this large), then on the calling thread for comparison.
  const onThread = replaysOnThread({ replay: [s.dir], persist: false, minSeverity: 'low' }, process.cwd());
  const threadRun = onThread ? await wholePathOnThread() : undefined;
  const hereRun = threadRun === undefined || process.env.BENCH_CALLING_THREAD !== '0' ? await wholePath(files) : undefined;
  const main = (threadRun ?? hereRun)!;
  const { alerts, stats, wholeMs, n, tracked, before, live } = main;
  for (let i = 1; i < floorRuns; i++) floors.push(bareParse(s.dir, s.manifest));
  const bare = { ms: median(floors.map((f) => f.ms)), parseMs: median(floors.map((f) => f.parseMs)), lines: floors[0]!.lines };
  const peakRss = peakRssMb();

  const sc = score(s.truth, alerts, learnUntil, s.changes);
  // False alarms per 1,000 primary identities per evaluation day: what a team of a given size would be paged with.
  const perThousandDays = (k: number) => ((k / Math.max(1, primary)) * 1000) / params.attackDays;

  // ---- report
  const ids: Array<keyof typeof sc.perDetection> = [
    ...DETECTION_IDS,
    ...(sc.perDetection[SIGMA_ROW] ? ([SIGMA_ROW] as const) : []),
  ];
  const rows = ids.map((id) => {
    const d = sc.perDetection[id]!;
    const fa = SEVERITIES.map((sev) => d.falseAlarms[sev]).reduce((a, b) => a + b, 0);
    return [
      id,
      String(d.episodes),
      String(d.detected),
      d.episodes === 0 ? 'n/a' : `${fixed((100 * d.detected) / d.episodes, 0)} %`,
      String(d.alerts),
      String(fa),
      d.alerts === 0 ? 'n/a' : `${fixed((100 * d.onAttacks) / d.alerts, 0)} %`,
    ];
  });
  rows.push([
    'all',
    String(sc.episodes),
    String(sc.detected),
    sc.episodes === 0 ? 'n/a' : `${fixed((100 * sc.detected) / sc.episodes, 0)} %`,
    String(rows.reduce((a, r) => a + Number(r[4]), 0)),
    String(sc.falseAlarms.length),
    '',
  ]);
  console.log(formatTable(['detection', 'episodes', 'detected', 'recall', 'alerts', 'false alarms', 'precision'], rows));

  const sev = SEVERITIES.map((x) => `${x} ${sc.falseAlarmsBySeverity[x]}`).join(', ');
  console.log(
    `\nepisodes found: ${ratio(sc.detected, sc.episodes)} (target ≥ 90 %)` +
      `\nfalse alarms in the ${params.attackDays} evaluation days: ${sc.falseAlarms.length} (${sev}); medium+ ${sc.falseAlarmsMediumPlus} (target ≤ 5)` +
      `\nfalse alarms per 1,000 identities per day: ${fixed(perThousandDays(sc.falseAlarms.length), 2)} (medium+ ${fixed(perThousandDays(sc.falseAlarmsMediumPlus), 2)})` +
      `\nalerts about an attack under another detection than expected: ${sc.related}; alerts opened while learning: ${sc.learningAlerts}`,
  );
  if (sc.changes.length > 0) {
    console.log(
      `\n${formatTable(
        ['benign change', 'identities', 'alerts (low)', 'alerts medium+ (target 0)'],
        sc.changes.map(({ change, alerts: by }) => [
          change.title.slice(0, 70),
          String(change.identities.length),
          String(by.info + by.low),
          String(by.medium + by.high + by.critical),
        ]),
      )}`,
    );
  }
  if (sc.missed.length > 0) {
    console.log('\nmissed:');
    for (const ep of sc.missed) console.log(`  ${ep.id}  (${ep.detections.join(' | ')})  ${ep.identity.slice(0, 70)}`);
  }
  if (sc.falseAlarms.length > 0) {
    console.log('\nfalse alarms (first 15, highest severity first):');
    const order = [...sc.falseAlarms].sort((a, b) => SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity));
    for (const a of order.slice(0, 15))
      console.log(
        `  ${a.severity.padEnd(8)} ${a.detectionId.padEnd(42)} ${a.identity.id.slice(0, 60)}  ${a.message.slice(0, 110)}` +
          (a.anomaly?.signals ? `\n           judged on: ${a.anomaly.signals.join('; ')}` : ''),
      );
  }

  const rejected = Object.values(stats.rejected).reduce((a, b) => a + b, 0);
  const eventsPerSec = (n / wholeMs) * 1000;
  const perTenK = (bytes: number, ids: number) => (bytes / Math.max(1, ids)) * 10_000;
  console.log(
    `\n${formatTable(
      ['speed', 'value'],
      [
        ['events (records → events)', `${n} (${stats.records} records, ${rejected} rejected)`],
        ['whole path events/s (parse+normalise+merge+detect)', fixed(eventsPerSec, 0)],
        ['normalise+merge only events/s', fixed((normalised / normaliseMs) * 1000, 0)],
        ['bare read + split + JSON.parse lines/s', fixed((bare.lines / bare.ms) * 1000, 0)],
        [
          `whole path time / bare read + JSON.parse time${threadRun ? ' (own thread, as warden detect --replay runs it)' : ''}`,
          `${fixed(wholeMs / bare.ms, 2)}x (target ≤ 3x)`,
        ],
        ['whole path time / JSON.parse loop alone', `${fixed(wholeMs / bare.parseMs, 2)}x`],
        ...(threadRun && hereRun
          ? [
              [
                'the same on the calling thread (default young generation)',
                `${fixed(hereRun.wholeMs / bare.ms, 2)}x (${hereRun.alerts.length === alerts.length ? 'same' : 'DIFFERENT'} alert count)`,
              ],
            ]
          : []),
      ],
    )}`,
  );
  console.log(
    `\n${formatTable(
      ['memory (detector state live, after GC)', 'value'],
      [
        ['identities tracked by the detector', String(tracked)],
        [
          'heap used',
          `${fixed(live.heap / 2 ** 20, 0)} MiB (${fixed((live.heap - before.heap) / 2 ** 20, 0)} MiB more than before the run)`,
        ],
        [
          'heap used per 10,000 identities',
          `${fixed(perTenK(live.heap, tracked) / 2 ** 20, 0)} MiB (growth: ${fixed(perTenK(live.heap - before.heap, tracked) / 2 ** 20, 0)} MiB)`,
        ],
        ['RSS', `${fixed(live.rss / 2 ** 20, 0)} MiB`],
        ['RSS per 10,000 identities', `${fixed(perTenK(live.rss, tracked) / 2 ** 20, 0)} MiB`],
        ['peak RSS of the bench process', `${fixed(peakRss, 0)} MiB`],
      ],
    )}`,
  );

  const result = {
    bench: 'detect',
    params,
    learnUntil: new Date(learnUntil).toISOString(),
    scenario: {
      dir: s.dir,
      generated: s.generated,
      files: s.manifest.files.length,
      lines: s.manifest.lines,
      records: stats.records,
      events: n,
      rejected,
      identities: s.identities.length,
      primaryIdentities: primary,
      episodes: s.truth.length,
    },
    detection: {
      episodes: sc.episodes,
      detected: sc.detected,
      recall: round(sc.episodes === 0 ? undefined : sc.detected / sc.episodes, 3),
      missed: sc.missed.map((ep) => ep.id),
      falseAlarms: sc.falseAlarms.length,
      falseAlarmsBySeverity: sc.falseAlarmsBySeverity,
      falseAlarmsMediumPlus: sc.falseAlarmsMediumPlus,
      falseAlarmsPer1000IdentityDays: round(perThousandDays(sc.falseAlarms.length), 2),
      falseAlarmsMediumPlusPer1000IdentityDays: round(perThousandDays(sc.falseAlarmsMediumPlus), 2),
      benignChanges: sc.changes.map(({ change, alerts: by }) => ({ id: change.id, kind: change.kind, alerts: by })),
      related: sc.related,
      learningAlerts: sc.learningAlerts,
      alerts: alerts.length,
      perDetection: Object.fromEntries(
        ids.map((id) => {
          const d = sc.perDetection[id]!;
          return [
            id,
            {
              episodes: d.episodes,
              detected: d.detected,
              recall: round(d.episodes === 0 ? undefined : d.detected / d.episodes, 3),
              alerts: d.alerts,
              precision: round(d.alerts === 0 ? undefined : d.onAttacks / d.alerts, 3),
              falseAlarms: d.falseAlarms,
            },
          ];
        }),
      ),
    },
    speed: {
      wholePathMs: round(wholeMs, 0),
      eventsPerSec: round(eventsPerSec, 0),
      normaliseOnlyEventsPerSec: round((normalised / normaliseMs) * 1000, 0),
      bareReadParseMs: round(bare.ms, 0),
      bareParseMs: round(bare.parseMs, 0),
      bareParseLinesPerSec: round((bare.lines / bare.ms) * 1000, 0),
      ratioToBareParse: round(wholeMs / bare.ms, 2),
      ratioToParseLoopAlone: round(wholeMs / bare.parseMs, 2),
      ownThread: threadRun !== undefined,
      callingThreadRatioToBareParse: hereRun === undefined ? undefined : round(hereRun.wholeMs / bare.ms, 2),
    },
    memory: {
      identitiesTracked: tracked,
      heapUsedBytes: live.heap,
      heapGrowthBytes: live.heap - before.heap,
      rssBytes: live.rss,
      heapPer10kIdentitiesBytes: Math.round(perTenK(live.heap, tracked)),
      heapGrowthPer10kIdentitiesBytes: Math.round(perTenK(live.heap - before.heap, tracked)),
      rssPer10kIdentitiesBytes: Math.round(perTenK(live.rss, tracked)),
      peakRssMb: round(peakRss, 0),
    },
  };
  console.log(`\n${JSON.stringify(result)}`);
}

if (isMainThread) await main();
else if ((workerData as { wholePath?: boolean } | null)?.wholePath === true) {
  const s = scenario();
  parentPort!.postMessage(await wholePath(bySource(s.dir, s.manifest)));
}
