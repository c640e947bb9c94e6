import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Alert } from '../../model/alert.js';
import type { Finding } from '../../model/finding.js';
import { upsertAlerts } from '../../store/alerts.js';
import { importFindings } from '../../store/graph-import.js';
import { rescoreGraph } from '../../store/graph-query.js';
import { createToken, revokeToken } from '../../store/tokens.js';
import { testServer } from '../testing.js';

type T = Awaited<ReturnType<typeof testServer>>;
const T0 = Date.parse('2026-03-02T10:00:00Z');

function alert(uid: string, identity: string, severity: Alert['severity'], minutes: number): Alert {
  return {
    uid,
    detectionId: 'runtime.credential.new-source',
    title: 'Credential used from a new source',
    severity,
    message: `${identity} used from a new network`,
    identity: { id: identity, type: 'iam-user', name: identity },
    firstSeen: new Date(T0 + minutes * 60_000).toISOString(),
    lastSeen: new Date(T0 + minutes * 60_000).toISOString(),
    count: 1,
    evidences: [],
    frameworks: [],
    attacks: [],
  };
}

function finding(kind: 'secret' | 'posture', path: string, line: number): Finding {
  return {
    ruleId: `${kind}.synthetic.rule`,
    kind,
    title: kind,
    severity: 'high',
    message: 'synthetic',
    path,
    line,
    column: 1,
    fingerprint: `${kind}-${path}-${line}`.padEnd(64, '0'),
    preview: 'ab********',
    frameworks: [],
  };
}

/** The Set-Cookie session of a sign-in, as a Cookie header, and its CSRF token. */
async function signIn(t: T, token: string): Promise<{ cookie: string; csrf: string }> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/session', payload: { token } });
  assert.equal(res.statusCode, 200, res.body);
  const set = String(res.headers['set-cookie']);
  assert.match(set, /^warden_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
  return { cookie: set.split(';')[0]!, csrf: (res.json() as { csrf: string }).csrf };
}

