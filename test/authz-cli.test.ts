import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { packageRoot } from '../src/model/package-root.js';
import { cli, tempDir } from './helpers.js';

const CONTRACT = join(packageRoot(), 'test', 'fixtures', 'policy', 'contract.yaml');
const inPolicy = {
  principal: 'ci-deployer',
  action: 's3:GetObject',
  resource: 'arn:aws:s3:::acme-artifacts/app.zip',
  context: { time: '2026-12-07T09:30:00Z', sourceIp: '203.0.113.7', environment: 'prod', region: 'eu-west-1' },
};

test('warden authorize: JSON lines in, one decision per line out, bad lines denied and counted', async () => {
  const t = tempDir();
  try {
    copyFileSync(CONTRACT, join(t.dir, 'warden.policy.yaml'));
    const lines = [
      inPolicy,
      { ...inPolicy, principal: 'system:serviceaccount:prod:api' },
      { ...inPolicy, context: { ...inPolicy.context, time: '2026-12-07T19:30:00Z' } },
      { ...inPolicy, context: { time: inPolicy.context.time } },
      { ...inPolicy, principal: 'nobody' },
    ].map((l) => JSON.stringify(l));
    writeFileSync(join(t.dir, 'req.jsonl'), `${[...lines, 'not json', ''].join('\n')}\n`);
    const r = await cli(['authorize', '--policy', 'warden.policy.yaml', '--request', 'req.jsonl'], { cwd: t.dir });
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { decision: string; reasons: string[]; policies: string[] });
    assert.deepEqual(
      out.map((d) => d.decision),
      ['allow', 'allow', 'deny', 'deny', 'deny', 'deny'],
    );
    assert.deepEqual(out[0]!.policies, ['ci-deployer/allow/0']);
    assert.match(out[2]!.reasons.join(), /time windows/);
    assert.match(out[3]!.reasons.join(), /context.sourceIp is missing/);
    assert.match(out[4]!.reasons.join(), /unknown principal/);
    assert.match(out[5]!.reasons.join(), /not JSON/);
    assert.match(r.stderr, /2 allowed, 4 denied \(1 unreadable\)/);

    const stdin = await cli(['authorize', '--policy', 'warden.policy.yaml', '--fail-on-deny'], {
      cwd: t.dir,
      stdin: Readable.from([`${lines[4]}\n`]),
    });
    assert.equal(stdin.code, 1);

    const missing = await cli(['authorize', '--policy', 'warden.policy.yaml', '--request', 'nope.jsonl'], { cwd: t.dir });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.jsonl/);
    const noPolicy = await cli(['authorize', '--policy', 'absent.yaml'], { cwd: t.dir });
    assert.equal(noPolicy.code, 2);
  } finally {
    t.cleanup();
  }
});

test('warden keys rotate and list: a new signing key each time, private keys never shown', async () => {
  const t = tempDir();
  try {
    const env = { WARDEN_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') };
    const db = join(t.dir, 'w.db');
    const first = await cli(['keys', 'rotate', '--store', db], { cwd: t.dir, env });
    assert.equal(first.code, 0, first.stderr);
    const second = await cli(['keys', 'rotate', '--store', db], { cwd: t.dir, env });
    const a = JSON.parse(first.stdout) as { kid: string };
    const b = JSON.parse(second.stdout) as { kid: string; retired: string[] };
    assert.notEqual(a.kid, b.kid);
    assert.deepEqual(b.retired, [a.kid]);
    const list = await cli(['keys', 'list', '--store', db, '--format', 'json'], { cwd: t.dir, env });
    const keys = JSON.parse(list.stdout) as Array<{ kid: string; retiredAt: string | null }>;
    assert.equal(keys.find((k) => k.kid === b.kid)?.retiredAt, null);
    assert.doesNotMatch(list.stdout, /PRIVATE|"d"/);
  } finally {
    t.cleanup();
  }
});
