import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildServer } from '../src/server/app.js';
import { createServerContext } from '../src/server/serve.js';
import { createToken } from '../src/store/tokens.js';
import { startLocalIssuer } from '../test/oidc-issuer.js';
import { tempDir } from '../test/tmp.js';
import type { BenchRequest } from './lib/authz-fixture.js';

export interface HttpResult {
  authorize: { offered: number; seconds: number; inFlight: number; perSec: number; p50Us: number; p99Us: number; errors: number };
  max: { perSec: number; p50Us: number; p99Us: number; errors: number };
  issue: { perSec: number; p50Us: number; p99Us: number; errors: number };
}

const RATE = Number(process.env.BENCH_RATE ?? 2000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 64);
const ISSUES = Number(process.env.BENCH_ISSUES ?? 500);

function pct(sorted: number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** One POST over a keep-alive agent; resolves with the status. */
function post(agent: Agent, port: number, path: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/**
 * An open-loop load: request k is due at start + k/rate; its latency counts from when it was due,
 * so a stall shows in the percentiles instead of slowing the offered rate (no coordinated omission).
 * At most `inFlight` requests are outstanding; one that would exceed it waits, and its wait counts.
 */
async function openLoop(send: (k: number) => Promise<number>, rate: number, seconds: number, inFlight: number) {
  const total = Math.round(rate * seconds);
  const lat: number[] = [];
  let errors = 0;
  let active = 0;
  let next = 0;
  const start = performance.now();
  await new Promise<void>((done) => {
    const pump = () => {
      const now = performance.now();
      while (next < total && active < inFlight && start + (next * 1000) / rate <= now) {
        const k = next++;
        const due = start + (k * 1000) / rate;
        active++;
        void send(k).then((status) => {
          active--;
          lat.push(performance.now() - due);
          if (status < 200 || status >= 300) errors++;
          if (lat.length === total) done();
          else pump();
        });
      }
      if (next < total) setTimeout(pump, Math.max(0, start + (next * 1000) / rate - performance.now()));
    };
    pump();
  });
  const elapsed = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  return { perSec: total / elapsed, p50Us: pct(lat, 50) * 1000, p99Us: pct(lat, 99) * 1000, errors };
}

/** As many as the server takes: `inFlight` loops each sending the next request when one returns. */
async function closedLoop(send: (k: number) => Promise<number>, count: number, inFlight: number) {
  const lat: number[] = [];
  let errors = 0;
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) {
        const k = next++;
        const t = performance.now();
        const status = await send(k);
        lat.push(performance.now() - t);
        if (status < 200 || status >= 300) errors++;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  return { perSec: count / elapsed, p50Us: pct(lat, 50) * 1000, p99Us: pct(lat, 99) * 1000, errors };
}

/**
 * The HTTP half of bench:authz: a real `warden serve` app (SQLite store, the embedded pipeline
 * taking every decision event) listening on 127.0.0.1, a local OIDC issuer for the workload tokens.
 */
export async function httpBench(manifestText: string, requests: BenchRequest[]): Promise<HttpResult | undefined> {
  const iss = await startLocalIssuer();
  const dir = tempDir('warden-bench-authz-');
  const policy = join(dir.dir, 'warden.policy.yaml');
  writeFileSync(
    policy,
    `${manifestText}trust:\n  - issuer: ${iss.url}\n    audience: warden\n    subject: "repo:acme/api:environment:prod"\n    identity: ci-deployer\n`,
  );
  process.env.WARDEN_KEY_ENCRYPTION_KEY ??= randomBytes(32).toString('base64');
  const ctx = await createServerContext({ store: join(dir.dir, 'w.db'), cwd: dir.dir, policyFile: policy, rateLimit: 1e9 });
  const app = await buildServer(ctx, { logger: false });
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as AddressInfo).port;
    const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
    const workload = { authorization: `Bearer ${(await createToken(ctx.store, { name: 'bench', role: 'workload' })).token}` };
    const bodies = requests.map((r) => JSON.stringify(r));
    const authorize = (k: number) => post(agent, port, '/v1/authorize', workload, bodies[k % bodies.length]!);
    // Warm-up: connections, caches, and V8 tiering Cedar's WebAssembly up to optimised code (the
    // first few thousand calls run in the baseline tier at several times the cost).
    await closedLoop(authorize, Number(process.env.BENCH_WARMUP ?? 5000), 16);
    const open = await openLoop(authorize, RATE, SECONDS, IN_FLIGHT);
    const max = await closedLoop(authorize, Math.min(20_000, RATE * SECONDS), 16);

    const tokens = await Promise.all(
      Array.from({ length: 50 }, () => iss.token('repo:acme/api:environment:prod', { expiresIn: 3600 })),
    );
    const body = JSON.stringify({ identity: 'ci-deployer', ttl: '15m', task: 'bench' });
    const issue = (k: number) =>
      post(agent, port, '/v1/credentials', { authorization: `Bearer ${tokens[k % tokens.length]}` }, body);
    await closedLoop(issue, 50, 4);
    const issued = await closedLoop(issue, ISSUES, 8);
    agent.destroy();
    return { authorize: { offered: RATE, seconds: SECONDS, inFlight: IN_FLIGHT, ...open }, max, issue: issued };
  } finally {
    await app.close();
    await ctx.close();
    await iss.close();
    dir.cleanup();
  }
}
