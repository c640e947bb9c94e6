import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { detect } from '../../detect/index.js';
import type { IdentityEvent } from '../../model/identity-event.js';
import { generateScenario } from '../../scenario/generate.js';
import { learnedExceptions } from '../../store/learned-exceptions.js';
import { sqliteBackend } from '../../store/testing.js';
import { emptyTelemetryStats, normalizeRecords } from '../../telemetry/normalize.js';
import { sampleRecords } from '../../telemetry/parsers/cloudtrail.samples.js';
import type { OwnedContext } from '../serve.js';
import { testServer } from '../testing.js';

type T = Awaited<ReturnType<typeof testServer>>;

async function settle(t: T): Promise<{ ingested: number; processed: number }> {
  const headers = await t.auth('viewer');
  for (let i = 0; i < 400; i++) {
    const s = (await t.app.inject({ method: 'GET', url: '/v1/status', headers })).json();
    if (s.processed === s.ingested) return s;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the pipeline did not catch up');
}

describe('POST /v1/ingest (embedded)', () => {
  let t: T;
  before(async () => {
    t = await testServer();
  });
  after(async () => t.close());

  test('JSON lines, a CloudTrail Records document and gzip are accepted; bad lines are counted by reason beside the good', async () => {
    const headers = await t.auth('ingest');
    const records = sampleRecords(3).slice(0, 6);
    const lines = `${records.map((r) => JSON.stringify(r)).join('\n')}\n{not json\n`;
    const a = await t.app.inject({
      method: 'POST',
      url: '/v1/ingest',
      headers: { ...headers, 'content-type': 'application/x-ndjson' },
      payload: lines,
    });
    assert.equal(a.statusCode, 202, a.body);
    assert.equal(a.json().accepted, 6);
    assert.equal(a.json().rejected, 1);
    assert.equal(
      Object.values(a.json().reasons as Record<string, number>).reduce((x, n) => x + n, 0),
      1,
    );

    const doc = JSON.stringify({ Records: records });
    const b = await t.app.inject({
      method: 'POST',
      url: '/v1/ingest?source=cloudtrail',
      headers: { ...headers, 'content-type': 'application/json' },
      payload: doc,
    });
    assert.equal(b.statusCode, 202, b.body);
    assert.equal(b.json().accepted, 6);

    const c = await t.app.inject({
      method: 'POST',
      url: '/v1/ingest',
      headers: { ...headers, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: gzipSync(doc),
    });
    assert.equal(c.statusCode, 202, c.body);
    assert.equal(c.json().events, b.json().events);

    const s = await settle(t);
    assert.equal(s.ingested, a.json().events + b.json().events + c.json().events);
    const status = (await t.app.inject({ method: 'GET', url: '/v1/status', headers: await t.auth('viewer') })).json();
    assert.equal(status.records.rejected, 1);
    assert.equal(status.lag, 0);
  });

  test('an unknown source, an unsupported encoding and a broken gzip body are 400 problems', async () => {
    const headers = await t.auth('ingest');
    const bad = await t.app.inject({ method: 'POST', url: '/v1/ingest?source=syslog', headers, payload: '{}' });
    assert.equal(bad.statusCode, 400);
    const br = await t.app.inject({
      method: 'POST',
      url: '/v1/ingest',
      headers: { ...headers, 'content-encoding': 'br' },
      payload: '{}',
    });
    assert.equal(br.statusCode, 400);
    const gz = await t.app.inject({
      method: 'POST',
      url: '/v1/ingest',
      headers: { ...headers, 'content-encoding': 'gzip' },
      payload: Buffer.from([0x1f, 0x8b, 1, 2, 3]),
    });
    assert.equal(gz.statusCode, 400);
    assert.equal(gz.json().code, 'WARDEN_INPUT_INVALID');
  });

  test('every ingest is in the audit trail, with the caller', async () => {
    const audit = (
      await t.app.inject({ method: 'GET', url: '/v1/audit?action=ingest.accept', headers: await t.auth('admin') })
    ).json();
    assert.ok(audit.items.length >= 3);
    assert.match(audit.items[0].actor, /^token:test-ingest-/);
  });
});

test('body limit (raw and inflated) answers 413 problem+json', async () => {
  const t = await testServer({ bodyLimit: 4096 });
  try {
    const headers = await t.auth('ingest');
    const big = await t.app.inject({ method: 'POST', url: '/v1/ingest', headers, payload: 'x'.repeat(10_000) });
    assert.equal(big.statusCode, 413);
    assert.equal(big.json().code, 'WARDEN_PAYLOAD_TOO_LARGE');
    const bomb = await t.app.inject({
      method: 'POST',
      url: '/v1/ingest',
      headers: { ...headers, 'content-encoding': 'gzip' },
      payload: gzipSync(Buffer.alloc(1_000_000, 32)),
    });
    assert.equal(bomb.statusCode, 413);
  } finally {
    await t.close();
  }
});

test('per-token rate limit answers 429 problem+json', async () => {
  const t = await testServer({ rateLimit: 3 });
  try {
    const headers = await t.auth('viewer');
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await t.app.inject({ method: 'GET', url: '/v1/status', headers })).statusCode);
    assert.deepEqual(codes.slice(0, 3), [200, 200, 200]);
    const last = await t.app.inject({ method: 'GET', url: '/v1/status', headers });
    assert.equal(last.statusCode, 429);
    assert.equal(last.json().code, 'WARDEN_RATE_LIMITED');
    // Another token has its own budget.
    assert.equal((await t.app.inject({ method: 'GET', url: '/v1/status', headers: await t.auth('analyst') })).statusCode, 200);
  } finally {
    await t.close();
  }
});

