/**
 * bench:ingest — events/s from HTTP ingest to stored alerts, with `warden serve` embedded (SQLite) and
 * with 1 and 2 `warden worker`s on NATS JetStream and PostgreSQL, beside `warden detect --replay` of
 * the same records in the same run.
 *
 * 1. Generates a scenario (BENCH_IDENTITIES 150 identities, BENCH_DAYS 10 days, seed BENCH_SEED 3)
 *    and writes it as files.
 * 2. `warden detect --replay DIR --no-persist`: the batch floor, timed from spawn to exit.
 * 3. Builds every request body before any timing (each source's records in replay order as JSON lines
 *    of up to BENCH_BODY_KB (256) per request) and writes them as files.
 * 4. For each service mode: start the real processes and post the bodies the way shippers do: one
 *    shipper per source, all at once, each posting its own requests one at a time in order (so each
 *    partition keeps its order); BENCH_LANES=1 posts everything through one shipper in replay order.
 *    Then poll /v1/status until processed == ingested. events/s = events / (last status - first post);
 *    "all posted at" is when the last request was answered (the rest is detection catching up); p99
 *    is the ingest request latency (202 returned); server CPU is the user + system time of every
 *    process of the mode over the same span (threads included, the client posting not: less noisy than
 *    wall time on a shared machine); peak RSS is VmHWM of every process of the mode (server +
 *    workers), summed. Each mode's time is also shown against the bare floor of
 *    BENCHMARKS.md (read, gunzip, split and JSON.parse every line of the same files; median of 3); the
 *    replay's time includes process start-up.
 *
 * BENCH_PROFILE_DIR=dir: the service processes write V8 CPU profiles (one per thread) into dir.
 *
 * Needs PostgreSQL (WARDEN_TEST_POSTGRES_URL, default 127.0.0.1:5432/test) and NATS (WARDEN_TEST_NATS_URL,
 * default nats://127.0.0.1:4222) for the bus rows; BENCH_SKIP_BUS=1 runs the embedded rows only.
 * Prints a table and one JSON line. Timings are reported, never asserted.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { busNames, connectBus } from '../src/bus/index.js';
import { packageRoot } from '../src/model/package-root.js';
import { resolveParams, type ScenarioManifest, writeScenarioStream } from '../src/scenario/generate.js';
import { postgresBackend } from '../src/store/testing.js';
import { tempDir } from '../test/tmp.js';
import { readCpuSeconds, readHwmKb, runMeasured } from './lib/measure.js';
import { fixed, formatTable, peakRssMb } from './lib/report.js';

const DAY = 86_400_000;
const env = (k: string, d: number) => (process.env[k] === undefined ? d : Number(process.env[k]));
const params = resolveParams({
  seed: env('BENCH_SEED', 3),
  identities: env('BENCH_IDENTITIES', 150),
  days: env('BENCH_DAYS', 10),
  start: process.env.BENCH_START ?? '2026-01-05',
  attackDays: 3,
});
const learnUntil = new Date(Date.parse(params.start) + (params.days - params.attackDays) * DAY).toISOString();
const BODY_BYTES = env('BENCH_BODY_KB', 256) * 1024;
const NATS_URL = process.env.WARDEN_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const BIN = join(packageRoot(), 'dist', 'src', 'cli', 'bin.js');
const tmp = tempDir('warden-bench-ingest-');
const log = (s: string) => process.stderr.write(`${s}\n`);

interface Row {
  mode: string;
  events: number;
  seconds: number;
  /** Service modes: when the last request was answered (the rest of `seconds` is detection catching up). */
  postedSeconds?: number;
  eventsPerSecond: number;
  p99Ms: number | null;
  alerts: number;
  peakRssMb: number | null;
  /** CPU seconds the mode's processes used from the first post until processed == ingested (null: not measured). */
  cpuSeconds?: number | null;
}

/**
 * Request bodies: each source's records in its own replay order, as JSON lines of up to BODY_BYTES, the
 * way a shipper per source batches them. Identities live in one source each, so every partition still
 * sees its events in time order.
 */
