import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { base64url, decodeJwt } from 'jose';
import { buildServer } from '../src/server/app.js';
import { createServerContext, type OwnedContext } from '../src/server/serve.js';
import { createToken, type Role } from '../src/store/tokens.js';
import { type LocalIssuer, startLocalIssuer } from './oidc-issuer.js';
import { tempDir } from './tmp.js';

/** The manifest: ci-deployer may read artifacts from its network in prod, at any hour (so the test runs any time). */
function manifestText(issuer: string, networks = '["203.0.113.0/24"]'): string {
  return `version: 1
identities:
  ci-deployer:
    owner: platform-team
    match: ["repo:acme/api:environment:prod"]
    environments: [prod]
    allow:
      - actions: ["s3:GetObject", "s3:PutObject"]
        resources: ["arn:aws:s3:::acme-artifacts/*"]
    sources:
      networks: ${networks}
    windows:
      - days: [sun, mon, tue, wed, thu, fri, sat]
        from: "00:00"
        to: "24:00"
    credentials:
      maxLifetime: 1h
  web-deployer:
    owner: web-team
    allow:
      - actions: ["s3:PutObject"]
        resources: ["arn:aws:s3:::web/*"]
    windows:
      - days: [mon, tue, wed, thu, fri]
        from: "08:00"
        to: "18:00"
        timezone: Europe/Berlin
    credentials:
      maxLifetime: 10m
trust:
  - issuer: ${issuer}
    audience: warden
    subject: "repo:acme/api:environment:prod"
    identity: ci-deployer
  - issuer: ${issuer}
    audience: warden
    subject: "repo:acme/web:*"
    identity: web-deployer
`;
}

