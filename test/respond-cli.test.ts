import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { Alert } from '../src/model/alert.js';
import { cli, tempDir } from './helpers.js';
import { fakeIam, fakeWebhook } from './providers.js';

/**
 * The done-when of response, end to end through the CLI: an incident from `warden demo` (a leaked AWS
 * key used from a new network) is planned, refused without approval, approved and applied against
 * local IAM and webhook servers; the audit trail shows it; apply again changes nothing; and the
 * revoked key presented again raises runtime.credential.reuse-after-revocation.
 */
test('warden respond: plan, approve, apply, log, apply again, and reuse after revocation', async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const store = join(tmp.dir, 'warden.db');
  const demo = await cli(['demo', '--dir', 'demo', '--store', store, '--identities', '25'], { cwd: tmp.dir });
  assert.equal(demo.code, 0, demo.stderr);
  const key = /warden risk (AKIA[A-Z0-9]{16})/.exec(demo.stderr)?.[1];
  assert.ok(key, 'the demo names its leaked key');
  const alerts = demo.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Alert);
  const alert = alerts.find((a) => a.detectionId === 'runtime.credential.new-source' && a.credential?.key === key);
  assert.ok(alert, 'a new-source alert on the leaked key');
  const user = alert.identity.id.slice(alert.identity.id.lastIndexOf('/') + 1);

  const iamState = {
    keys: new Map([[key, { user, status: 'Active' as 'Active' | 'Inactive' }]]),
    attached: new Map<string, Set<string>>(),
  };
  const iam = await fakeIam(iamState);
  const received: unknown[] = [];
  const hook = await fakeWebhook(received);
  t.after(() => Promise.all([iam.close(), hook.close()]));
  writeFileSync(
    join(tmp.dir, 'warden.playbooks.yaml'),
    `playbooks:
  - id: vault-only
    when: { detections: [runtime.credential.reuse-after-revocation] }
    steps: [{ action: vault.revoke-accessor }]
  - id: leaked-aws-key-in-use
    when:
      detections: [runtime.credential.new-source, runtime.credential.reuse-after-revocation]
      minSeverity: high
      exposure: [leaked-in-use-unknown-source]
    steps:
      - action: aws.deactivate-access-key
      - action: notify.webhook
        with: { url: "${hook.url}/services/T000/B000" }
      - action: review.related-identities
    approval: required
`,
  );
  const secretKey = ['wJalr', 'XUtnFEMI', 'K7MDENG', 'bPxRfiCY', 'EXAMPLE', 'KEY'].join('');
  const env = {
    AWS_ENDPOINT_URL_IAM: iam.url,
    AWS_ACCESS_KEY_ID: `AKIA${'T'.repeat(16)}`,
    AWS_SECRET_ACCESS_KEY: secretKey,
    USER: 'alice',
  };
  const run = (...argv: string[]) => cli(['respond', ...argv, '--store', store], { cwd: tmp.dir, env });

  // The plan: the exact calls, and none made.
  const plan = await run('plan', alert.uid, '--format', 'json');
  assert.equal(plan.code, 0, plan.stderr);
  const p = JSON.parse(plan.stdout) as {
    playbook: { id: string };
    steps: Array<{ action: string; calls: Array<{ body: Record<string, string> }> }>;
  };
  assert.equal(p.playbook.id, 'leaked-aws-key-in-use');
  assert.deepEqual(
    p.steps.map((s) => s.action),
    ['aws.deactivate-access-key', 'notify.webhook', 'review.related-identities'],
  );
  assert.deepEqual(p.steps[0]!.calls[0]!.body, {
    Action: 'UpdateAccessKey',
    AccessKeyId: key,
    UserName: user,
    Status: 'Inactive',
    Version: '2010-05-08',
  });
  assert.equal(iam.requests.length + received.length, 0, 'plan calls no provider');

  // An alert no playbook matches: a clear answer, exit 1.
  const other = alerts.find(
    (a) => a.detectionId !== 'runtime.credential.new-source' && a.detectionId !== 'runtime.credential.reuse-after-revocation',
  );
  assert.ok(other);
  const unmatched = await run('plan', other.uid);
  assert.equal(unmatched.code, 1);
  assert.match(
    unmatched.stderr,
    new RegExp(`no playbook matches alert ${other.uid}\\n  vault-only: detection ${other.detectionId} is not one of`),
  );

  // No approval, no change.
  const refused = await run('apply', alert.uid);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /needs approval.*--approve/);
  assert.equal(iam.requests.length, 0);

  const applied = await run('apply', alert.uid, '--approve', '--format', 'json');
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  const steps = (
    JSON.parse(applied.stdout) as {
      steps: Array<{ outcome: string; output?: { identities: Array<{ id: string }>; permissions: unknown[] } }>;
    }
  ).steps;
  assert.deepEqual(
    steps.map((s) => s.outcome),
    ['done', 'done', 'done'],
  );
  assert.equal(iamState.keys.get(key)!.status, 'Inactive');
  assert.equal(received.length, 1);
  assert.ok(steps[2]!.output!.identities.some((i) => i.id === `identity:${alert.identity.id}`));
  assert.ok(steps[2]!.output!.permissions.length > 0);

  // The trail: before and after each step, who approved, the provider's answer, the undo.
  const log = await run('log', '--format', 'json');
  assert.equal(log.code, 0);
  const entries = log.stdout
    .trim()
    .split('\n')
    .map(
      (l) => JSON.parse(l) as { actor: string; action: string; target: string; outcome: string; detail: Record<string, unknown> },
    );
  assert.ok(entries.every((e) => e.action.startsWith('response.')));
  assert.deepEqual(
    entries.filter((e) => e.action === 'response.plan').map((e) => [e.target, e.outcome, e.actor]),
    [
      [alert.uid, 'planned', 'cli:alice'],
      [other.uid, 'no-playbook', 'cli:alice'],
    ],
  );
  const deactivate = entries.filter((e) => e.detail.action === 'aws.deactivate-access-key');
  assert.deepEqual(
    deactivate.map((e) => [e.action, e.outcome, e.actor]),
    [
      ['response.step.before', 'running', 'cli:alice'],
      ['response.step.after', 'done', 'cli:alice'],
    ],
  );
  assert.ok(JSON.stringify(deactivate[1]!.detail.undo).includes('"Status":"Active"'));
  assert.ok(!log.stdout.includes(secretKey) && !log.stdout.includes('/services/T000/B000'), 'no secret in the trail');
  const leaked = readFileSync(join(tmp.dir, 'demo/repo/deploy/.env'), 'utf8').split('\n')[1]!.split('=')[1]!;
  assert.ok(!log.stdout.includes(leaked), 'the leaked secret is not in the trail');
  const table = await run('log');
  assert.match(table.stdout, /cli:alice\s+response\.step\.after\s+aws\.deactivate-access-key\s+done/);

  // Apply again: nothing changes, no provider is called.
  const calls = iam.requests.length;
  const again = await run('apply', alert.uid, '--approve', '--format', 'json');
  assert.equal(again.code, 0);
  assert.deepEqual(
    (JSON.parse(again.stdout) as { steps: Array<{ outcome: string }> }).steps.map((s) => s.outcome),
    ['already-done', 'already-done', 'already-done'],
  );
  assert.equal(iam.requests.length, calls);
  assert.equal(received.length, 1);

  // The key presented again (a copy of the demo's own CloudTrail record, now): the detector knows it was revoked.
  const dir = join(tmp.dir, 'demo/cloudtrail');
  let record: Record<string, unknown> | undefined;
  for (const f of readdirSync(dir).sort()) {
    const doc = JSON.parse(gunzipSync(readFileSync(join(dir, f))).toString('utf8')) as {
      Records: Array<Record<string, unknown>>;
    };
    record = doc.Records.find((r) => (r.userIdentity as { accessKeyId?: string }).accessKeyId === key);
    if (record) break;
  }
  assert.ok(record);
  const reuse = { ...record, eventID: randomUUID(), eventTime: new Date(Date.now() + 60_000).toISOString().slice(0, 19) + 'Z' };
  writeFileSync(join(tmp.dir, 'reuse.json'), JSON.stringify({ Records: [reuse] }));
  const detect = await cli(['detect', '--replay', 'reuse.json', '--resume', '--store', store, '--format', 'jsonl'], {
    cwd: tmp.dir,
  });
  assert.equal(detect.code, 0, detect.stderr);
  const raised = detect.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Alert);
  assert.ok(
    raised.some((a) => a.detectionId === 'runtime.credential.reuse-after-revocation' && a.credential?.key === key),
    detect.stdout,
  );
});

test('warden respond: unknown alert, missing playbooks, no matching playbook, invalid playbooks', async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const store = join(tmp.dir, 'w.db');
  const missing = await cli(['respond', 'plan', 'nope', '--store', store], { cwd: tmp.dir });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no playbooks at .*warden\.playbooks\.yaml/);
  writeFileSync(join(tmp.dir, 'warden.playbooks.yaml'), 'playbooks:\n  - id: p\n    steps:\n      - action: aws.nuke\n');
  const invalid = await cli(['respond', 'plan', 'nope', '--store', store], { cwd: tmp.dir });
  assert.equal(invalid.code, 2);
  assert.match(invalid.stderr, /warden\.playbooks\.yaml:4 playbooks\.0\.steps\.0\.action: unknown action/);
  writeFileSync(join(tmp.dir, 'warden.playbooks.yaml'), 'playbooks: []\n');
  const unknown = await cli(['respond', 'plan', 'nope', '--store', store], { cwd: tmp.dir });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no alert nope/);
});
