import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type IdentityEvent, IdentityEventSchema } from '../../model/identity-event.js';
import type { EventParser } from '../types.js';
import { createOktaParser, oktaTime } from './okta.js';
import { sampleRecords } from './okta.samples.js';
import { assertHostileValuesSurvive, HOSTILE_VALUES, pushEvents } from './testing.js';
import { isoTime } from './util.js';

const origin = { file: 'okta.jsonl', line: 7 };

function eventsOf(record: unknown, parser: EventParser = createOktaParser()): IdentityEvent[] {
  return pushEvents(parser, record, origin);
}

function byType(eventType: string, seed = 1): Record<string, unknown> {
  const r = sampleRecords(seed).find((x) => (x as { eventType: string }).eventType === eventType);
  assert.ok(r, eventType);
  return structuredClone(r) as Record<string, unknown>;
}

function one(eventType: string): IdentityEvent {
  const [e, ...rest] = eventsOf(byType(eventType));
  assert.equal(rest.length, 0);
  return e!;
}

const HOSTILE = [...HOSTILE_VALUES, '2026-13-45T99:99:99Z'];

describe('okta parser', () => {
  test('every sample becomes schema-valid events, the same for the same seed', () => {
    const a = sampleRecords(3).flatMap((r) => eventsOf(r));
    const b = sampleRecords(3).flatMap((r) => eventsOf(r));
    assert.ok(a.length >= sampleRecords(3).length);
    assert.deepEqual(a, b);
    for (const e of a) {
      const r = IdentityEventSchema.safeParse(e);
      assert.ok(r.success, r.success ? '' : r.error.message);
      assert.equal(e.source, 'okta');
      assert.equal(e.raw.file, 'okta.jsonl');
      assert.equal(e.raw.line, 7);
    }
    assert.notDeepEqual(
      a.map((e) => e.id),
      sampleRecords(4).flatMap((r) => eventsOf(r).map((e) => e.id)),
    );
  });

  test('detect claims LogEvents and Event Hook deliveries, nothing else', () => {
    const p = createOktaParser();
    for (const r of sampleRecords(1)) assert.ok(p.detect(r));
    const others: unknown[] = [
      // GitHub audit log entry: actor is a string, no eventType.
      {
        '@timestamp': 1_767_225_600_000,
        action: 'org.update_member',
        actor: 'octocat',
        org: 'example-org',
        created_at: 1_767_225_600_000,
      },
      // CloudTrail: eventType exists there too, but no `published` and no actor object.
      {
        eventVersion: '1.09',
        eventTime: '2026-03-02T10:00:00Z',
        eventSource: 's3.amazonaws.com',
        eventName: 'GetObject',
        eventType: 'AwsApiCall',
      },
      { class_uid: 3002, metadata: { version: '1.1.0' }, time: 1_767_225_600_000 },
      { resourceSpans: [] },
      { type: 'request', time: '2026-03-02T10:00:00Z', request: { path: 'secret/data/x' } },
      { eventType: 'user.session.start', published: '2026-03-02T10:00:00Z', actor: 'someone' },
      { eventType: 'com.okta.event_hook', data: 'nope' },
      null,
      'user.session.start',
      [],
      42,
    ];
    for (const r of others) assert.equal(p.detect(r), false, JSON.stringify(r));
  });

  test('sign-in: user identity, session, client context, auth.login; failures carry the reason', () => {
    const ok = one('user.session.start');
    assert.equal(ok.identity.type, 'user');
    assert.match(ok.identity.id, /^00u/);
    assert.ok(ok.identity.session?.startsWith('102'));
    assert.deepEqual(ok.tags, ['auth.login']);
    assert.equal(ok.outcome, 'success');
    assert.equal(ok.action, 'user.session.start');
    assert.match(ok.client.ip ?? '', /^(192\.0\.2|198\.51\.100|203\.0\.113)\./);
    assert.equal(ok.client.location?.split('/').length, 3);
    assert.ok(ok.client.userAgent?.startsWith('Mozilla/5.0'));
    assert.equal(ok.credential, undefined);

    const denied = eventsOf(sampleRecords(1)[1]!)[0]!;
    assert.equal(denied.outcome, 'failure');
    assert.equal(denied.reason, 'INVALID_CREDENTIALS');

    const mfa = one('user.authentication.auth_via_mfa');
    assert.equal(mfa.outcome, 'failure', 'DENY is a failure');
    assert.deepEqual(mfa.tags, ['auth.login']);

    const challenge = one('policy.evaluate_sign_on');
    assert.equal(challenge.outcome, 'unknown', 'CHALLENGE is neither');
    assert.equal(challenge.reason, undefined);
  });

  test('client_credentials grant: the service app is issued a token (subject, expiry) and signs in', () => {
    const e = one('app.oauth2.as.token.grant.access_token');
    assert.equal(e.identity.type, 'app');
    assert.equal(e.identity.name, 'billing-sync');
    assert.deepEqual(e.tags, ['credential.issued', 'auth.login']);
    assert.equal(e.credential?.key, e.identity.id, 'the caller credential is the OAuth client');
    assert.equal(e.credential?.type, 'okta-oauth2-client');
    assert.equal(e.credential?.lifecycle, 'issued');
    assert.ok(e.credential?.subject?.startsWith('AT.'));
    assert.ok(e.credential?.expiresAt && e.credential.expiresAt > e.time);
    assert.deepEqual(e.resource, { type: 'access_token', id: e.credential?.subject });
    assert.equal(e.raw.extra?.grantType, 'client_credentials');
  });

  test('a denied grant issues nothing: credential used, no lifecycle tag, reason kept', () => {
    const e = one('app.oauth2.as.token.grant');
    assert.equal(e.outcome, 'failure');
    assert.equal(e.reason, 'no_matching_scope');
    assert.equal(e.credential?.lifecycle, 'used');
    assert.ok(!e.tags.includes('credential.issued'));
    assert.ok(e.tags.includes('auth.login'), 'a failed service-app sign-in is still a sign-in attempt');
  });

  test('revocations on custom and org authorization servers', () => {
    for (const t of ['app.oauth2.as.token.revoke', 'app.oauth2.token.revoke']) {
      const e = one(t);
      assert.deepEqual(e.tags, ['credential.revoked'], t);
      assert.equal(e.credential?.lifecycle, 'revoked');
      assert.ok(e.credential?.subject?.match(/^(AT|RT)\./));
    }
    // The implicit revocations Okta logs under the org server are revocations too.
    const implicit = byType('app.oauth2.token.revoke');
    implicit.eventType = 'app.oauth2.token.revoke.implicit.user';
    assert.ok(eventsOf(implicit)[0]!.tags.includes('credential.revoked'));
  });

  test('refresh-token reuse on both servers: reuse-detected and used, the reused token as subject', () => {
    for (const t of ['app.oauth2.as.token.detect_reuse', 'app.oauth2.token.detect_reuse']) {
      const e = one(t);
      assert.deepEqual(e.tags, ['credential.used', 'credential.reuse-detected'], t);
      assert.equal(e.credential?.lifecycle, 'used');
      assert.ok(e.credential?.subject?.startsWith('RT.'));
    }
  });

  test('API token: create → issued, requests made with it → used, revoke → revoked, all one key', () => {
    const p = createOktaParser();
    const all = sampleRecords(5).flatMap((r) => eventsOf(r, p));
    const created = all.find((e) => e.action === 'system.api_token.create')!;
    const revoked = all.find((e) => e.action === 'system.api_token.revoke')!;
    const used = all.filter((e) => e.credential?.type === 'okta-api-token' && e.credential.lifecycle === 'used');
    assert.deepEqual(created.tags, ['credential.issued']);
    assert.deepEqual(revoked.tags, ['credential.revoked']);
    assert.match(created.credential!.subject!, /^00T/);
    assert.equal(created.credential!.key, created.credential!.subject);
    assert.equal(revoked.credential!.subject, created.credential!.subject);
    assert.ok(used.length >= 2);
    for (const u of used) {
      assert.equal(u.credential!.key, created.credential!.subject, 'requestApiTokenId names the token');
      assert.deepEqual(u.tags, ['credential.used']);
      assert.equal(u.identity.type, 'user', 'the token acts as its owner');
    }
    const update = byType('system.api_token.revoke');
    update.eventType = 'system.api_token.update';
    assert.deepEqual(eventsOf(update)[0]!.tags, [], 'renaming a token changes no lifecycle');
  });

  test('privilege changes: user, group and OAuth client admin grants; role bindings', () => {
    const user = one('user.account.privilege.grant');
    assert.deepEqual(user.tags, ['privilege.change']);
    assert.equal(user.raw.extra?.privilegeGranted, 'Super administrator');
    assert.deepEqual(one('group.privilege.grant').tags, ['privilege.change']);
    assert.deepEqual(one('app.oauth2.client.privilege.grant').tags, ['privilege.change']);
    const binding = byType('group.privilege.grant');
    binding.eventType = 'iam.resourceset.bindings.add';
    assert.deepEqual(eventsOf(binding)[0]!.tags, ['privilege.change']);
    assert.deepEqual(
      one('group.user_membership.add').tags,
      ['credential.used'],
      'group membership alone is not a privilege change',
    );
  });

  test('client secret creation is a credential issued to the app', () => {
    const e = one('app.oauth2.credentials.lifecycle.create');
    assert.deepEqual(e.tags, ['credential.issued']);
    assert.equal(e.credential?.type, 'okta-oauth2-client-credential');
    assert.match(e.credential?.subject ?? '', /^ocs/);
  });

  test('SystemPrincipal is a non-human app identity with no credential and no client', () => {
    const e = one('user.account.lock');
    assert.equal(e.identity.id, 'system@okta.com');
    assert.equal(e.identity.type, 'app');
    assert.equal(e.raw.extra?.actorType, 'SystemPrincipal');
    assert.equal(e.credential, undefined);
    assert.deepEqual(e.client, {});
  });

  test('an Event Hook delivery gives the events it wraps', () => {
    const hook = sampleRecords(1).find((r) => (r as { eventType: string }).eventType === 'com.okta.event_hook');
    const events = eventsOf(hook);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.action, 'user.session.start');
    const p = createOktaParser();
    assert.deepEqual(p.push({ eventType: 'com.okta.event_hook', data: { events: [] } }, origin), []);
    assert.deepEqual(p.push({ eventType: 'com.okta.event_hook', data: { events: [1, null] } }, origin), {
      reject: 'no-valid-events',
    });
    assert.deepEqual(p.push({ eventType: 'com.okta.event_hook', data: {} }, origin), { reject: 'missing-events' });
  });

  test('oktaTime returns what isoTime would, cheaply for canonical timestamps', () => {
    for (const v of [
      '2026-03-02T10:15:30.123Z',
      '2026-02-28T23:59:59.999Z',
      '2026-02-30T00:00:00.000Z', // rolled over by V8: the slow path normalises it
      '2026-12-31T24:00:00.000Z',
      '2026-13-01T00:00:00.000Z',
      '2026-03-0xT10:15:30.123Z',
      '2026-03-02 10:15:30.123',
      '2026-03-02T10:15:30Z',
      '1772442000123',
      1_772_442_000_123,
      null,
    ]) {
      assert.equal(oktaTime(v), isoTime(v), String(v));
    }
    assert.equal(oktaTime('2026-03-02T10:15:30.123Z'), '2026-03-02T10:15:30.123Z');
  });

  test('records that cannot be events are rejected with a reason', () => {
    const p = createOktaParser();
    const base = byType('user.session.start');
    assert.deepEqual(p.push('text', origin), { reject: 'not-an-object' });
    assert.deepEqual(p.push({ ...base, eventType: 7 }, origin), { reject: 'missing-event-type' });
    assert.deepEqual(p.push({ ...base, published: 'yesterday' }, origin), { reject: 'missing-time' });
    assert.deepEqual(p.push({ ...base, actor: { type: 'User' } }, origin), { reject: 'missing-actor' });
    const noUuid = { ...base };
    delete noUuid.uuid;
    const [e] = eventsOf(noUuid);
    assert.match(e!.id, /^okta:[0-9a-f]{32}$/, 'no uuid: a stable hash id');
    assert.deepEqual(p.flush(), []);
  });

  test('hostile values at every path never throw and give valid events or reasons', () => {
    assertHostileValuesSurvive(createOktaParser(), sampleRecords(9).slice(0, 8), HOSTILE, origin);
  });
});
