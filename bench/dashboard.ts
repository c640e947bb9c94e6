/**
 * bench:dashboard — server time of every dashboard page's data at estate scale.
 *
 * Builds bench:graph's synthetic estate (BENCH_IDENTITIES, default 100,000 identities; BENCH_EVENTS,
 * default 1,000,000 events: the pages read the graph, not the event count), imports it into a fresh
 * SQLite store, rescores it, adds alerts on BENCH_ALERT_SHARE (5 %) of the acting identities (one to
 * three each, over the estate's days), then asks the app `warden serve` builds for each dashboard
 * route with a signed-in session: medians and 95th percentiles of BENCH_QUERY_RUNS (21) requests made
 * in process (app.inject), so what is measured is the server's time, routing, auth and JSON included.
 * BENCH_STORE=FILE keeps the built store there and reuses it on the next run (same parameters).
 * Prints a table and one JSON line; reports, never asserts.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert, DetectionId } from '../src/model/alert.js';
import { DETECTION_IDS } from '../src/model/alert.js';
import { createRandom } from '../src/model/random.js';
import type { Severity } from '../src/model/severity.js';
import { buildServer } from '../src/server/app.js';
import { createServerContext } from '../src/server/serve.js';
import { upsertAlerts } from '../src/store/alerts.js';
import { importEvents, importFindings, importInventory } from '../src/store/graph-import.js';
import { listRisk, rescoreGraph } from '../src/store/graph-query.js';
import { openStore, type Store } from '../src/store/store.js';
import { createToken } from '../src/store/tokens.js';
import { buildEstate, END, eventStream, FOUND_AT, START } from './graph.js';
import { fixed, formatTable, peakRssMb } from './lib/report.js';

const env = (k: string, d: number) => (process.env[k] === undefined ? d : Number(process.env[k]));
const params = {
  seed: env('BENCH_SEED', 1),
  identities: env('BENCH_IDENTITIES', 100_000),
  events: env('BENCH_EVENTS', 1_000_000),
  alertShare: env('BENCH_ALERT_SHARE', 0.05),
  runs: Math.max(3, env('BENCH_QUERY_RUNS', 21)),
};

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** Builds the estate's store: inventory, findings, events, rescore, then synthetic alerts; returns the alert count. */
async function buildStore(store: Store): Promise<number> {
  const estate = buildEstate(params.seed, params.identities);
  await importInventory(store, estate.inventory, { repo: 'github.com/acme/infra', at: START });
  for (const r of estate.findings)
    await importFindings(store, r.findings, { repo: r.repo, visibility: r.visibility, foundAt: FOUND_AT });
  await importEvents(store, eventStream(estate, params.events));
  await rescoreGraph(store, { now: END });
  const rnd = createRandom(params.seed);
  const alerts: Alert[] = [];
  const severities: Severity[] = ['low', 'medium', 'high', 'critical'];
  for (const i of estate.active) {
    if (rnd() >= params.alertShare) continue;
    const who = estate.identities[i]!;
    for (let k = 0; k < 1 + Math.floor(rnd() * 3); k++) {
      const first = START + Math.floor(rnd() * (END - START));
      const detectionId = DETECTION_IDS[Math.floor(rnd() * DETECTION_IDS.length)] as DetectionId;
      alerts.push({
        uid: `bench-${i}-${k}`,
        detectionId,
        title: detectionId,
        severity: severities[Math.floor(rnd() * severities.length)]!,
        message: `${who.name}: synthetic`,
        identity: { id: who.id, type: who.type, name: who.name },
        ...(who.credentials[0] ? { credential: { key: who.credentials[0].key, type: who.credentials[0].type } } : {}),
        firstSeen: new Date(first).toISOString(),
        lastSeen: new Date(first + 60_000).toISOString(),
        count: 1 + Math.floor(rnd() * 20),
        evidences: [],
        frameworks: [],
        attacks: [],
      });
    }
  }
  await upsertAlerts(store, alerts);
  return alerts.length;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-dashboard-'));
  try {
    let t = performance.now();
    const file = process.env.BENCH_STORE ?? join(dir, 'warden.db');
    const reuse = process.env.BENCH_STORE !== undefined && existsSync(file);
    const store = await openStore(file);
    let alerts = 0;
    if (!reuse) alerts = await buildStore(store);
    else
      alerts = Number(
        (
          await store.db
            .selectFrom('alerts')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirst()
        )?.n ?? 0,
      );
    const setupMs = performance.now() - t;
    const top = (await listRisk(store, { kind: 'identity', limit: 1 }))[0];
    console.log(
      `bench:dashboard — ${params.identities} identities, ${params.events} events generated, ${alerts} alerts; store ${reuse ? 'reused' : 'built'} in ${fixed(setupMs / 1000, 1)} s\n`,
    );

    const ctx = await createServerContext({ store, cwd: dir });
    const app = await buildServer(ctx, { logger: false });
    await app.ready();
    const { token } = await createToken(store, { name: 'bench', role: 'analyst' });
    const signIn = await app.inject({ method: 'POST', url: '/v1/session', payload: { token } });
    const cookie = String(signIn.headers['set-cookie']).split(';')[0]!;
    const firstAlert = (
      await app.inject({ method: 'GET', url: '/v1/dashboard/alerts?sort=risk&limit=1', headers: { cookie } })
    ).json() as {
      items: Array<{ uid: string }>;
    };
    const routes: Array<[string, string]> = [
      ['overview', '/v1/dashboard/overview'],
      ['alerts, riskiest first', '/v1/dashboard/alerts?sort=risk&limit=25'],
      ['alerts, open, high+, page 40', '/v1/dashboard/alerts?status=open&severity=high&sort=recent&limit=25&offset=1000'],
      ['alert detail (top incident)', `/v1/dashboard/alerts/${firstAlert.items[0]?.uid ?? 'none'}`],
      ['identities, page 1', '/v1/dashboard/identities?limit=50'],
      ['identities, page 1,800', '/v1/dashboard/identities?limit=50&offset=90000'],
      ['identity page (riskiest)', `/v1/dashboard/identity?id=${encodeURIComponent(top?.id ?? 'none')}`],
      ['findings, page 1', '/v1/dashboard/findings?limit=50'],
      ['report (OWASP NHI)', '/v1/reports/owasp-nhi'],
      ['page HTML', '/alerts'],
    ];
    const rows: string[][] = [];
    const summary: Record<string, { coldMs: number; medianMs: number; p95Ms: number; status: number }> = {};
    for (const [name, url] of routes) {
      const times: number[] = [];
      let status = 0;
      let cold = 0;
      for (let i = 0; i <= params.runs; i++) {
        t = performance.now();
        const res = await app.inject({ method: 'GET', url, headers: { cookie, accept: 'application/json' } });
        const ms = performance.now() - t;
        status = res.statusCode;
        if (i === 0) cold = ms;
        else times.push(ms);
      }
      const med = quantile(times, 0.5);
      const p95 = quantile(times, 0.95);
      summary[name] = { coldMs: cold, medianMs: med, p95Ms: p95, status };
      rows.push([name, String(status), fixed(cold, 1), fixed(med, 1), fixed(p95, 1)]);
    }
    console.log(formatTable(['route', 'status', 'first ms', 'median ms', 'p95 ms'], rows));
    console.log(`\npeak RSS of the bench process (estate, store and server included): ${fixed(peakRssMb(), 0)} MiB`);
    console.log(
      `\n${JSON.stringify({ bench: 'dashboard', ...params, alerts, routes: summary, peakRssMb: Math.round(peakRssMb()) })}`,
    );
    await app.close();
    await ctx.close();
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
