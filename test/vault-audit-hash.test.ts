import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createRandom, expandExample } from '../src/scan/secrets/examples.js';
import { vaultAuditHmac } from '../src/scan/secrets/redact.js';
import { createVaultAuditHasher } from '../src/scan/secrets/vault-audit-hash.js';
import { cli, tempDir } from './helpers.js';

/**
 * `warden scan --vault-audit-device`: against a local HTTP server that speaks Vault's
 * POST /v1/sys/audit-hash/:path protocol (X-Vault-Token, {"input"} → {"hash"}), hashing with a
 * salt only it knows, as a real audit device does.
 */
const SALT = 'device-salt-known-only-to-the-server';
const ADMIN = ['hvs', 'AdminTokenForAuditHashTests'].join('.');
const requests: Array<{ url: string; token: string | undefined; input: string }> = [];
let server: Server;
let addr: string;
const { dir, cleanup } = tempDir('warden-vault-hash-');
const rnd = createRandom(21);
const tokens = [1, 2, 3].map(() => expandExample('@@lit:hv|s.@@CAESI@@b64u:90@@', rnd));

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const input = (JSON.parse(body || '{}') as { input?: string }).input ?? '';
      requests.push({ url: req.url ?? '', token: req.headers['x-vault-token'] as string | undefined, input });
      res.setHeader('Content-Type', 'application/json');
      if (req.method !== 'POST' || req.url !== '/v1/sys/audit-hash/file') {
        res.statusCode = 404;
        res.end(JSON.stringify({ errors: ['no handler for route'] }));
      } else if (req.headers['x-vault-token'] !== ADMIN) {
        res.statusCode = 403;
        res.end(JSON.stringify({ errors: ['permission denied'] }));
      } else {
        const hash = vaultAuditHmac(input, SALT);
        res.end(JSON.stringify({ request_id: 'r1', data: { hash }, hash }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  addr = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  mkdirSync(join(dir, 'repo/deploy'), { recursive: true });
  writeFileSync(join(dir, 'repo/deploy/a.env'), `VAULT_TOKEN=${tokens[0]}\n`);
  writeFileSync(join(dir, 'repo/deploy/b.env'), `VAULT_TOKEN=${tokens[1]}\nOTHER=1\n`);
  // The same token twice: one request.
  writeFileSync(join(dir, 'repo/deploy/c.env'), `VAULT_TOKEN=${tokens[0]}\n`);
});
after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  cleanup();
});

describe('Vault audit-hash', () => {
  for (const threads of ['1', '2'])
    test(`scan findings carry the HMAC Vault's audit log shows (${threads} thread(s))`, async () => {
      requests.length = 0;
      const r = await cli(['scan', join(dir, 'repo'), '--format', 'json', '--threads', threads, '--vault-audit-device', 'file'], {
        // Workers take files while they start: the two-thread run must hash in a worker, however fast it is.
        env: { VAULT_ADDR: addr, VAULT_TOKEN: ADMIN, WARDEN_SCAN_EAGER_WORKERS: '1' },
      });
      assert.equal(r.code, 1, r.stderr);
      const findings = (
        JSON.parse(r.stdout) as { findings: Array<{ path: string; credentialKey?: { type: string; value: string } }> }
      ).findings;
      const key = (p: string) => findings.find((f) => f.path === p)?.credentialKey;
      assert.deepEqual(key('deploy/a.env'), { type: 'vault-hmac', value: vaultAuditHmac(tokens[0]!, SALT) });
      assert.deepEqual(key('deploy/b.env'), { type: 'vault-hmac', value: vaultAuditHmac(tokens[1]!, SALT) });
      assert.deepEqual(key('deploy/c.env'), key('deploy/a.env'));
      assert.ok(requests.every((q) => q.url === '/v1/sys/audit-hash/file' && q.token === ADMIN));
      // Each token asked once per thread at most; nothing of the tokens in the report.
      assert.ok(requests.length >= 2 && requests.length <= 2 * Number(threads), `${requests.length} requests`);
      for (const t of tokens) assert.ok(!r.stdout.includes(t));
      assert.doesNotMatch(r.stderr, /warning/);
    });

  test('a token Vault refuses: one request, a warning that says why, findings without a key', async () => {
    requests.length = 0;
    const r = await cli(['scan', join(dir, 'repo'), '--format', 'json', '--threads', '1', '--vault-audit-device', 'file'], {
      env: { VAULT_ADDR: addr, VAULT_TOKEN: 'hvs.not-allowed' },
    });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(requests.length, 1, 'the breaker stops after the first failure');
    assert.match(r.stderr, /warning: Vault audit-hash: Vault answered 403 .*may not update sys\/audit-hash/);
    const findings = (JSON.parse(r.stdout) as { findings: Array<{ credentialKey?: unknown }> }).findings;
    assert.ok(findings.length >= 3 && findings.every((f) => f.credentialKey === undefined));
  });

  test('missing VAULT_ADDR or VAULT_TOKEN is a usage error; an unreachable server a warning', async () => {
    const r = await cli(['scan', join(dir, 'repo'), '--vault-audit-device', 'file'], { env: {} });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /needs VAULT_ADDR and VAULT_TOKEN/);
    const h = createVaultAuditHasher({ addr: 'http://127.0.0.1:9', token: ADMIN, device: 'file', timeoutMs: 2000 });
    assert.equal(await h.hash(tokens[2]!), undefined);
    assert.match(h.error ?? '', /unreachable/);
    assert.equal(h.hashed, 0);
  });
});
