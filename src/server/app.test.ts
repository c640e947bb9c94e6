import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ROLES, type Role } from '../store/tokens.js';
import { allows } from './auth.js';
import { testServer } from './testing.js';

type T = Awaited<ReturnType<typeof testServer>>;

/** Sends a request to a route with a JSON body on methods that take one. */
function send(t: T, method: string, url: string, headers: Record<string, string> = {}) {
  return t.app.inject({
    method: method as 'GET',
    url,
    headers: { 'content-type': 'application/json', ...headers },
    ...(method === 'GET' || method === 'DELETE' ? {} : { payload: '{}' }),
  });
}

/** A concrete URL for a route pattern: every parameter and wildcard filled in. */
function concrete(url: string): string {
  return url.replace(/:[A-Za-z0-9_]+/g, 'x').replace(/\*/g, 'x');
}

describe('every route is guarded by its declared role', () => {
  let t: T;
  before(async () => {
    t = await testServer();
  });
  after(async () => t.close());

  test('the route table has the contract routes and declares access on each', () => {
    const table = t.app.wardenRoutes.map((r) => `${r.method} ${r.url}`);
    for (const want of [
      'POST /v1/ingest',
      'POST /v1/scans',
      'GET /v1/status',
      'GET /v1/alerts',
      'PATCH /v1/alerts/:uid',
      'GET /v1/risk',
      'GET /v1/identities',
      'GET /v1/audit',
      'GET /openapi.json',
      'GET /healthz',
      'GET /readyz',
    ])
      assert.ok(table.includes(want), `${want} missing from ${table.join(', ')}`);
    for (const r of t.app.wardenRoutes)
      assert.ok(r.access.public === true || r.access.role !== undefined, `${r.method} ${r.url}`);
  });

  test('without a token every non-public route answers 401 problem+json; public ones do not', async () => {
    for (const r of t.app.wardenRoutes) {
      const res = await send(t, r.method, concrete(r.url));
      if (r.access.public) {
        assert.notEqual(res.statusCode, 401, `${r.method} ${r.url} is public`);
        continue;
      }
      assert.equal(res.statusCode, 401, `${r.method} ${r.url}`);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
      assert.equal(res.json().code, 'WARDEN_UNAUTHENTICATED');
    }
  });

  test('a bad token is 401, a role too weak is 403, a role strong enough passes auth', async () => {
    const bad = { authorization: `Bearer wdn_${'A'.repeat(43)}` };
    for (const r of t.app.wardenRoutes) {
      if (r.access.public) continue;
      const url = concrete(r.url);
      assert.equal((await send(t, r.method, url, bad)).statusCode, 401, `${r.method} ${r.url} with an unknown token`);
      for (const role of ROLES as readonly Role[]) {
        const res = await send(t, r.method, url, await t.auth(role));
        if (allows(role, r.access.role!))
          assert.ok(![401, 403].includes(res.statusCode), `${role} reaches ${r.method} ${r.url}: ${res.body}`);
        else {
          assert.equal(res.statusCode, 403, `${role} must not reach ${r.method} ${r.url}`);
          assert.equal(res.json().code, 'WARDEN_FORBIDDEN');
        }
      }
    }
  });
});

test('roles: people by rank, machines only their own routes, admin everything', () => {
  assert.ok(allows('analyst', 'viewer'));
  assert.ok(allows('admin', 'analyst'));
  assert.ok(!allows('viewer', 'analyst'));
  assert.ok(!allows('ingest', 'viewer'));
  assert.ok(!allows('workload', 'viewer'));
  assert.ok(!allows('viewer', 'ingest'));
  assert.ok(allows('admin', 'ingest'));
  assert.ok(allows('workload', ['workload', 'admin']));
  assert.ok(!allows('analyst', ['workload', 'admin']));
});

test('a route that declares no access stops the server from starting (fails closed)', async () => {
  await assert.rejects(
    testServer({
      build: {
        routes: [
          (app) => {
            app.get('/v1/forgotten', async () => ({}));
          },
        ],
      },
    }),
    /declares no access/,
  );
});

test('problem+json for unknown routes and bad input', async () => {
  const t = await testServer();
  try {
    const missing = await t.app.inject({ method: 'GET', url: '/v1/nothing-here' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().code, 'WARDEN_NOT_FOUND');
    const bad = await t.app.inject({ method: 'GET', url: '/v1/alerts?severity=loud', headers: await t.auth('viewer') });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().code, 'WARDEN_INPUT_INVALID');
    assert.equal(bad.json().status, 400);
    assert.match(bad.json().type, /^urn:warden:error:/);
  } finally {
    await t.close();
  }
});
