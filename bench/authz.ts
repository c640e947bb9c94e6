/**
 * bench:authz — request-time authorization and just-in-time credential issuance.
 *
 * 1. A manifest: the contract example plus BENCH_IDENTITIES (200) generated identities, each with
 *    three allow entries, networks, a region, environments and a time window; compiled to Cedar once.
 * 2. Decisions in process: Warden's `authorize` (request parsing, principal resolution, fail-closed
 *    context checks, the window computed in JS, the Cedar call, the decision event) beside raw Cedar
 *    (`statefulIsAuthorized` on the same preparsed per-identity policy slices, requests prepared in
 *    advance) in the same run, interleaved in chunks of BENCH_CHUNK (500) so other load on the machine
 *    falls on both alike, median of BENCH_ROUNDS (3). Overhead = Warden time / raw time − 1, with
 *    Warden asking Cedar every decision (`decisionCache: false`); then the default, which remembers
 *    Cedar's answer per identity and truth assignment of its policies' conditions (a fresh authorizer
 *    each round), beside raw Cedar again, with the share answered from memory.
 * 3. Over HTTP on loopback: a real server (SQLite file store, the pipeline on its thread; decisions
 *    remembered unless WARDEN_DECISION_CACHE=off) and, as the
 *    floor, a bare node:http server calling raw Cedar, both driven from a load-generator thread at a
 *    fixed offered rate (BENCH_RATE, 2,000 req/s) for BENCH_SECONDS (5) with at most BENCH_IN_FLIGHT
 *    (64) in flight, alternated over BENCH_HTTP_ROUNDS (3); p50/p99 of each request's latency measured
 *    from its scheduled send time (no coordinated omission). Then a closed loop of 16 for each.
 * 4. Issuance: POST /v1/credentials (workload token verified against a local issuer's cached JWKS,
 *    ES256 signing, the store write) beside a bare jose ES256 sign of the same claims.
 *
 * Prints tables and one JSON line. Timings are reported, never asserted.
 */
import { performance } from 'node:perf_hooks';
import cedar from '@cedar-policy/cedar-wasm/nodejs';
import { generateKeyPair, SignJWT } from 'jose';
import { createAuthorizer } from '../src/policy/authz/authorizer.js';
import { compileToCedar } from '../src/policy/authz/compile.js';
import { httpBench } from './authz-http.js';
import type { LoadResult } from './authz-load.js';
import { benchManifest, benchManifestText, benchRequests, percentile, rawCedarRequest } from './lib/authz-fixture.js';
import { fixed, formatTable, peakRssMb, round } from './lib/report.js';

