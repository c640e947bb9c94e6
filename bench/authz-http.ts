import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import cedar from '@cedar-policy/cedar-wasm/nodejs';
import { compileToCedar } from '../src/policy/authz/compile.js';
import type { Manifest } from '../src/policy/schema.js';
import { buildServer } from '../src/server/app.js';
import { createServerContext } from '../src/server/serve.js';
import { createToken } from '../src/store/tokens.js';
import { startLocalIssuer } from '../test/oidc-issuer.js';
import { tempDir } from '../test/tmp.js';
import { type LoadResult, runLoad } from './authz-load.js';
import { type BenchRequest, rawCedarRequest } from './lib/authz-fixture.js';

export interface HttpResult {
  offered: number;
  seconds: number;
  inFlight: number;
  rounds: number;
  /** Open loop at the offered rate, median of the rounds: the bare server, then Warden. */
  bare: LoadResult;
  warden: LoadResult;
  /** Closed loop, as fast as each answers. */
  bareMax: LoadResult;
  wardenMax: LoadResult;
  /** Decision events the pipeline took in, of those sent. */
  events: { ingested: number; processed: number };
  issue: LoadResult;
}

const RATE = Number(process.env.BENCH_RATE ?? 2000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 64);
const ISSUES = Number(process.env.BENCH_ISSUES ?? 500);
const HTTP_ROUNDS = Number(process.env.BENCH_HTTP_ROUNDS ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 5000);

/**
 * The floor: a bare node:http server answering the same requests with raw Cedar on the same policies
 * (body parsed, principal looked up, window flag computed, one statefulIsAuthorized, JSON answer), and
 * nothing else: no authentication, validation, fail-closed checks, reasons or decision events.
 */
async function bareServer(manifest: Manifest): Promise<Server> {
  const compiled = compileToCedar(manifest.identities);
  for (const [name, slice] of compiled.byIdentity) cedar.preparsePolicySet(`bench-bare/${name}`, { staticPolicies: slice });
  const byMatch = new Map<string, (typeof manifest.identities)[number]>();
  for (const id of manifest.identities) for (const m of [id.name, ...id.match]) byMatch.set(m, id);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = JSON.parse(Buffer.concat(chunks).toString('utf8')) as BenchRequest;
      const id = byMatch.get(r.principal);
      let body: string;
      if (id === undefined) body = '{"decision":"deny","policies":[]}';
      else {
        const a = cedar.statefulIsAuthorized(rawCedarRequest(r, id, 'bench-bare'));
        body =
          a.type === 'success'
            ? JSON.stringify({ decision: a.response.decision, policies: a.response.diagnostics.reason })
            : '{"decision":"deny","policies":[]}';
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function medianOf(xs: LoadResult[]): LoadResult {
  const by = (f: (r: LoadResult) => number) => xs.map(f).sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return {
    sent: by((r) => r.sent),
    perSec: by((r) => r.perSec),
    p50Us: by((r) => r.p50Us),
    p99Us: by((r) => r.p99Us),
    maxUs: by((r) => r.maxUs),
    errors: by((r) => r.errors),
    late: by((r) => r.late),
  };
}

/**
 * The HTTP half of bench:authz: a real `warden serve` app (SQLite file store, the embedded pipeline on
 * its thread taking every decision event) on 127.0.0.1 beside the bare floor server, both driven by the
 * same load generator on its own thread: an open loop at BENCH_RATE for BENCH_SECONDS, alternated over
 * BENCH_HTTP_ROUNDS rounds (median), then a closed loop each; then POST /v1/credentials against a
 * local OIDC issuer.
 */
export async function httpBench(manifest: Manifest, manifestText: string, requests: BenchRequest[]): Promise<HttpResult> {
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
  const bare = await bareServer(manifest);
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as AddressInfo).port;
    const barePort = (bare.address() as AddressInfo).port;
    const workload = { authorization: `Bearer ${(await createToken(ctx.store, { name: 'bench', role: 'workload' })).token}` };
    const bodies = requests.map((r) => JSON.stringify(r));
    const wardenSpec = { port, path: '/v1/authorize', headers: workload, bodies, inFlight: IN_FLIGHT };
    const bareSpec = { port: barePort, path: '/', headers: {}, bodies, inFlight: IN_FLIGHT };
    // Warm-up: connections, caches, and V8 tiering Cedar's WebAssembly up to optimised code (the
    // first few thousand calls run in the baseline tier at several times the cost).
    await runLoad({ ...bareSpec, mode: 'closed', count: WARMUP, inFlight: 16 });
    await runLoad({ ...wardenSpec, mode: 'closed', count: WARMUP, inFlight: 16 });
    const bareOpen: LoadResult[] = [];
    const wardenOpen: LoadResult[] = [];
    for (let round = 0; round < HTTP_ROUNDS; round++) {
      bareOpen.push(await runLoad({ ...bareSpec, mode: 'open', rate: RATE, seconds: SECONDS }));
      wardenOpen.push(await runLoad({ ...wardenSpec, mode: 'open', rate: RATE, seconds: SECONDS }));
    }
    const count = Math.min(20_000, RATE * SECONDS);
    const bareMax = await runLoad({ ...bareSpec, mode: 'closed', count, inFlight: 16 });
    const wardenMax = await runLoad({ ...wardenSpec, mode: 'closed', count, inFlight: 16 });
    // Every decision reached the pipeline (batched after the answers), and detection keeps up.
    const { policyServices } = await import('../src/server/policy-service.js');
    await policyServices(ctx).flush();
    const status = await ctx.pipeline.status();
    // Issuance is measured once detection has caught up with the decisions (at most a minute): its
    // store writes would otherwise queue behind the backlog's commits.
    for (let i = 0; i < 600; i++) {
      const s = await ctx.pipeline.status();
      if (s.processed >= s.ingested) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const tokens = await Promise.all(
      Array.from({ length: 50 }, () => iss.token('repo:acme/api:environment:prod', { expiresIn: 3600 })),
    );
    const issueSpec = {
      port,
      path: '/v1/credentials',
      headers: {},
      bodies: [JSON.stringify({ identity: 'ci-deployer', ttl: '15m', task: 'bench' })],
      perRequestHeaders: tokens.map((t) => ({ authorization: `Bearer ${t}` })),
      inFlight: 8,
    };
    const issue = await runLoad({ ...issueSpec, mode: 'closed', count: ISSUES, warmup: 50 });
    return {
      offered: RATE,
      seconds: SECONDS,
      inFlight: IN_FLIGHT,
      rounds: HTTP_ROUNDS,
      bare: medianOf(bareOpen),
      warden: medianOf(wardenOpen),
      bareMax,
      wardenMax,
      events: { ingested: status.ingested, processed: status.processed },
      issue,
    };
  } finally {
    await new Promise((resolve) => bare.close(resolve));
    await app.close();
    await ctx.close();
    await iss.close();
    dir.cleanup();
  }
}