function* bodies(
  dir: string,
  manifest: ScenarioManifest,
  only?: ReadonlySet<string>,
): Generator<{ format: string; body: string }> {
  // Built as they are posted, never all at once: the bench's own memory stays flat with the scenario's size.
  const open = new Map<string, { parts: string[]; size: number }>();
  const take = (format: string): { format: string; body: string } | undefined => {
    const cur = open.get(format);
    open.delete(format);
    return cur && cur.parts.length > 0 ? { format, body: `${cur.parts.join('\n')}\n` } : undefined;
  };
  for (const rel of manifest.files) {
    const format = rel.split('/')[0]!;
    if (only !== undefined && !only.has(format)) continue;
    const raw = readFileSync(join(dir, rel));
    let text: string;
    if (rel.endsWith('.gz')) {
      // A CloudTrail delivery: one Records document; as lines it joins the bodies around it.
      const doc = JSON.parse(gunzipSync(raw).toString('utf8')) as { Records: unknown[] };
      text = doc.Records.map((r) => JSON.stringify(r)).join('\n');
    } else text = raw.toString('utf8').trimEnd();
    if (text === '') continue;
    let cur = open.get(format);
    if (cur !== undefined && cur.size + text.length > BODY_BYTES) {
      const body = take(format);
      if (body !== undefined) yield body;
      cur = undefined;
    }
    if (cur === undefined) {
      cur = { parts: [], size: 0 };
      open.set(format, cur);
    }
    cur.parts.push(text);
    cur.size += text.length + 1;
  }
  for (const format of [...open.keys()]) {
    const body = take(format);
    if (body !== undefined) yield body;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function cli(args: string[], extraEnv: Record<string, string>): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, ...extraEnv }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`warden ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

function start(args: string[], extraEnv: Record<string, string>): ChildProcess {
  // BENCH_PROFILE_DIR: every service process (and its threads) writes a V8 CPU profile there at exit.
  const prof = process.env.BENCH_PROFILE_DIR;
  const nodeArgs = prof === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', prof];
  const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], {
    env: { ...process.env, ...extraEnv },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.setEncoding('utf8');
  let tail = '';
  child.stderr?.on('data', (s: string) => {
    tail = (tail + s).slice(-2000);
  });
  child.once('exit', (code) => {
    if (code !== 0 && code !== null) log(`warden ${args[0]} exited ${code}: ${tail}`);
  });
  return child;
}

async function waitReady(base: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await delay(100);
  }
  throw new Error(`${base} never became ready`);
}

async function stop(children: ChildProcess[]): Promise<number> {
  let kb = 0;
  for (const c of children) kb += (c.pid === undefined ? undefined : readHwmKb(c.pid)) ?? 0;
  for (const c of children) c.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));
  return kb / 1024;
}

async function serviceRun(
  mode: string,
  lanes: () => Array<Iterable<{ format: string; body: string }>>,
  workers: number,
  pgUrl?: string,
): Promise<Row> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const id = randomBytes(4).toString('hex');
  const storeUrl = pgUrl ?? `sqlite:${join(tmp.dir, `${mode.replace(/\W+/g, '-')}.db`)}`;
  const extraEnv: Record<string, string> = { WARDEN_NATS_STREAM: `BENCH_${id}`, WARDEN_NATS_PREFIX: `bench.${id}` };
  const ingestToken = cli(['token', 'create', '--name', 'bench-ingest', '--role', 'ingest', '--store', storeUrl], extraEnv);
  const viewerToken = cli(['token', 'create', '--name', 'bench-viewer', '--role', 'viewer', '--store', storeUrl], extraEnv);
  const serveArgs = [
    'serve',
    '--listen',
    `127.0.0.1:${port}`,
    '--store',
    storeUrl,
    '--learn-until',
    learnUntil,
    '--rate-limit',
    '1000000',
  ];
  if (workers > 0) serveArgs.push('--bus', NATS_URL);
  const children = [start(serveArgs, extraEnv)];
  for (let i = 0; i < workers; i++)
    children.push(start(['worker', '--bus', NATS_URL, '--store', storeUrl, '--learn-until', learnUntil], extraEnv));
  try {
    await waitReady(base);
    const latencies: number[] = [];
    let events = 0;
    const cpu = () => children.reduce((n, c) => n + ((c.pid === undefined ? undefined : readCpuSeconds(c.pid)) ?? Number.NaN), 0);
    const cpu0 = cpu();
    const t0 = performance.now();
    // Each lane is one shipper posting its requests one at a time, in order; the lanes run at once.
    await Promise.all(
      lanes().map(async (lane) => {
        for (const p of lane) {
          const t = performance.now();
          const res = await fetch(`${base}/v1/ingest?source=${p.format}`, {
            method: 'POST',
            headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/x-ndjson' },
            body: p.body,
          });
          const answer = (await res.json()) as { events: number };
          if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${JSON.stringify(answer)}`);
          latencies.push(performance.now() - t);
          events += answer.events;
        }
      }),
    );
    const postedSeconds = (performance.now() - t0) / 1000;
    const viewer = { authorization: `Bearer ${viewerToken}` };
    for (;;) {
      const s = (await (await fetch(`${base}/v1/status`, { headers: viewer })).json()) as { ingested: number; processed: number };
      if (s.ingested === events && s.processed === s.ingested) break;
      await delay(20);
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpuSeconds = cpu() - cpu0;
    let alerts = 0;
    let cursor: string | null = null;
    do {
      const page = (await (
        await fetch(`${base}/v1/alerts?limit=1000${cursor ? `&cursor=${cursor}` : ''}`, { headers: viewer })
      ).json()) as {
        items: unknown[];
        next: string | null;
      };
      alerts += page.items.length;
      cursor = page.next;
    } while (cursor !== null);
    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? null;
    const peakRssMb = await stop(children);
    return {
      mode,
      events,
      seconds,
      postedSeconds,
      eventsPerSecond: events / seconds,
      p99Ms: p99,
      alerts,
      peakRssMb,
      cpuSeconds: Number.isNaN(cpuSeconds) ? null : cpuSeconds,
    };
  } finally {
    await stop(children.filter((c) => c.exitCode === null));
    if (workers > 0) {
      const bus = await connectBus(NATS_URL, busNames(extraEnv));
      for (const s of [bus.names.stream, bus.names.alertsStream]) await bus.jsm.streams.delete(s).catch(() => {});
      await bus.close();
    }
  }
}