describe('dashboard routes', () => {
  let t: T;
  let analyst: string;
  before(async () => {
    t = await testServer();
    analyst = (await createToken(t.ctx.store, { name: 'ana', role: 'analyst' })).token;
    await upsertAlerts(t.ctx.store, [
      alert('a-low-risk', 'quiet', 'critical', 1),
      alert('a-high-risk', 'leaky', 'high', 2),
      alert('a-medium', 'leaky', 'medium', 3),
    ]);
    await importFindings(t.ctx.store, [finding('posture', 'k8s/secret.yaml', 4), finding('secret', 'app/.env', 2)], {
      repo: 'acme/api',
      foundAt: T0,
    });
    await rescoreGraph(t.ctx.store, { now: T0 });
  });
  after(async () => t.close());

  test('sign-in takes a person token only; the session reads like the token, writes need its CSRF token', async () => {
    const bad = await t.app.inject({ method: 'POST', url: '/v1/session', payload: { token: 'wdn_nope' } });
    assert.equal(bad.statusCode, 401);
    const ingest = (await createToken(t.ctx.store, { name: 'shipper', role: 'ingest' })).token;
    assert.equal((await t.app.inject({ method: 'POST', url: '/v1/session', payload: { token: ingest } })).statusCode, 403);
    const foreign = await t.app.inject({
      method: 'POST',
      url: '/v1/session',
      payload: { token: analyst },
      headers: { origin: 'https://evil.example', host: 'localhost:80' },
    });
    assert.equal(foreign.statusCode, 403, 'a sign-in from another origin is refused');

    const { cookie, csrf } = await signIn(t, analyst);
    const me = await t.app.inject({ method: 'GET', url: '/v1/session', headers: { cookie } });
    assert.deepEqual(
      { ...(me.json() as Record<string, unknown>), respond: undefined },
      { name: 'ana', role: 'analyst', csrf, respond: undefined },
    );
    const patch = (headers: Record<string, string>) =>
      t.app.inject({
        method: 'PATCH',
        url: '/v1/alerts/a-medium',
        headers: { cookie, ...headers },
        payload: { state: 'acknowledged', reason: 'seen' },
      });
    assert.equal((await patch({})).statusCode, 403, 'no CSRF token');
    assert.equal((await patch({ 'x-warden-csrf': `${csrf}x` })).statusCode, 403, 'a wrong CSRF token');
    assert.equal((await patch({ 'x-warden-csrf': csrf, origin: 'https://evil.example' })).statusCode, 403, 'another origin');
    assert.equal((await patch({ 'x-warden-csrf': csrf })).statusCode, 200);
    const detail = await t.app.inject({ method: 'GET', url: '/v1/dashboard/alerts/a-medium', headers: { cookie } });
    assert.equal(detail.json().status, 'acknowledged');
    assert.equal(detail.json().triage.reason, 'seen');
    assert.equal(detail.json().triage.by, 'session:ana');

    // Sign-out ends the session; so does revoking the token behind another one.
    const out = await t.app.inject({ method: 'DELETE', url: '/v1/session', headers: { cookie, 'x-warden-csrf': csrf } });
    assert.equal(out.statusCode, 204);
    assert.match(String(out.headers['set-cookie']), /Max-Age=0/);
    assert.equal((await t.app.inject({ method: 'GET', url: '/v1/session', headers: { cookie } })).statusCode, 401);
    const other = await signIn(t, analyst);
    await revokeToken(t.ctx.store, 'ana');
    assert.equal(
      (await t.app.inject({ method: 'GET', url: '/v1/dashboard/overview', headers: { cookie: other.cookie } })).statusCode,
      401,
    );
  });

  test('pages: 401 without a session (the sign-in app for browsers, a problem document for others), 200 with one', async () => {
    const html = await t.app.inject({ method: 'GET', url: '/alerts/x', headers: { accept: 'text/html' } });
    assert.equal(html.statusCode, 401);
    assert.match(String(html.headers['content-type']), /^text\/html/);
    assert.match(String(html.headers['content-security-policy']), /default-src 'self'/);
    const json = await t.app.inject({ method: 'GET', url: '/findings' });
    assert.equal(json.statusCode, 401);
    assert.match(String(json.headers['content-type']), /problem\+json/);
    const token = (await createToken(t.ctx.store, { name: 'vic', role: 'viewer' })).token;
    const { cookie } = await signIn(t, token);
    const page = await t.app.inject({ method: 'GET', url: '/identity?id=x', headers: { cookie, accept: 'text/html' } });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<div id="root">/);
  });

  test('alerts: sorted, filtered and paged on the server, bad filters refused', async () => {
    const { token } = await createToken(t.ctx.store, { name: 'reader', role: 'viewer' });
    const headers = { authorization: `Bearer ${token}` };
    const get = (q: string) => t.app.inject({ method: 'GET', url: `/v1/dashboard/alerts${q}`, headers });
    const all = (await get('?sort=severity')).json() as { items: Array<{ uid: string }>; total: number };
    assert.equal(all.total, 3);
    assert.equal(all.items[0]!.uid, 'a-low-risk', 'critical first by severity');
    const page = (await get('?sort=recent&limit=1&offset=1')).json() as { items: Array<{ uid: string }>; total: number };
    assert.deepEqual(
      page.items.map((a) => a.uid),
      ['a-high-risk'],
    );
    assert.equal(page.total, 3);
    const filtered = (await get('?severity=high&identity=leak')).json() as { items: Array<{ uid: string }> };
    assert.deepEqual(
      filtered.items.map((a) => a.uid),
      ['a-high-risk'],
    );
    assert.equal((await get('?status=closed')).statusCode, 400);
    assert.equal((await get('?limit=5000')).statusCode, 400);
    assert.equal((await t.app.inject({ method: 'GET', url: '/v1/dashboard/alerts/nope', headers })).statusCode, 404);
  });

  test('findings by repository, file and line, posture included; overview and reports answer', async () => {
    const { token } = await createToken(t.ctx.store, { name: 'reader2', role: 'viewer' });
    const headers = { authorization: `Bearer ${token}` };
    const f = (await t.app.inject({ method: 'GET', url: '/v1/dashboard/findings?repository=acme/api', headers })).json() as {
      items: Array<{ kind: string; path: string; line: number }>;
      repositories: Array<{ repository: string; secret: number; posture: number }>;
    };
    assert.deepEqual(
      f.items.map((x) => `${x.kind} ${x.path}:${x.line}`),
      ['secret app/.env:2', 'posture k8s/secret.yaml:4'],
    );
    assert.deepEqual(f.repositories, [{ repository: 'acme/api', secret: 1, posture: 1 }]);
    const o = await t.app.inject({ method: 'GET', url: '/v1/dashboard/overview', headers });
    assert.equal(o.statusCode, 200);
    assert.equal((o.json() as { alerts: { total: number } }).alerts.total, 3);
    assert.equal((o.json() as { frameworks: unknown[] }).frameworks.length, 6);
    const html = await t.app.inject({ method: 'GET', url: '/v1/reports/nist-csf?format=html&download=1', headers });
    assert.equal(html.statusCode, 200);
    assert.match(String(html.headers['content-disposition']), /attachment; filename="warden-nist-csf.html"/);
    assert.equal((await t.app.inject({ method: 'GET', url: '/v1/reports/pci', headers })).statusCode, 400);
  });
});
