import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { WardenError } from '../model/errors.js';
import { sampleRecords } from '../telemetry/parsers/cloudtrail.samples.js';
import { decisionCacheSetting } from './policy-service.js';
import { createServerContext } from './serve.js';
import { testServer } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-serve-policy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Rec = { userIdentity: { type: string; arn?: string }; eventName: string; eventSource: string; eventID: string };
let record: Rec;

before(() => {
  record = (sampleRecords(5) as Rec[]).find((r) => r.userIdentity.type === 'IAMUser' && r.userIdentity.arn)!;
  assert.ok(record, 'the samples hold an IAM user call');
  // The user is declared, and allowed everything but what the record does.
  writeFileSync(
    join(dir, 'warden.policy.yaml'),
    `version: 1\nidentities:\n  sampled-user:\n    owner: platform\n    match: ["${record.userIdentity.arn}"]\n    allow:\n      - actions: ["sts:GetCallerIdentity"]\n`,
  );
});

test('warden serve --policy: the server detector raises the same runtime.policy.violation, citing the entry', async () => {
  const t = await testServer({ policyFile: join(dir, 'warden.policy.yaml'), cwd: dir });
  try {
    const ingest = await t.app.inject({
      method: 'POST',
      url: '/v1/ingest?source=cloudtrail',
      headers: { ...(await t.auth('ingest')), 'content-type': 'application/json' },
      payload: JSON.stringify({ Records: [record] }),
    });
    assert.equal(ingest.statusCode, 202, ingest.body);
    const viewer = await t.auth('viewer');
    let items: Array<{
      finding_info: { analytic: { uid: string } };
      unmapped: { policy?: { identity: string; file: string; line: number } };
    }> = [];
    for (let i = 0; i < 200 && items.length === 0; i++) {
      const res = await t.app.inject({ method: 'GET', url: '/v1/alerts?detection=runtime.policy.violation', headers: viewer });
      items = res.json().items;
      if (items.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(items.length, 1);
    assert.deepEqual(items[0]!.unmapped.policy && { ...items[0]!.unmapped.policy }, {
      identity: 'sampled-user',
      entry: 'sampled-user/allow',
      kind: 'action',
      file: 'warden.policy.yaml',
      line: 7,
      owner: 'platform',
    });
  } finally {
    await t.close();
  }
});

test('a broken manifest stops the server before it starts', async () => {
  writeFileSync(join(dir, 'bad.yaml'), 'version: 1\nidentities:\n  x:\n    ownr: a\n');
  await assert.rejects(
    createServerContext({ store: ':memory:', policyFile: join(dir, 'bad.yaml'), cwd: dir }),
    (err: unknown) => err instanceof WardenError && err.code === 'WARDEN_POLICY_INVALID',
  );
});

test('WARDEN_DECISION_CACHE is on or off; any other value is a configuration error', () => {
  assert.equal(decisionCacheSetting(undefined), true);
  assert.equal(decisionCacheSetting('on'), true);
  assert.equal(decisionCacheSetting('off'), false);
  assert.throws(
    () => decisionCacheSetting('no'),
    (e: unknown) => e instanceof WardenError && e.code === 'WARDEN_CONFIG_INVALID' && /on or off/.test(e.message),
  );
});
