import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { busNames, busPipelineFactory, connectBus, createBusPipeline, runWorker } from '../src/bus/index.js';
import { packageRoot } from '../src/model/package-root.js';
import { generateScenario } from '../src/scenario/generate.js';
import { s3Read, testServer } from '../src/server/testing.js';
import { listAudit, openStore, readCounters } from '../src/store/index.js';
import { queueRows } from '../src/store/queue-rows.js';
import { postgresBackend, SKIP_PG } from '../src/store/testing.js';
import { tempDir } from './tmp.js';

/*
 * `warden serve --bus` and `warden worker` against the real NATS JetStream and PostgreSQL of the
 * machine (127.0.0.1:4222 and :5432, started by ../shared/services.sh in CI). Each test uses its own
 * stream, subjects and schema, and removes them.
 */

const NATS_URL = process.env.WARDEN_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
/** The nats-server binary for the outage test (Debian puts it in /usr/sbin, which a user's PATH may lack). */
const NATS_SERVER =
  process.env.WARDEN_TEST_NATS_SERVER ?? (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server');
const SKIP = SKIP_PG || process.env.WARDEN_SKIP_NATS === '1';
const BIN = join(packageRoot(), 'dist', 'src', 'cli', 'bin.js');

const scenario = generateScenario({ seed: 5, identities: 16, days: 5, start: '2026-02-02', attacks: 'all' });
const learnUntil = Date.parse('2026-02-04T00:00:00Z');
const files = scenario.files.map((f) => ({
  format: f.format,
  body: f.name.endsWith('.gz') ? gzipSync(f.lines.join('\n')) : `${f.lines.join('\n')}\n`,
}));

type T = Awaited<ReturnType<typeof testServer>>;
type AlertKey = { uid: string; count: number; last: number };

function uniqueEnv(): Record<string, string> {
  const id = randomBytes(4).toString('hex');
  return { WARDEN_NATS_STREAM: `T11_${id}`, WARDEN_NATS_PREFIX: `t11.${id}`, WARDEN_LEASE_MS: '3000' };
}

async function post(t: T, from: number, to: number, expect = 202): Promise<void> {
  const headers = await t.auth('ingest');
  for (const f of files.slice(from, to)) {
    const res = await t.app.inject({ method: 'POST', url: `/v1/ingest?source=${f.format}`, headers, payload: f.body });
    assert.equal(res.statusCode, expect, res.body);
  }
}

async function settle(t: T, timeoutMs = 120_000): Promise<{ ingested: number; processed: number; workers: number }> {
  const headers = await t.auth('viewer');
  const deadline = Date.now() + timeoutMs;
  let s: { ingested: number; processed: number; workers: number } = { ingested: -1, processed: -2, workers: 0 };
  while (Date.now() < deadline) {
    const res = await t.app.inject({ method: 'GET', url: '/v1/status', headers });
    if (res.statusCode === 200) {
      s = res.json();
      if (s.processed === s.ingested && s.ingested > 0) return s;
    }
    await delay(200);
  }
  throw new Error(`not caught up: ${JSON.stringify(s)}`);
}

async function alerts(t: T): Promise<AlertKey[]> {
  const headers = await t.auth('viewer');
  const out: AlertKey[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: Array<{ finding_info: { uid: string; last_seen_time: number }; count: number }>; next: string | null } =
      (await t.app.inject({ method: 'GET', url: `/v1/alerts?limit=200${cursor ? `&cursor=${cursor}` : ''}`, headers })).json();
    for (const f of page.items) out.push({ uid: f.finding_info.uid, count: f.count, last: f.finding_info.last_seen_time });
    cursor = page.next;
  } while (cursor !== null);
  return out.sort((a, b) => a.uid.localeCompare(b.uid));
}

async function deleteStreams(url: string, env: Record<string, string>): Promise<void> {
  const bus = await connectBus(url, busNames(env));
  for (const s of [bus.names.stream, bus.names.alertsStream]) await bus.jsm.streams.delete(s).catch(() => {});
  await bus.close();
}