describe('detection through the service', () => {
  const scenario = generateScenario({ seed: 5, identities: 16, days: 5, start: '2026-02-02', attacks: 'all' });
  const learnUntil = Date.parse('2026-02-04T00:00:00Z');
  const files = scenario.files.map((f) => ({
    format: f.format,
    body: f.name.endsWith('.gz') ? gzipSync(f.lines.join('\n')) : `${f.lines.join('\n')}\n`,
  }));

  async function post(t: T, from: number, to: number): Promise<void> {
    const headers = await t.auth('ingest');
    for (const f of files.slice(from, to)) {
      const res = await t.app.inject({ method: 'POST', url: `/v1/ingest?source=${f.format}`, headers, payload: f.body });
      assert.equal(res.statusCode, 202, res.body);
    }
  }

  async function alerts(t: T): Promise<Array<{ uid: string; count: number }>> {
    const headers = await t.auth('viewer');
    const out: Array<{ uid: string; count: number }> = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<{ finding_info: { uid: string }; count: number }>; next: string | null } = (
        await t.app.inject({ method: 'GET', url: `/v1/alerts?limit=50${cursor ? `&cursor=${cursor}` : ''}`, headers })
      ).json();
      for (const f of page.items) out.push({ uid: f.finding_info.uid, count: f.count });
      cursor = page.next;
    } while (cursor !== null);
    return out.sort((a, b) => a.uid.localeCompare(b.uid));
  }

  test('alerts raised, learn-until respected, and a restart continues from the snapshot with the same alerts', async () => {
    const backend = sqliteBackend('warden-serve-');
    try {
      const whole = await backend.fresh();
      const one = await testServer({ store: whole, learnUntil });
      await post(one, 0, files.length);
      await settle(one);
      const expected = await alerts(one);
      assert.ok(expected.length > 0, 'the planted attacks raise alerts');
      // Nothing before learn-until alerts.
      const early = (
        await one.app.inject({ method: 'GET', url: '/v1/alerts?limit=1000', headers: await one.auth('viewer') })
      ).json();
      for (const f of early.items) assert.ok(f.finding_info.first_seen_time >= learnUntil);
      await one.close();

      // Same records, the server restarted halfway: the same alerts, none twice.
      const split = await backend.fresh();
      const first = await testServer({ store: split, learnUntil });
      await post(first, 0, Math.floor(files.length / 2));
      await settle(first);
      await first.close();
      const second = await testServer({ store: split, learnUntil });
      await post(second, Math.floor(files.length / 2), files.length);
      await settle(second);
      assert.deepEqual(await alerts(second), expected);
      await second.close();
    } finally {
      await backend.cleanup();
    }
  });

  test('the service raises what a replay of the same files raises: Sigma rules on raw records, revocations across partitions, tokens joined across requests', async () => {
    // The replay: one detector over every event in time order, with one set of parsers for all files.
    async function* records() {
      for (const f of scenario.files) {
        let line = 0;
        for (const l of f.lines) yield { record: JSON.parse(l) as unknown, origin: { file: f.name, line: ++line } };
      }
    }
    const events: IdentityEvent[] = [];
    for await (const e of normalizeRecords(records(), {}, emptyTelemetryStats())) events.push(e);
    events.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    const replayed = new Set<string>();
    for await (const a of detect(events, { learnUntil })) replayed.add(`${a.detectionId} ${a.identity.id}`);
    const kinds = (keys: Set<string>) => new Set([...keys].map((k) => k.split(' ')[0]!));
    // What the service must not lose: a bundled Sigma rule (matched on CloudTrail's raw record), a GCP
    // key deleted by an administrator and a Vault accessor revoked by another token, each reused later.
    assert.ok(
      [...replayed].some((k) => k.startsWith('8931733e-')),
      'a bundled Sigma rule fires in the replay',
    );
    assert.ok(replayed.has('runtime.credential.reuse-after-revocation etl-loader@acme-data.iam.gserviceaccount.com'));
    assert.ok([...replayed].filter((k) => k.startsWith('runtime.credential.reuse-after-revocation ')).length >= 3);

    const t = await testServer({ store: ':memory:', learnUntil });
    try {
      const headers = await t.auth('ingest');
      let accepted = 0;
      for (const f of files) {
        const res = await t.app.inject({ method: 'POST', url: `/v1/ingest?source=${f.format}`, headers, payload: f.body });
        assert.equal(res.statusCode, 202, res.body);
        accepted += res.json().events;
      }
      const status = await settle(t);
      // Revocation copies are neither ingested nor processed events.
      assert.equal(status.ingested, accepted);
      const served = new Set<string>();
      const viewer = await t.auth('viewer');
      let cursor: string | null = null;
      do {
        const page: {
          items: Array<{ finding_info: { analytic: { uid: string } }; actor: { user: { uid: string } } }>;
          next: string | null;
        } = (
          await t.app.inject({ method: 'GET', url: `/v1/alerts?limit=100${cursor ? `&cursor=${cursor}` : ''}`, headers: viewer })
        ).json();
        for (const f of page.items) served.add(`${f.finding_info.analytic.uid} ${f.actor.user.uid}`);
        cursor = page.next;
      } while (cursor !== null);
      assert.deepEqual(kinds(served), kinds(replayed));
      assert.deepEqual([...served].sort(), [...replayed].sort());
    } finally {
      await t.close();
    }
  });

  test('PATCH /v1/alerts/{uid} triages, keeps the triage when the detector updates, and records before/after in the audit trail', async () => {
    const t = await testServer({ learnUntil });
    try {
      await post(t, 0, files.length);
      await settle(t);
      const [first] = await alerts(t);
      assert.ok(first);
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/v1/alerts/${first.uid}`,
        headers: await t.auth('analyst'),
        payload: { state: 'acknowledged', reason: 'looking into it' },
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().status, 'In Progress');
      const listed = (
        await t.app.inject({ method: 'GET', url: '/v1/alerts?state=acknowledged', headers: await t.auth('viewer') })
      ).json();
      assert.deepEqual(
        listed.items.map((f: { finding_info: { uid: string } }) => f.finding_info.uid),
        [first.uid],
      );
      const audit = (
        await t.app.inject({ method: 'GET', url: `/v1/audit?target=${first.uid}`, headers: await t.auth('admin') })
      ).json();
      assert.equal(audit.items[0].action, 'alert.triage');
      assert.deepEqual(audit.items[0].detail.before, { state: 'open', reason: null });
      assert.deepEqual(audit.items[0].detail.after, { state: 'acknowledged', reason: 'looking into it' });
      const missing = await t.app.inject({
        method: 'PATCH',
        url: '/v1/alerts/nope',
        headers: await t.auth('analyst'),
        payload: { state: 'resolved' },
      });
      assert.equal(missing.statusCode, 404);
      const badState = await t.app.inject({
        method: 'PATCH',
        url: `/v1/alerts/${first.uid}`,
        headers: await t.auth('analyst'),
        payload: { state: 'closed' },
      });
      assert.equal(badState.statusCode, 400);
    } finally {
      await t.close();
    }
  });

  test('an alert closed as an expected change becomes a learned exception, recorded in the audit trail', async () => {
    const t = await testServer({ learnUntil });
    try {
      await post(t, 0, files.length);
      await settle(t);
      const headers = await t.auth('viewer');
      const page = (
        await t.app.inject({ method: 'GET', url: '/v1/alerts?detection=runtime.credential.new-source&limit=5', headers })
      ).json();
      const uid: string | undefined = page.items[0]?.finding_info.uid;
      assert.ok(uid, 'the scenario has a new-source alert');
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/v1/alerts/${uid}`,
        headers: await t.auth('analyst'),
        payload: { state: 'resolved', reason: 'expected change: CHG-7 vendor egress moved' },
      });
      assert.equal(res.statusCode, 200, res.body);
      const learned = await learnedExceptions(t.ctx.store);
      assert.ok(learned.length > 0);
      assert.ok(learned.every((x) => x.detections?.includes('runtime.credential.new-source') && /CHG-7/.test(x.reason ?? '')));
      const audit = (
        await t.app.inject({ method: 'GET', url: `/v1/audit?target=${uid}`, headers: await t.auth('admin') })
      ).json();
      assert.ok(audit.items.some((a: { action: string }) => a.action === 'detect.exception.learned'));
      // Any other reason teaches nothing.
      const before = learned.length;
      const other = page.items[1]?.finding_info.uid ?? uid;
      await t.app.inject({
        method: 'PATCH',
        url: `/v1/alerts/${other}`,
        headers: await t.auth('analyst'),
        payload: { state: 'resolved', reason: 'false positive' },
      });
      assert.equal((await learnedExceptions(t.ctx.store)).length, before);
    } finally {
      await t.close();
    }
  });
});