describe('end to end: a workload proves itself, is authorized by context, is revoked, and its reuse alerts', () => {
  let iss: LocalIssuer;
  let ctx: OwnedContext;
  let app: FastifyInstance;
  let dir: ReturnType<typeof tempDir>;
  let policy: string;
  const tokens = new Map<Role, string>();
  const auth = async (role: Role) => {
    if (!tokens.has(role)) tokens.set(role, (await createToken(ctx.store, { name: `e2e-${role}`, role })).token);
    return { authorization: `Bearer ${tokens.get(role)}` };
  };

  before(async () => {
    iss = await startLocalIssuer();
    dir = tempDir();
    policy = join(dir.dir, 'warden.policy.yaml');
    writeFileSync(policy, manifestText(iss.url));
    process.env.WARDEN_KEY_ENCRYPTION_KEY = randomBytes(32).toString('base64');
    ctx = await createServerContext({ store: ':memory:', cwd: dir.dir, policyFile: policy });
    app = await buildServer(ctx, { logger: false });
    await app.ready();
  });
  after(async () => {
    await app.close();
    await ctx.close();
    await iss.close();
    dir.cleanup();
    delete process.env.WARDEN_KEY_ENCRYPTION_KEY;
  });

  const issue = async (workloadToken: string, body: object = { identity: 'ci-deployer', ttl: '15m', task: 'deploy api 1.4.2' }) =>
    app.inject({ method: 'POST', url: '/v1/credentials', headers: { authorization: `Bearer ${workloadToken}` }, payload: body });
  const authorize = async (payload: object) =>
    (await app.inject({ method: 'POST', url: '/v1/authorize', headers: await auth('workload'), payload })).json() as {
      decision: string;
      reasons: string[];
      policies: string[];
    };
  const context = (over: object = {}) => ({
    time: new Date().toISOString(),
    sourceIp: '203.0.113.7',
    environment: 'prod',
    ...over,
  });

  test('the whole flow', async () => {
    // 1. The workload proves itself to the local issuer and gets a credential.
    const res = await issue(await iss.token('repo:acme/api:environment:prod'));
    assert.equal(res.statusCode, 201, res.body);
    const cred = res.json() as { id: string; token: string; expiresAt: string; ttl: string };
    assert.equal(cred.ttl, '15m');
    const claims = decodeJwt(cred.token);
    assert.equal(claims.sub, 'ci-deployer');
    assert.equal(claims.jti, cred.id);
    assert.equal(claims.task, 'deploy api 1.4.2');
    const jwks = (await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json() as { keys: Array<{ kid: string }> };
    assert.ok(jwks.keys.some((k) => k.kid === JSON.parse(Buffer.from(cred.token.split('.')[0]!, 'base64url').toString()).kid));

    // 2. Allowed and denied by context, as the manifest says.
    const allowed = await authorize({
      principal: cred.token,
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::acme-artifacts/app.zip',
      context: context(),
    });
    assert.equal(allowed.decision, 'allow', allowed.reasons.join('; '));
    assert.deepEqual(allowed.policies, ['ci-deployer/allow/0']);
    const elsewhere = await authorize({
      principal: cred.token,
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::acme-artifacts/app.zip',
      context: context({ sourceIp: '198.51.100.9' }),
    });
    assert.equal(elsewhere.decision, 'deny');
    assert.match(elsewhere.reasons.join(), /networks/);
    const staging = await authorize({
      principal: cred.token,
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::acme-artifacts/a',
      context: context({ environment: 'staging' }),
    });
    assert.equal(staging.decision, 'deny');
    const noContext = await authorize({
      principal: cred.token,
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::acme-artifacts/a',
    });
    assert.equal(noContext.decision, 'deny');
    // A name principal and a time window in another zone: Monday 09:30 Berlin in, 19:30 out.
    const inWindow = await authorize({
      principal: 'web-deployer',
      action: 's3:PutObject',
      resource: 'arn:aws:s3:::web/i.html',
      context: { time: '2026-12-07T08:30:00Z' },
    });
    assert.equal(inWindow.decision, 'allow');
    const late = await authorize({
      principal: 'web-deployer',
      action: 's3:PutObject',
      resource: 'arn:aws:s3:::web/i.html',
      context: { time: '2026-12-07T18:30:00Z' },
    });
    assert.equal(late.decision, 'deny');

    const introspect = async (token: string) =>
      (
        await app.inject({
          method: 'POST',
          url: '/v1/credentials/introspect',
          headers: await auth('workload'),
          payload: { token },
        })
      ).json() as {
        active: boolean;
        sub?: string;
        exp?: number;
      };
    const active = await introspect(cred.token);
    assert.equal(active.active, true);
    assert.equal(active.sub, 'ci-deployer');

    // 3. Revoked: a viewer may not, an admin may.
    const viewer = await app.inject({ method: 'POST', url: `/v1/credentials/${cred.id}/revoke`, headers: await auth('viewer') });
    assert.equal(viewer.statusCode, 403);
    const revoked = await app.inject({ method: 'POST', url: `/v1/credentials/${cred.id}/revoke`, headers: await auth('admin') });
    assert.equal(revoked.statusCode, 200, revoked.body);
    assert.equal((await introspect(cred.token)).active, false);
    const form = await app.inject({
      method: 'POST',
      url: '/v1/credentials/introspect',
      headers: { ...(await auth('admin')), 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${encodeURIComponent(cred.token)}`,
    });
    assert.deepEqual(form.json(), { active: false }, 'RFC 7662 form encoding works too');
    const reuse = await authorize({
      principal: cred.token,
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::acme-artifacts/app.zip',
      context: context(),
    });
    assert.equal(reuse.decision, 'deny');
    assert.match(reuse.reasons.join(), /revoked/);

    // The credential is in the identity graph: a short-lived credential of ci-deployer, revoked.
    await (await import('../src/server/policy-service.js')).policyServices(ctx).flush();
    const node = await ctx.store.db
      .selectFrom('graph_nodes')
      .selectAll()
      .where('id', '=', `credential:warden-jit:${cred.id}`)
      .executeTakeFirst();
    assert.ok(node, 'credential node');
    const edge = await ctx.store.db
      .selectFrom('graph_edges')
      .selectAll()
      .where('src', '=', `credential:warden-jit:${cred.id}`)
      .where('kind', '=', 'credential-of')
      .executeTakeFirst();
    assert.match(edge?.dst ?? '', /ci-deployer/);

    // 4. Its reuse raises the alert.
    let alerts: Array<{ finding_info: { analytic?: { uid?: string } } }> = [];
    for (let i = 0; i < 100 && alerts.length === 0; i++) {
      const r = await app.inject({
        method: 'GET',
        url: '/v1/alerts?detection=runtime.credential.reuse-after-revocation',
        headers: await auth('viewer'),
      });
      alerts = (r.json() as { items: typeof alerts }).items;
      if (alerts.length === 0) await delay(100);
    }
    assert.ok(alerts.length >= 1, 'the reuse-after-revocation alert was raised');
    assert.match(JSON.stringify(alerts[0]), new RegExp(cred.id));
  });

  test('the workload itself may revoke its own credential; another workload may not', async () => {
    const mine = await iss.token('repo:acme/api:environment:prod');
    const cred = (await issue(mine)).json() as { id: string; token: string };
    const other = await iss.token('repo:acme/web:ref:refs/heads/main');
    const denied = await app.inject({
      method: 'POST',
      url: `/v1/credentials/${cred.id}/revoke`,
      headers: { authorization: `Bearer ${other}` },
    });
    assert.equal(denied.statusCode, 403);
    const ok = await app.inject({
      method: 'POST',
      url: `/v1/credentials/${cred.id}/revoke`,
      headers: { authorization: `Bearer ${mine}` },
    });
    assert.equal(ok.statusCode, 200, ok.body);
    const self = (await issue(mine)).json() as { id: string; token: string };
    const bySelf = await app.inject({
      method: 'POST',
      url: `/v1/credentials/${self.id}/revoke`,
      headers: { authorization: `Bearer ${self.token}` },
    });
    assert.equal(bySelf.statusCode, 200, bySelf.body);
    const none = await app.inject({ method: 'POST', url: `/v1/credentials/${self.id}/revoke` });
    assert.equal(none.statusCode, 401);
  });

  test('every bad workload token is refused with the right status, a reason, and no crash', async () => {
    const sub = 'repo:acme/api:environment:prod';
    const now = Math.floor(Date.now() / 1000);
    const none = `${base64url.encode('{"alg":"none"}')}.${base64url.encode(JSON.stringify({ iss: iss.url, sub, aud: 'warden', exp: now + 60 }))}.`;
    const cases: Array<[string, string | undefined, number, object?]> = [
      ['no token', undefined, 401],
      ['wrong signature', await iss.token(sub, { wrongKey: true }), 401],
      ['wrong iss', await iss.token(sub, { claims: { iss: 'http://127.0.0.1:9/x' } }), 401],
      ['wrong aud', await iss.token(sub, { aud: 'other' }), 401],
      ['expired', await iss.token(sub, { expiresIn: -600 }), 401],
      ['nbf in the future', await iss.token(sub, { notBefore: 600 }), 401],
      ['alg none', none, 401],
      ['unknown kid', await iss.token(sub, { unpublishedKid: 'ghost' }), 401],
      ['subject matching no trust entry', await iss.token('repo:evil/api:environment:prod'), 403],
      ['trust entry for another identity', await iss.token('repo:acme/web:ref:refs/heads/main'), 403],
      ['bad ttl', await iss.token(sub), 400, { identity: 'ci-deployer', ttl: 'soon' }],
    ];
    for (const [name, token, status, body] of cases) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/credentials',
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
        payload: body ?? { identity: 'ci-deployer', ttl: '15m' },
      });
      assert.equal(res.statusCode, status, `${name}: ${res.body}`);
      assert.match(String(res.headers['content-type'] ?? ''), /application\/problem\+json/, name);
      assert.ok((res.json() as { detail: string }).detail.length > 0, `${name} has a reason`);
    }
    // ttl over the maximum is cut, not refused (CONTRACTS §4: the smaller of ttl and maxLifetime).
    const capped = await issue(await iss.token('repo:acme/web:ref:refs/heads/main'), { identity: 'web-deployer', ttl: '2h' });
    assert.equal(capped.statusCode, 201);
    assert.equal((capped.json() as { ttl: string }).ttl, '10m');
    assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'still serving');
  });

  test('the manifest reloads when its file changes, and a broken edit keeps the old one', async () => {
    const req = {
      principal: 'ci-deployer',
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::acme-artifacts/a',
      context: context({ sourceIp: '198.51.100.9' }),
    };
    assert.equal((await authorize(req)).decision, 'deny');
    writeFileSync(policy, manifestText(iss.url, '["198.51.100.0/24"]'));
    let d = await authorize(req);
    for (let i = 0; i < 50 && d.decision !== 'allow'; i++) {
      await delay(100);
      d = await authorize(req);
    }
    assert.equal(d.decision, 'allow', 'the file watch reloaded the manifest');
    writeFileSync(policy, 'version: 1\nidentities: [broken\n');
    await delay(400);
    assert.equal((await authorize(req)).decision, 'allow', 'a broken manifest leaves the last good one in force');
    writeFileSync(policy, manifestText(iss.url));
  });
});
