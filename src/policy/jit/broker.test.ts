import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { base64url, decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, SignJWT } from 'jose';
import { type LocalIssuer, startLocalIssuer } from '../../../test/oidc-issuer.js';
import type { IdentityEvent } from '../../model/identity-event.js';
import { jitRepository } from '../../store/credentials.js';
import { openStore, type Store } from '../../store/index.js';
import { type Broker, createBroker, type JitPolicy } from './broker.js';
import { createKeyEncryptionKey } from './kek.js';
import { createKeyring, type Keyring } from './keys.js';
import { createWorkloadVerifier, isAllowedIssuerUrl } from './oidc.js';

const ISSUER = 'http://127.0.0.1:1/warden-test';

describe('JIT broker against a local OIDC issuer', () => {
  let iss: LocalIssuer;
  let store: Store;
  let broker: Broker;
  let keyring: Keyring;
  const events: IdentityEvent[] = [];

  before(async () => {
    iss = await startLocalIssuer();
    store = await openStore(':memory:');
    const kek = createKeyEncryptionKey(randomBytes(32), 'test');
    const repo = jitRepository(store);
    keyring = createKeyring(repo, kek);
    const policy: JitPolicy = {
      trust: [
        {
          issuer: iss.url,
          audience: 'warden',
          subject: 'repo:acme/api:environment:prod',
          identity: 'ci-deployer',
          ref: 'trust/0',
        },
        { issuer: iss.url, audience: 'warden', subject: 'repo:acme/web:*', identity: 'web-deployer', ref: 'trust/1' },
      ],
      identity: (name) =>
        name === 'ci-deployer' ? { maxLifetimeMs: 3_600_000 } : name === 'web-deployer' ? { maxLifetimeMs: 600_000 } : undefined,
    };
    broker = createBroker({
      repo,
      keyring,
      verifier: createWorkloadVerifier({ cooldownMs: 0 }),
      policy: () => policy,
      issuer: ISSUER,
      onEvent: (e) => events.push(e),
    });
  });
  after(async () => {
    await iss.close();
    await store.close();
  });

  const issue = async (token: string, body: object = { identity: 'ci-deployer', ttl: '15m', task: 'deploy api 1.4.2' }) =>
    broker.issue(token, body);

  test('a trusted workload gets an ES256 credential with the contract claims, verifiable from the JWKS', async () => {
    const r = await issue(await iss.token('repo:acme/api:environment:prod'));
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.ttl, '15m');
    const header = decodeProtectedHeader(r.token);
    assert.equal(header.alg, 'ES256');
    const jwks = await broker.jwks();
    const jwk = (jwks.keys as Array<{ kid: string }>).find((k) => k.kid === header.kid);
    assert.ok(jwk, 'the signing key is published');
    const { payload } = await jwtVerify(r.token, await importJWK(jwk as never, 'ES256'), { issuer: ISSUER });
    assert.equal(payload.sub, 'ci-deployer');
    assert.equal(payload.jti, r.id);
    assert.equal(payload.task, 'deploy api 1.4.2');
    assert.equal(payload.exp! - payload.iat!, 900);
    assert.ok(payload.aud);
    const intro = await broker.introspect(r.token);
    assert.equal(intro.active, true);
    assert.equal(intro.sub, 'ci-deployer');
    assert.equal(intro.jti, r.id);
    assert.ok(events.some((e) => e.tags.includes('credential.issued') && e.credential?.subject === `warden-jit:${r.id}`));
  });

  test('ttl over the maximum is cut to maxLifetime', async () => {
    const r = await issue(await iss.token('repo:acme/web:ref:refs/heads/main'), { identity: 'web-deployer', ttl: '2h' });
    assert.ok(r.ok);
    assert.equal(r.ttl, '10m');
    assert.equal(r.capped, true);
    const c = decodeJwt(r.token);
    assert.equal(c.exp! - c.iat!, 600);
  });

  const refusals: Array<[string, () => Promise<string>, number, RegExp, object?]> = [
    ['wrong signature', () => iss.token('repo:acme/api:environment:prod', { wrongKey: true }), 401, /signature/],
    [
      'wrong iss',
      () => iss.token('repo:acme/api:environment:prod', { claims: { iss: 'http://127.0.0.1:9/other' } }),
      401,
      /issuer/,
    ],
    ['wrong aud', () => iss.token('repo:acme/api:environment:prod', { aud: 'someone-else' }), 401, /audience/],
    ['expired', () => iss.token('repo:acme/api:environment:prod', { expiresIn: -600 }), 401, /expired/],
    ['nbf in the future', () => iss.token('repo:acme/api:environment:prod', { notBefore: 600 }), 401, /nbf|not yet/],
    ['unknown kid', () => iss.token('repo:acme/api:environment:prod', { unpublishedKid: 'nobody' }), 401, /kid/],
    [
      'alg none',
      async () => {
        const now = Math.floor(Date.now() / 1000);
        const claims = { iss: iss.url, sub: 'repo:acme/api:environment:prod', aud: 'warden', iat: now, exp: now + 300 };
        return `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url.encode(JSON.stringify(claims))}.`;
      },
      401,
      /algorithm/,
    ],
    [
      'HS256 signed with the public key',
      async () => {
        const secret = new TextEncoder().encode(JSON.stringify(iss.publicJwk()));
        return new SignJWT({})
          .setProtectedHeader({ alg: 'HS256', kid: iss.publicJwk().kid! })
          .setIssuer(iss.url)
          .setSubject('repo:acme/api:environment:prod')
          .setAudience('warden')
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(secret);
      },
      401,
      /algorithm/,
    ],
    ['garbage', async () => 'not.a.jwt', 401, /JWT/],
    ['subject matching no trust entry', () => iss.token('repo:evil/api:environment:prod'), 403, /matches no trust entry/],
    ['trust entry for another identity', () => iss.token('repo:acme/web:ref:refs/heads/main'), 403, /another identity/],
    ['undeclared identity', () => iss.token('repo:acme/api:environment:prod'), 403, /not declared/, { identity: 'ghost' }],
    ['malformed ttl', () => iss.token('repo:acme/api:environment:prod'), 400, /ttl/, { identity: 'ci-deployer', ttl: 'forever' }],
    [
      'unknown body key',
      () => iss.token('repo:acme/api:environment:prod'),
      400,
      /invalid request/,
      { identity: 'ci-deployer', x: 1 },
    ],
  ];
  for (const [name, make, status, reason, body] of refusals) {
    test(`refused: ${name} → ${status}`, async () => {
      const r = await issue(await make(), body);
      assert.equal(r.ok, false, `${name} must be refused`);
      if (r.ok) return;
      assert.equal(r.status, status, r.reason);
      assert.match(r.reason, reason);
    });
  }

  test('issuer key rotation is followed: a token under a new kid verifies after one JWKS refetch', async () => {
    await iss.rotate(true);
    const jwksBefore = iss.hits.get('/jwks.json') ?? 0;
    const r = await issue(await iss.token('repo:acme/api:environment:prod'));
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(iss.hits.get('/jwks.json'), jwksBefore + 1);
    // Cached: the next token under the same kid fetches nothing.
    const again = await issue(await iss.token('repo:acme/api:environment:prod'));
    assert.ok(again.ok);
    assert.equal(iss.hits.get('/jwks.json'), jwksBefore + 1);
    assert.equal(iss.hits.get('/.well-known/openid-configuration'), 1, 'discovery is cached');
  });

  test('revocation: introspection says inactive and the presentation is a reuse event', async () => {
    const r = await issue(await iss.token('repo:acme/api:environment:prod'));
    assert.ok(r.ok);
    const rev = await broker.revoke(r.id, 'admin:test');
    assert.ok(rev.ok && rev.revoked);
    const twice = await broker.revoke(r.id, 'admin:test');
    assert.ok(twice.ok && !twice.revoked, 'a second revocation changes nothing');
    assert.ok(events.some((e) => e.tags.includes('credential.revoked') && e.credential?.subject === `warden-jit:${r.id}`));
    const intro = await broker.introspect(r.token);
    assert.deepEqual(intro, { active: false });
    const reuse = events.filter((e) => e.tags.includes('credential.reuse-detected'));
    assert.equal(reuse.length, 1);
    assert.equal(reuse[0]!.credential?.key, `warden-jit:${r.id}`);
    assert.equal(reuse[0]!.outcome, 'failure');
    assert.equal((await broker.revoke('no-such-id', 'admin:test')).ok, false);
  });

  test('a token Warden did not issue, or altered, is inactive and raises nothing', async () => {
    const r = await issue(await iss.token('repo:acme/api:environment:prod'));
    assert.ok(r.ok);
    const [h, p, s] = r.token.split('.');
    const forged = `${h}.${base64url.encode(JSON.stringify({ ...decodeJwt(r.token), sub: 'admin' }))}.${s}`;
    const before = events.length;
    assert.deepEqual(await broker.introspect(forged), { active: false });
    assert.deepEqual(await broker.introspect(`${h}.${p}`), { active: false });
    assert.equal(events.length, before);
  });

  test('keys rotate: the old key stays published while its credentials live, and still verifies them', async () => {
    const r = await issue(await iss.token('repo:acme/api:environment:prod'));
    assert.ok(r.ok);
    const oldKid = decodeProtectedHeader(r.token).kid!;
    const rot = await keyring.rotate();
    assert.notEqual(rot.kid, oldKid);
    assert.ok(rot.retired.includes(oldKid));
    const kids = (await broker.jwks()).keys.map((k) => (k as { kid: string }).kid);
    assert.ok(kids.includes(oldKid) && kids.includes(rot.kid));
    assert.equal((await broker.introspect(r.token)).active, true);
    const next = await issue(await iss.token('repo:acme/api:environment:prod'));
    assert.ok(next.ok);
    assert.equal(decodeProtectedHeader(next.token).kid, rot.kid);
  });

  test('the private key is stored sealed, never in clear', async () => {
    const rows = await store.db.selectFrom('jit_keys').select(['private_sealed', 'public_jwk']).execute();
    assert.ok(rows.length >= 2);
    for (const r of rows) {
      assert.match(r.private_sealed, /^v1\./);
      assert.doesNotMatch(r.private_sealed, /PRIVATE KEY/);
      assert.equal((JSON.parse(r.public_jwk) as { d?: string }).d, undefined);
    }
    const creds = await store.db.selectFrom('jit_credentials').select(['fingerprint']).execute();
    for (const c of creds) assert.match(c.fingerprint, /^[0-9a-f]{64}$/);
  });
});

test('issuers must be https except loopback', () => {
  assert.ok(isAllowedIssuerUrl('https://token.actions.githubusercontent.com'));
  assert.ok(isAllowedIssuerUrl('http://127.0.0.1:8080'));
  assert.ok(isAllowedIssuerUrl('http://127.5.5.5'));
  assert.ok(isAllowedIssuerUrl('http://[::1]:9000'));
  assert.ok(!isAllowedIssuerUrl('http://token.example'));
  assert.ok(!isAllowedIssuerUrl('http://10.0.0.1'));
  assert.ok(!isAllowedIssuerUrl('ftp://127.0.0.1'));
  assert.ok(!isAllowedIssuerUrl('https://user:pw@example.com'));
  assert.ok(!isAllowedIssuerUrl('not a url'));
});

test('a wrong key-encryption key is named, not a crash', async () => {
  const store = await openStore(':memory:');
  try {
    const repo = jitRepository(store);
    await createKeyring(repo, createKeyEncryptionKey(randomBytes(32), 'a')).signer();
    await assert.rejects(createKeyring(repo, createKeyEncryptionKey(randomBytes(32), 'b')).signer(), {
      code: 'WARDEN_KEY_UNAVAILABLE',
    });
  } finally {
    await store.close();
  }
});