function spawnWorker(storeUrl: string, env: Record<string, string>, busUrl = NATS_URL): ChildProcess {
  const child = spawn(
    process.execPath,
    [BIN, 'worker', '--bus', busUrl, '--store', storeUrl, '--learn-until', new Date(learnUntil).toISOString()],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  child.stderr?.resume();
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((r) => child.once('exit', () => r()));
}

describe('scale-out on NATS JetStream and PostgreSQL', {
  skip: SKIP ? 'WARDEN_SKIP_POSTGRES or WARDEN_SKIP_NATS' : false,
}, () => {
  const pg = postgresBackend('warden_bus');
  let expected: AlertKey[];

  before(async () => {
    await pg.start();
    // The reference: the embedded server, no bus, same records in the same order.
    const t = await testServer({ learnUntil });
    await post(t, 0, files.length);
    await settle(t);
    expected = await alerts(t);
    await t.close();
    assert.ok(expected.length > 5);
  });
  after(async () => pg.cleanup());

  for (const workers of [1, 3]) {
    test(`the alerts of one replay are those of the embedded server with ${workers} worker(s)`, async () => {
      const env = uniqueEnv();
      const url = await pg.fresh();
      const t = await testServer({ store: url, learnUntil, pipeline: busPipelineFactory({ url: NATS_URL, env }) });
      const controller = new AbortController();
      const stores = await Promise.all(Array.from({ length: workers }, () => openStore(url)));
      const names = busNames(env);
      const running = stores.map(async (store) => {
        const bus = await connectBus(NATS_URL, names);
        // Publishes build no async stack traces (two Error objects per event otherwise).
        assert.equal((bus.nc as unknown as { options: { noAsyncTraces?: boolean } }).options.noAsyncTraces, true);
        try {
          return await runWorker({
            bus,
            store,
            partitions: 16,
            detect: { learnUntil },
            signal: controller.signal,
            leaseMs: 3000,
          });
        } finally {
          await bus.close();
        }
      });
      try {
        await post(t, 0, files.length);
        const s = await settle(t);
        assert.ok(s.workers >= 1);
        assert.deepEqual(await alerts(t), expected);
        // Each request's counters and audit entry were written once JetStream had its events.
        const audited = await listAudit(stores[0]!, { action: 'ingest.accept', limit: 1000 });
        assert.equal(audited.items.length, files.length);
        assert.ok(audited.items.every((a) => a.actor.startsWith('token:')));
        assert.ok(((await readCounters(stores[0]!))['records.accepted'] ?? 0) > 0);
      } finally {
        controller.abort();
        await Promise.all(running);
        for (const s of stores) await s.close();
        await t.close();
        await deleteStreams(NATS_URL, env);
      }
    });
  }

  test('SIGKILL a worker mid-stream, restart it: no event lost, no alert duplicated', async () => {
    const env = uniqueEnv();
    const url = await pg.fresh();
    const t = await testServer({ store: url, learnUntil, pipeline: busPipelineFactory({ url: NATS_URL, env }) });
    const children: ChildProcess[] = [];
    try {
      children.push(spawnWorker(url, env), spawnWorker(url, env));
      const third = Math.floor(files.length / 3);
      await post(t, 0, third);
      // Mid-stream: the workers have taken some of it in and not all.
      const headers = await t.auth('viewer');
      for (let i = 0; i < 600; i++) {
        const s = (await t.app.inject({ method: 'GET', url: '/v1/status', headers })).json();
        if (s.processed > 0) break;
        await delay(100);
      }
      const post2 = post(t, third, 2 * third);
      await delay(300);
      children[0]!.kill('SIGKILL');
      await exited(children[0]!);
      await post2;
      // The survivor takes the dead worker's partitions over when their leases end; then it comes back.
      await post(t, 2 * third, files.length);
      children.push(spawnWorker(url, env));
      const s = await settle(t);
      assert.equal(s.processed, s.ingested);
      const got = await alerts(t);
      assert.equal(new Set(got.map((a) => a.uid)).size, got.length);
      assert.deepEqual(got, expected);
    } finally {
      for (const c of children) c.kill('SIGTERM');
      await Promise.all(children.map(exited));
      await t.close();
      await deleteStreams(NATS_URL, env);
    }
  });

  test('runs: one message per request and partition, and ingested stays exact through retries', async () => {
    const env = uniqueEnv();
    const store = await openStore(await pg.fresh());
    const bus = await connectBus(NATS_URL, busNames(env));
    try {
      const pipeline = createBusPipeline(bus, store, 16);
      const first = Array.from({ length: 300 }, (_, i) => s3Read(`svc-${i % 11}`, 'first'));
      await pipeline.accept(first);
      const messages = (await bus.jsm.streams.info(bus.names.stream)).state.messages;
      assert.ok(messages <= 16, `${messages} messages for 300 events`);
      assert.equal((await pipeline.status()).ingested, 300);
      // A client that never heard the 202 sends the batch again: the stream drops every run.
      await pipeline.accept(first);
      assert.equal((await bus.jsm.streams.info(bus.names.stream)).state.messages, messages);
      assert.equal((await pipeline.status()).ingested, 300);
      // A first attempt whose publish of one run failed after the others were stored (a client-side
      // timeout), then the client's retry: every event counted once.
      const second = Array.from({ length: 120 }, (_, i) => s3Read(`svc-${i % 11}`, 'second'));
      const victim = queueRows(second, 16)[0]!.partition;
      const js = Object.create(bus.js) as typeof bus.js;
      js.publish = (subject, payload, opts) =>
        subject.endsWith(`.${victim}`) ? Promise.reject(new Error('timed out')) : bus.js.publish(subject, payload, opts);
      await assert.rejects(createBusPipeline({ ...bus, js }, store, 16).accept(second), { code: 'WARDEN_UNAVAILABLE' });
      assert.ok((await pipeline.status()).ingested > 300, 'the runs that reached the stream count already');
      await pipeline.accept(second);
      assert.equal((await pipeline.status()).ingested, 420);
    } finally {
      await bus.jsm.streams.delete(bus.names.stream).catch(() => {});
      await bus.jsm.streams.delete(bus.names.alertsStream).catch(() => {});
      await bus.close();
      await store.close();
    }
  });

  test('NATS stopped while ingesting: 503, never a false 202, and recovery', async () => {
    const port = await freePort();
    const dir = tempDir('warden-nats-');
    const busUrl = `nats://127.0.0.1:${port}`;
    const startNats = async () => {
      const child = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir.dir], { stdio: 'ignore' });
      await waitPort(port);
      return child;
    };
    let nats = await startNats();
    const env = uniqueEnv();
    const url = await pg.fresh();
    const t = await testServer({ store: url, learnUntil, pipeline: busPipelineFactory({ url: busUrl, env }) });
    const headers = await t.auth('ingest');
    const acked: number[] = [];
    const refused: number[] = [];
    let events = 0;
    try {
      const send = async (i: number) => {
        const f = files[i]!;
        const res = await t.app.inject({ method: 'POST', url: `/v1/ingest?source=${f.format}`, headers, payload: f.body });
        assert.ok([202, 503].includes(res.statusCode), res.body);
        if (res.statusCode === 503) assert.equal(res.json().code, 'WARDEN_UNAVAILABLE');
        return res;
      };
      const n = Math.min(files.length, 120);
      for (let i = 0; i < n; i++) {
        if (i === 40) {
          nats.kill('SIGTERM');
          await exited(nats);
        }
        if (i === 44) nats = await startNats();
        const res = await send(i);
        if (res.statusCode === 202) {
          acked.push(i);
          events += res.json().events;
        } else refused.push(i);
      }
      assert.ok(refused.length > 0, 'records posted while NATS was down were refused');
      // Recovery: the refused batches go through once NATS is back (a part that reached the stream before
      // the outage is deduplicated by message id).
      for (const i of refused) {
        for (let attempt = 0; ; attempt++) {
          const res = await send(i);
          if (res.statusCode === 202) {
            events += res.json().events;
            break;
          }
          assert.ok(attempt < 20, 'NATS recovered');
          await delay(500);
        }
      }
      const store = await openStore(url);
      const controller = new AbortController();
      const bus = await connectBus(busUrl, busNames(env));
      const worker = runWorker({ bus, store, partitions: 16, detect: { learnUntil }, signal: controller.signal, leaseMs: 3000 });
      try {
        const s = await settle(t);
        // Every record of every 202 is in the stream and was processed, none twice.
        assert.equal(s.ingested, events);
        assert.equal(s.processed, events);
      } finally {
        controller.abort();
        await worker;
        await bus.close();
        await store.close();
      }
    } finally {
      await t.close();
      nats.kill('SIGTERM');
      await exited(nats);
      dir.cleanup();
    }
  });
});

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

async function waitPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = tcpConnect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    await delay(100);
  }
  throw new Error(`nats-server did not listen on ${port}`);
}