const IDENTITIES = Number(process.env.BENCH_IDENTITIES ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const N = Number(process.env.BENCH_DECISIONS ?? 20_000);
const CHUNK = Number(process.env.BENCH_CHUNK ?? 500);
/** BENCH_HTTP=0 skips the HTTP half. */
const HTTP = process.env.BENCH_HTTP !== '0';

export interface Timing {
  perSec: number;
  p50Us: number;
  p99Us: number;
}

async function timeLoop(n: number, call: (k: number) => unknown): Promise<Timing> {
  const lat = new Float64Array(n);
  const start = performance.now();
  for (let k = 0; k < n; k++) {
    const t = performance.now();
    const r = call(k);
    if (r instanceof Promise) await r;
    lat[k] = performance.now() - t;
  }
  const total = performance.now() - start;
  lat.sort();
  return { perSec: (n / total) * 1000, p50Us: percentile(lat, 50) * 1000, p99Us: percentile(lat, 99) * 1000 };
}

/**
 * Two loops over the same n requests, interleaved in chunks (a, b, then b, a, ...) so that the other
 * load on a shared machine falls on both alike; each side's rate is its own summed time.
 */
async function pairedLoops(
  n: number,
  chunk: number,
  a: (k: number) => unknown,
  b: (k: number) => unknown,
): Promise<[Timing, Timing]> {
  const lat = [new Float64Array(n), new Float64Array(n)];
  const total = [0, 0];
  const calls = [a, b];
  for (let from = 0, turn = 0; from < n; from += chunk, turn++) {
    const to = Math.min(n, from + chunk);
    for (const side of turn % 2 === 0 ? [0, 1] : [1, 0]) {
      const call = calls[side]!;
      const l = lat[side]!;
      const start = performance.now();
      for (let k = from; k < to; k++) {
        const t = performance.now();
        const r = call(k);
        if (r instanceof Promise) await r;
        l[k] = performance.now() - t;
      }
      total[side]! += performance.now() - start;
    }
  }
  const timing = (side: number): Timing => {
    const l = lat[side]!.sort();
    return { perSec: (n / total[side]!) * 1000, p50Us: percentile(l, 50) * 1000, p99Us: percentile(l, 99) * 1000 };
  };
  return [timing(0), timing(1)];
}

function median(xs: Timing[]): Timing {
  const by = (f: (t: Timing) => number) => xs.map(f).sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { perSec: by((t) => t.perSec), p50Us: by((t) => t.p50Us), p99Us: by((t) => t.p99Us) };
}

const us = (x: number) => fixed(x, 0);

async function main(): Promise<void> {
  const manifest = benchManifest(IDENTITIES);
  const requests = benchRequests(N, IDENTITIES);
  let events = 0;
  // Warden's own work over Cedar's is measured with every decision asked of Cedar; the default
  // (decisions remembered per identity and truth assignment of the policies' conditions) beside it.
  const authz = createAuthorizer(manifest, { onEvent: () => events++, decisionCache: false });

  // Raw Cedar: the same compiled policies, every request prepared in advance (resolution, context,
  // window flag), so the loop is the Cedar call alone.
  const compiled = compileToCedar(manifest.identities);
  for (const [name, slice] of compiled.byIdentity) cedar.preparsePolicySet(`bench-raw/${name}`, { staticPolicies: slice });
  const byMatch = new Map<string, string>();
  for (const id of manifest.identities) for (const m of [id.name, ...id.match]) byMatch.set(m, id.name);
  const prepared = requests.map((r) => {
    const name = byMatch.get(r.principal)!;
    const id = manifest.identities.find((x) => x.name === name)!;
    return rawCedarRequest(r, id, 'bench-raw');
  });
  // Agreement first (Warden and raw Cedar decide every request the same way); it also warms both up.
  let disagree = 0;
  let allowed = 0;
  for (let k = 0; k < Math.min(N, 5000); k++) {
    const w = await authz.authorize(requests[k]);
    const c = cedar.statefulIsAuthorized(prepared[k]!);
    if (c.type !== 'success' || c.response.decision !== w.decision) disagree++;
    if (w.decision === 'allow') allowed++;
  }

  /** Raw Cedar beside one authorizer over the same requests, paired. */
  const besideRaw = (a: ReturnType<typeof createAuthorizer>) =>
    pairedLoops(
      N,
      CHUNK,
      (k) => cedar.statefulIsAuthorized(prepared[k]!),
      (k) => a.authorize(requests[k]),
    );
  const warden: Timing[] = [];
  const raw: Timing[] = [];
  const overheads: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const [r, w] = await besideRaw(authz);
    raw.push(r);
    warden.push(w);
    overheads.push(r.perSec / w.perSec - 1);
  }
  const w = median(warden);
  const r = median(raw);
  const overhead = overheads.sort((a, b) => a - b)[Math.floor(overheads.length / 2)]!;
  // The default configuration: a fresh authorizer each round, so its first sight of every identity's
  // request shapes is paid in the round, and its answers are checked against Cedar's as they come.
  const cachedRuns: Timing[] = [];
  const rawAgain: Timing[] = [];
  let hits = 0;
  let asked = 0;
  let cachedDisagree = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const cachedAuthz = createAuthorizer(manifest, { onEvent: () => events++ });
    const [r2, c] = await besideRaw(cachedAuthz);
    rawAgain.push(r2);
    cachedRuns.push(c);
    hits += cachedAuthz.stats.cacheHits;
    asked += cachedAuthz.stats.cacheHits + cachedAuthz.stats.cedarCalls;
    if (round === 0)
      for (let k = 0; k < Math.min(N, 5000); k++) {
        const d = await cachedAuthz.authorize(requests[k]);
        const e = cedar.statefulIsAuthorized(prepared[k]!);
        if (e.type !== 'success' || e.response.decision !== d.decision) cachedDisagree++;
      }
  }
  const cached = median(cachedRuns);
  const rawForCached = median(rawAgain);
  const hitRate = asked === 0 ? 0 : hits / asked;

  console.log(
    `bench:authz — ${manifest.identities.length} identities, ${Object.keys(compiled.policies).length} Cedar policies, ${N} decisions × ${ROUNDS} rounds, interleaved in chunks of ${CHUNK} (median)`,
  );
  console.log(
    `agreement with raw Cedar on ${Math.min(N, 5000)} requests: ${disagree === 0 ? 'all equal' : `${disagree} differ`}; ${allowed} allowed\n`,
  );
  const rows: string[][] = [
    ['raw Cedar (statefulIsAuthorized, prepared)', fixed(r.perSec, 0), fixed(r.p50Us, 1), fixed(r.p99Us, 1)],
    ['Warden authorize, every decision asked of Cedar', fixed(w.perSec, 0), fixed(w.p50Us, 1), fixed(w.p99Us, 1)],
    [
      'raw Cedar (again, beside the next row)',
      fixed(rawForCached.perSec, 0),
      fixed(rawForCached.p50Us, 1),
      fixed(rawForCached.p99Us, 1),
    ],
    ['Warden authorize, default (remembered decisions)', fixed(cached.perSec, 0), fixed(cached.p50Us, 1), fixed(cached.p99Us, 1)],
  ];
  console.log(formatTable(['path', 'decisions/s', 'p50 µs', 'p99 µs'], rows));
  console.log(
    `\nWarden overhead over raw Cedar, every decision asked of Cedar: ${(overhead * 100).toFixed(1)} % (median of rounds: ${overheads.map((o) => (o * 100).toFixed(1)).join(', ')}; target < 20 %)`,
  );
  console.log(
    `Default, remembered decisions: ${(rawForCached.perSec > 0 ? cached.perSec / rawForCached.perSec : 0).toFixed(2)}x raw Cedar's rate; ${(hitRate * 100).toFixed(1)} % of decisions answered from memory (fresh each round); agreement with raw Cedar on ${Math.min(N, 5000)} requests: ${cachedDisagree === 0 ? 'all equal' : `${cachedDisagree} differ`}`,
  );

  // Bare jose: the floor under issuance.
  const { privateKey } = await generateKeyPair('ES256');
  const sign = await timeLoop(2000, () =>
    new SignJWT({ task: 'deploy api 1.4.2' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k' })
      .setIssuer('http://127.0.0.1')
      .setSubject('ci-deployer')
      .setAudience('warden')
      .setIssuedAt()
      .setExpirationTime('15m')
      .setJti('x')
      .sign(privateKey),
  );
  const http = HTTP ? await httpBench(manifest, benchManifestText(IDENTITIES), requests) : undefined;
  if (http !== undefined) {
    console.log(
      `\nOver HTTP on loopback (Warden's decision cache ${process.env.WARDEN_DECISION_CACHE === 'off' ? 'off' : 'on'}): ${http.offered} req/s offered for ${http.seconds} s (open loop from a load-generator thread, latency from each request's due time, at most ${http.inFlight} in flight), ${http.rounds} alternated rounds (median); then a closed loop of 16:`,
    );
    const row = (name: string, x: LoadResult, late = true) => [
      name,
      fixed(x.perSec, 0),
      us(x.p50Us),
      us(x.p99Us),
      us(x.maxUs),
      late ? String(x.late) : '-',
      String(x.errors),
    ];
    console.log(
      formatTable(
        ['path', 'req/s done', 'p50 µs', 'p99 µs', 'max µs', 'sent late', 'errors'],
        [
          row('bare node:http + raw Cedar (floor), open loop', http.bare),
          row('Warden POST /v1/authorize, open loop', http.warden),
          row('bare node:http + raw Cedar, closed loop', http.bareMax, false),
          row('Warden POST /v1/authorize, closed loop', http.wardenMax, false),
        ],
      ),
    );
    console.log(
      `target: p99 < 1000 µs at ${http.offered} req/s — Warden p99 ${us(http.warden.p99Us)} µs at ${fixed(http.warden.perSec, 0)} req/s (the floor on this machine: p99 ${us(http.bare.p99Us)} µs); decision events in the pipeline: ${http.events.ingested} ingested, ${http.events.processed} through detection`,
    );
    console.log('\nIssuance:');
    console.log(
      formatTable(
        ['path', 'per s', 'p50 µs', 'p99 µs'],
        [
          ['bare jose ES256 sign (in process, one at a time)', fixed(sign.perSec, 0), us(sign.p50Us), us(sign.p99Us)],
          [
            'POST /v1/credentials (verify + sign + store, 8 in flight)',
            fixed(http.issue.perSec, 0),
            us(http.issue.p50Us),
            us(http.issue.p99Us),
          ],
        ],
      ),
    );
  } else {
    console.log(`\nbare jose ES256 sign: ${fixed(sign.perSec, 0)}/s, p99 ${fixed(sign.p99Us, 0)} µs (HTTP part skipped)`);
  }
  // The server under test runs in this process (its pipeline on a worker thread, counted too).
  console.log(`\npeak RSS of the bench process (server and load generator included): ${fixed(peakRssMb(), 0)} MiB`);
  console.log(
    JSON.stringify({
      bench: 'authz',
      identities: manifest.identities.length,
      decisions: N,
      rawCedar: { perSec: round(r.perSec, 0), p50Us: round(r.p50Us, 1), p99Us: round(r.p99Us, 1) },
      warden: { perSec: round(w.perSec, 0), p50Us: round(w.p50Us, 1), p99Us: round(w.p99Us, 1) },
      overheadPct: round(overhead * 100, 1),
      remembered: {
        perSec: round(cached.perSec, 0),
        p50Us: round(cached.p50Us, 1),
        p99Us: round(cached.p99Us, 1),
        rawPerSec: round(rawForCached.perSec, 0),
        hitRate: round(hitRate, 3),
        disagree: cachedDisagree,
      },
      joseSign: { perSec: round(sign.perSec, 0), p50Us: round(sign.p50Us, 0), p99Us: round(sign.p99Us, 0) },
      http: http ?? null,
      events,
      peakRssMb: Math.round(peakRssMb()),
    }),
  );
}

await main();
