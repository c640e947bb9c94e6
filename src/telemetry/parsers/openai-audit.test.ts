import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IdentityEventSchema } from '../../model/identity-event.js';
import { createOpenAiAuditParser } from './openai-audit.js';
import { sampleRecords } from './openai-audit.samples.js';
import { pushEvents } from './testing.js';

const origin = { file: 'audit.jsonl', line: 1 };

describe('openai-audit parser', () => {
  const events = sampleRecords(1).flatMap((r) => pushEvents(createOpenAiAuditParser(), r, origin));

  test('every entry (a saved list page too) becomes one schema-valid event', () => {
    assert.equal(events.length, sampleRecords(1).length);
    for (const e of events) {
      assert.ok(IdentityEventSchema.safeParse(e).success);
      assert.equal(e.source, 'openai-audit');
    }
    assert.equal(events[8]!.action, 'openai:service_account.created');
  });

  test('keys created and deleted are lifecycle events naming the key, never its secret', () => {
    const [byPerson, byServiceKey, , deleted] = events;
    assert.deepEqual(byPerson!.tags, ['credential.issued']);
    assert.equal(byPerson!.identity.type, 'user');
    assert.equal(byPerson!.client.ip, '203.0.113.8');
    assert.match(byPerson!.credential!.subject!, /^key_/);
    assert.equal(byServiceKey!.identity.type, 'service-account');
    assert.notEqual(byServiceKey!.credential!.key, byServiceKey!.credential!.subject, 'the acting key and the new key');
    assert.deepEqual(deleted!.tags, ['credential.revoked']);
    assert.equal(deleted!.credential!.subject, byPerson!.credential!.subject);
  });

  test('role changes are privilege changes with the role; failed logins are failures', () => {
    const role = events[4]!;
    assert.ok(role.tags.includes('privilege.change'));
    assert.deepEqual((role.raw.extra as { grantedRoles: string[] }).grantedRoles, ['owner']);
    const failed = events[6]!;
    assert.equal(failed.outcome, 'failure');
    assert.equal(failed.reason, 'invalid_credentials');
  });

  test('detect: only audit entries; malformed ones are rejected with a reason', () => {
    const p = createOpenAiAuditParser();
    for (const bad of [
      null,
      {},
      { type: 'api_key.created' },
      { type: 'Not A Type', effective_at: 1, actor: {} },
      { object: 'list', data: [] },
    ]) {
      assert.equal(p.detect(bad), false);
    }
    const noTime = structuredClone(sampleRecords(1)[0]) as Record<string, unknown>;
    noTime.effective_at = 'never';
    assert.deepEqual(p.push(noTime, origin), { reject: 'missing-time' });
  });
});