test('OpenAPI 3.1 lists every route with its role', async () => {
  const t = await testServer();
  try {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json', headers: await t.auth('viewer') })).json();
    assert.equal(doc.openapi, '3.1.0');
    for (const r of t.app.wardenRoutes) {
      if (r.url === '/openapi.json') continue;
      const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{*}');
      const op = doc.paths[path]?.[r.method.toLowerCase()];
      assert.ok(op, `${r.method} ${path} in the OpenAPI document`);
      if (r.access.public) assert.deepEqual(op.security, []);
      else assert.ok(Array.isArray(op['x-warden-role']));
    }
  } finally {
    await t.close();
  }
});

export type { OwnedContext };

test('ingested events reach the identity graph: identities, risk, blast radius; scan reports upload into it', async () => {
  const scenario = generateScenario({ seed: 9, identities: 8, days: 3, start: '2026-02-02', attacks: [] });
  const t = await testServer({ rescoreMs: 100 });
  try {
    const headers = await t.auth('ingest');
    for (const f of scenario.files) {
      const body = f.name.endsWith('.gz') ? gzipSync(f.lines.join('\n')) : `${f.lines.join('\n')}\n`;
      assert.equal(
        (await t.app.inject({ method: 'POST', url: `/v1/ingest?source=${f.format}`, headers, payload: body })).statusCode,
        202,
      );
    }
    await settle(t);
    const viewer = await t.auth('viewer');
    let page: { items: Array<{ id: string }>; next: string | null } = { items: [], next: null };
    for (let i = 0; i < 100 && page.items.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      page = (await t.app.inject({ method: 'GET', url: '/v1/identities?limit=2', headers: viewer })).json();
    }
    assert.equal(page.items.length, 2);
    assert.ok(page.next !== null);
    const risk = (await t.app.inject({ method: 'GET', url: '/v1/risk', headers: viewer })).json();
    assert.ok(risk.identities.length > 0);
    const id = page.items[0]!.id.replace(/^identity:/, '');
    for (const url of [`/v1/identities/${id}`, `/v1/risk/${id}`, `/v1/blast-radius/${id}`]) {
      const res = await t.app.inject({ method: 'GET', url, headers: viewer });
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    }
    const missing = await t.app.inject({ method: 'GET', url: '/v1/blast-radius/arn:aws:iam::1:user/nobody', headers: viewer });
    assert.equal(missing.statusCode, 404);

    const report = {
      tool: { name: 'warden', version: '0' },
      findings: [],
    };
    const up = await t.app.inject({
      method: 'POST',
      url: '/v1/scans?repo=acme/api&visibility=private',
      headers,
      payload: JSON.stringify(report),
    });
    assert.equal(up.statusCode, 200, up.body);
    const notReport = await t.app.inject({ method: 'POST', url: '/v1/scans', headers, payload: 'hello' });
    assert.equal(notReport.statusCode, 400);
  } finally {
    await t.close();
  }
});