async function main(): Promise<void> {
  const dir = join(tmp.dir, 'scenario');
  log(`generating ${params.identities} identities over ${params.days} days …`);
  const manifest = writeScenarioStream(dir, params);
  // One shipper per source, all posting at once (each keeps its source's order), or BENCH_LANES=1: every
  // source's records through one shipper in replay order.
  const formats = [...new Set(manifest.files.map((rel) => rel.split('/')[0]!))];
  const oneLane = process.env.BENCH_LANES === '1';
  if (process.env.BENCH_LANES !== undefined && !oneLane && process.env.BENCH_LANES !== 'source')
    throw new Error(`BENCH_LANES is 'source' (one shipper per source, the default) or 1, not ${process.env.BENCH_LANES}`);
  // The request bodies are built once, before any timing, and written as files: what the timed loops do
  // per request is read a file and post it, so the client's own work (gunzip, re-serialising CloudTrail
  // records) is not counted against the server, and the bench's memory stays flat.
  const bodyDir = join(tmp.dir, 'bodies');
  mkdirSync(bodyDir);
  const laneFiles: Array<Array<{ format: string; file: string }>> = [];
  let requests = 0;
  for (const lane of oneLane ? [bodies(dir, manifest)] : formats.map((f) => bodies(dir, manifest, new Set([f])))) {
    const files: Array<{ format: string; file: string }> = [];
    for (const b of lane) {
      const file = join(bodyDir, `${requests++}.jsonl`);
      writeFileSync(file, b.body);
      files.push({ format: b.format, file });
    }
    laneFiles.push(files);
  }
  const posts = () =>
    laneFiles.map((files) =>
      (function* () {
        for (const f of files) yield { format: f.format, body: readFileSync(f.file, 'utf8') };
      })(),
    );
  log(`${manifest.lines} records in ${manifest.files.length} files → ${requests} requests; learning until ${learnUntil}`);

  // The floor (BENCHMARKS.md): read the same files, gunzip, split and JSON.parse every line; median of 3.
  const floors: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    for (const rel of manifest.files) {
      const raw = readFileSync(join(dir, rel));
      for (const l of (rel.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8').split('\n')) if (l.length > 0) JSON.parse(l);
    }
    floors.push((performance.now() - t) / 1000);
  }
  const floorSeconds = [...floors].sort((a, b) => a - b)[1]!;
  log(`bare read + JSON.parse floor: ${fixed(floorSeconds, 2)} s`);

  const rows: Row[] = [];
  const replayOut = join(tmp.dir, 'replay.jsonl');
  const r = await runMeasured(
    process.execPath,
    [BIN, 'detect', '--replay', dir, '--no-persist', '--format', 'jsonl', '--learn-until', learnUntil, '--stats'],
    { cwd: tmp.dir, timeoutMs: 30 * 60_000, stdoutFile: replayOut },
  );
  if (r.exitCode !== 0) throw new Error(`detect --replay failed: ${r.stderrTail}`);
  const replayEvents = Number(/detector: (\d+) events/.exec(r.stderrTail)?.[1] ?? 0);
  const replayAlerts = readFileSync(replayOut, 'utf8').split('\n').filter(Boolean).length;
  rows.push({
    mode: 'warden detect --replay (batch)',
    events: replayEvents,
    seconds: r.wallMs / 1000,
    eventsPerSecond: replayEvents / (r.wallMs / 1000),
    p99Ms: null,
    alerts: replayAlerts,
    peakRssMb: r.peakRssMb ?? null,
  });
  log(`replay: ${replayEvents} events in ${fixed(r.wallMs / 1000, 1)} s`);

  rows.push(await serviceRun('serve, embedded (SQLite)', posts, 0));
  log(`embedded done`);
  if (process.env.BENCH_SKIP_BUS !== '1') {
    const pg = postgresBackend('warden_bench');
    await pg.start();
    try {
      for (const n of [1, 2]) {
        rows.push(
          await serviceRun(`serve --bus + ${n} worker${n > 1 ? 's' : ''} (NATS, PostgreSQL)`, posts, n, await pg.fresh()),
        );
        log(`${n} worker(s) done`);
      }
    } finally {
      await pg.cleanup();
    }
  }
  const replay = rows[0]!.eventsPerSecond;
  process.stdout.write(
    `\nbench:ingest — ${params.identities} identities, ${params.days} days, ${requests} requests of ≤ ${BODY_BYTES / 1024} KiB, ${oneLane ? 'posted one at a time' : `posted by ${formats.length} shippers at once (one per source, each in order)`}\n\n`,
  );
  process.stdout.write(
    formatTable(
      [
        'mode',
        'events',
        'seconds',
        'all posted at s',
        'events/s',
        'vs replay',
        'time / bare parse',
        'p99 ingest ms',
        'server CPU s',
        'alerts',
        'peak RSS MB',
      ],
      rows.map((x) => [
        x.mode,
        String(x.events),
        fixed(x.seconds, 1),
        x.postedSeconds === undefined ? '-' : fixed(x.postedSeconds, 1),
        fixed(x.eventsPerSecond, 0),
        `${fixed(x.eventsPerSecond / replay, 2)}x`,
        `${fixed(x.seconds / floorSeconds, 1)}x`,
        x.p99Ms === null ? '-' : fixed(x.p99Ms, 1),
        x.cpuSeconds == null ? '-' : fixed(x.cpuSeconds, 1),
        String(x.alerts),
        x.peakRssMb === null ? '-' : fixed(x.peakRssMb, 0),
      ]),
    ),
  );
  process.stdout.write(`\npeak RSS of the bench process (the client posting): ${fixed(peakRssMb(), 0)} MiB\n`);
  process.stdout.write(
    `\n${JSON.stringify({ bench: 'ingest', params, rows, floorSeconds, benchPeakRssMb: Math.round(peakRssMb()) })}\n`,
  );
}

try {
  await main();
} finally {
  tmp.cleanup();
}
