import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { fakeWebhook } from '../../../test/providers.js';
import { tempDir } from '../../../test/tmp.js';
import type { Alert } from '../../model/alert.js';
import { upsertAlerts } from '../../store/index.js';
import { testServer } from '../testing.js';
import { respondAutomatically } from './respond.js';

function alert(uid: string): Alert {
  return {
    uid,
    detectionId: 'runtime.credential.new-source',
    title: 'Credential used from a new source',
    severity: 'high',
    message: 'used from 203.0.113.9',
    identity: { id: 'arn:aws:iam::123456789012:user/svc-ci', type: 'iam-user', name: 'svc-ci' },
    firstSeen: '2026-01-10T00:00:00Z',
    lastSeen: '2026-01-10T00:00:00Z',
    count: 1,
    evidences: [],
    frameworks: [],
    attacks: [],
  };
}

/** A test server in a fresh folder, a webhook that records what it receives, and the automatic responder left to the test (one pass at a time). */
async function responder(t: TestContext) {
  const tmp = tempDir();
  const received: unknown[] = [];
  const hook = await fakeWebhook(received);
  process.env.WARDEN_AUTOMATIC_RESPONSE = 'off';
  const srv = await testServer({ cwd: tmp.dir });
  t.after(async () => {
    await srv.close();
    await hook.close();
    delete process.env.WARDEN_AUTOMATIC_RESPONSE;
    tmp.cleanup();
  });
  return { tmp, received, hook, srv };
}

/** A playbooks file whose one playbook notifies the webhook, without a person, for new-source alerts. */
function automaticPlaybook(dir: string, hookUrl: string): void {
  writeFileSync(
    join(dir, 'warden.playbooks.yaml'),
    `playbooks:\n  - id: auto\n    when: { detections: [runtime.credential.new-source] }\n    steps:\n      - action: notify.webhook\n        with: { url: "${hookUrl}/hook" }\n    approval: automatic\n`,
  );
}

test('POST /v1/alerts/{uid}/plan (analyst) and /apply (admin); steps in GET /v1/audit; automatic playbooks as alerts arrive', async (t) => {
  const { tmp, received, hook, srv } = await responder(t);
  writeFileSync(
    join(tmp.dir, 'warden.playbooks.yaml'),
    `playbooks:
  - id: notify-new-source
    when: { detections: [runtime.credential.new-source], minSeverity: high }
    steps:
      - action: notify.webhook
        with: { url: "${hook.url}/hook" }
      - action: review.related-identities
`,
  );
  await upsertAlerts(srv.ctx.store, [alert('u1')]);

  const viewer = await srv.app.inject({ method: 'POST', url: '/v1/alerts/u1/plan', headers: await srv.auth('viewer') });
  assert.equal(viewer.statusCode, 403);
  const plan = await srv.app.inject({ method: 'POST', url: '/v1/alerts/u1/plan', headers: await srv.auth('analyst') });
  assert.equal(plan.statusCode, 200, plan.body);
  const p = plan.json() as { playbook: { id: string; approval: string }; steps: Array<{ action: string; status: string }> };
  assert.deepEqual(p.playbook, { id: 'notify-new-source', approval: 'required' });
  assert.deepEqual(
    p.steps.map((s) => [s.action, s.status]),
    [
      ['notify.webhook', 'ready'],
      ['review.related-identities', 'ready'],
    ],
  );
  assert.equal(received.length, 0);
  const missing = await srv.app.inject({ method: 'POST', url: '/v1/alerts/nope/plan', headers: await srv.auth('analyst') });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.headers['content-type'], 'application/problem+json; charset=utf-8');

  const analystApply = await srv.app.inject({ method: 'POST', url: '/v1/alerts/u1/apply', headers: await srv.auth('analyst') });
  assert.equal(analystApply.statusCode, 403);
  const apply = await srv.app.inject({ method: 'POST', url: '/v1/alerts/u1/apply', headers: await srv.auth('admin') });
  assert.equal(apply.statusCode, 200, apply.body);
  assert.deepEqual(
    (apply.json() as { steps: Array<{ outcome: string }> }).steps.map((s) => s.outcome),
    ['done', 'done'],
  );
  assert.equal(received.length, 1);
  const again = await srv.app.inject({ method: 'POST', url: '/v1/alerts/u1/apply', headers: await srv.auth('admin') });
  assert.deepEqual(
    (again.json() as { steps: Array<{ outcome: string }> }).steps.map((s) => s.outcome),
    ['already-done', 'already-done'],
  );
  assert.equal(received.length, 1);

  const audit = await srv.app.inject({ method: 'GET', url: '/v1/audit?action=response.', headers: await srv.auth('admin') });
  const items = (audit.json() as { items: Array<{ actor: string; action: string; target: string; outcome: string }> }).items;
  assert.ok(
    items.some((e) => e.action === 'response.plan' && e.outcome === 'planned' && e.actor.startsWith('token:test-analyst')),
  );
  assert.ok(
    items.some(
      (e) =>
        e.action === 'response.step.after' && e.outcome === 'done' && e.actor.startsWith('token:test-admin') && e.target === 'u1',
    ),
  );

  // Automatic: the first pass marks where it starts; an alert arriving later is answered without a person.
  automaticPlaybook(tmp.dir, hook.url);
  await respondAutomatically(srv.ctx);
  await new Promise((r) => setTimeout(r, 5));
  await upsertAlerts(srv.ctx.store, [alert('u2')]);
  assert.equal(await respondAutomatically(srv.ctx), 1);
  assert.equal(received.length, 2);
  assert.equal(await respondAutomatically(srv.ctx), 0, 'nothing new');
  const auto = await srv.app.inject({
    method: 'GET',
    url: '/v1/audit?action=response.step.after&target=u2',
    headers: await srv.auth('admin'),
  });
  assert.equal((auto.json() as { items: Array<{ actor: string }> }).items[0]!.actor, 'automatic');
});

test('the automatic responder writes nothing while nothing is new, and leaves to people what came while there were no playbooks', async (t) => {
  const { tmp, received, hook, srv } = await responder(t);
  const mark = () =>
    srv.ctx.store.db
      .selectFrom('detector_meta')
      .select(['value', 'updated_at'])
      .where('key', '=', 'respond.automatic.watermark')
      .executeTakeFirst();
  await respondAutomatically(srv.ctx);
  const first = await mark();
  assert.ok(first !== undefined, 'the first pass marks where it starts');
  await new Promise((r) => setTimeout(r, 5));
  for (let i = 0; i < 3; i++) assert.equal(await respondAutomatically(srv.ctx), 0);
  assert.deepEqual(await mark(), first, 'passes with nothing new write nothing');

  // No playbooks file: an alert goes by, and the mark moves past it.
  await upsertAlerts(srv.ctx.store, [alert('p1')]);
  assert.equal(await respondAutomatically(srv.ctx), 0);
  const second = await mark();
  assert.ok(Number(second!.value) > Number(first.value));
  // A playbooks file added afterwards answers what comes after it, not the alert from before.
  automaticPlaybook(tmp.dir, hook.url);
  assert.equal(await respondAutomatically(srv.ctx), 0);
  assert.equal(received.length, 0);
  await new Promise((r) => setTimeout(r, 5));
  await upsertAlerts(srv.ctx.store, [alert('p2')]);
  assert.equal(await respondAutomatically(srv.ctx), 1);
  assert.equal(received.length, 1);
  const third = await mark();
  assert.equal(await respondAutomatically(srv.ctx), 0);
  assert.deepEqual(await mark(), third);
});
