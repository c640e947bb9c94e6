import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type IdentityEvent, IdentityEventSchema } from '../../model/identity-event.js';
import { createCloudTrailParser } from './cloudtrail.js';
import { sampleRecords as cloudtrailSamples } from './cloudtrail.samples.js';
import { createGitHubAuditParser } from './github-audit.js';
import { sampleRecords } from './github-audit.samples.js';
import { assertFuzzSurvives, findAction, lcg, mutateNested, pushOneEvent } from './testing.js';

const parser = createGitHubAuditParser();

function one(record: unknown): IdentityEvent {
  return pushOneEvent(parser, record, { file: 'audit.jsonl', line: 3 });
}

const samples = sampleRecords(5) as Record<string, unknown>[];
const events = samples.map(one);
function find(action: string, n = 0): IdentityEvent {
  return findAction(events, action, n);
}

describe('github audit samples', () => {
  test('every sample is detected, parses to one valid event, and is not claimed by the CloudTrail parser', () => {
    const ct = createCloudTrailParser();
    for (const r of samples) {
      assert.ok(parser.detect(r));
      assert.ok(!ct.detect(r));
    }
    for (const e of events) IdentityEventSchema.parse(e);
  });

  test('does not claim other formats', () => {
    for (const r of cloudtrailSamples(1)) assert.ok(!parser.detect(r));
    const okta = {
      actor: { id: '00u1', type: 'User', alternateId: 'a@example.com' },
      action: 'user.session.start',
      eventType: 'user.session.start',
      published: '2024-05-14T09:00:00.000Z',
      created_at: 1715677200000,
    };
    const oktaLike = { action: 'user.session.start', actor: { id: '00u1' }, created_at: 1715677200000 };
    const ocsf = { class_uid: 3002, action: 'logon.success', time: 1715677200000, created_at: 1715677200000, actor: 'x' };
    const noDot = { action: 'login', actor: 'x', '@timestamp': 1715677200000 };
    for (const r of [okta, oktaLike, ocsf, noDot, null, 1, 'git.clone', [], {}]) assert.ok(!parser.detect(r));
  });

  test('same seed, same records', () => {
    assert.deepEqual(sampleRecords(5), sampleRecords(5));
    assert.notDeepEqual(sampleRecords(5), sampleRecords(6));
  });
});

describe('github audit identity and credential', () => {
  test('a classic PAT clone: the actor is the identity, the hashed token the credential', () => {
    const e = find('git.clone');
    const r = samples[0] as Record<string, unknown>;
    assert.equal(e.id, r._document_id);
    assert.equal(e.time, new Date(r['@timestamp'] as number).toISOString());
    assert.equal(e.source, 'github-audit');
    assert.deepEqual(e.identity, { id: 'svc-build', type: 'user', name: 'svc-build', scope: 'example-org' });
    // The token_id beside the hashed_token is the name its lifecycle events use: the alias.
    assert.deepEqual(e.credential, {
      key: r.hashed_token,
      type: 'github-pat-classic',
      lifecycle: 'used',
      alias: String(r.token_id),
    });
    assert.deepEqual(e.resource, { type: 'repo', id: 'example-org/payments' });
    assert.equal(e.client.ip, r.actor_ip);
    assert.equal(e.client.location, 'US');
    assert.equal(e.client.userAgent, 'git/2.43.2');
    assert.deepEqual(e.tags, ['repo.read']);
    assert.equal(e.outcome, 'success');
    assert.equal(e.raw.extra?.token_scopes, 'repo,workflow,read:org');
    assert.equal(e.raw.extra?.transport_protocol_name, 'http');
    assert.equal(e.raw.file, 'audit.jsonl');
    assert.equal(e.raw.line, 3);
  });

  test('bots and app installation tokens are apps; token types from programmatic_access_type', () => {
    const fetch = find('git.fetch');
    assert.equal(fetch.identity.type, 'app');
    assert.equal(fetch.credential?.type, 'github-app-installation');
    const push = find('git.push');
    assert.equal(push.identity.id, 'github-actions[bot]');
    assert.equal(push.identity.type, 'app');
    assert.equal(find('git.clone', 1).credential?.type, 'github-oauth');
    assert.equal(find('repo.download_zip').credential?.type, 'github-pat-fine-grained');
    const userToServer = one({ ...samples[0], programmatic_access_type: 'GitHub App user-to-server token' });
    assert.equal(userToServer.identity.type, 'user');
    assert.equal(userToServer.credential?.type, 'github-app-user');
    assert.equal(
      one({ ...samples[0], programmatic_access_type: 'Some New Token Kind!' }).credential?.type,
      'github-some-new-token-kind',
    );
    assert.equal(one({ ...samples[0], actor: 'someone', actor_is_bot: true }).identity.type, 'app');
  });

  test('the clone burst: one token, every repository', () => {
    const clones = events.filter((e) => e.action === 'git.clone' && e.credential?.key === find('git.clone').credential?.key);
    assert.ok(new Set(clones.map((e) => e.resource?.id)).size >= 12);
  });

  test('token lifecycle: subject is the token_id, key is the subject when no token was used', () => {
    const r = samples.find((s) => s.action === 'personal_access_token.access_granted') as Record<string, unknown>;
    const granted = find('personal_access_token.access_granted');
    assert.deepEqual(granted.tags, ['credential.issued']);
    assert.deepEqual(granted.credential, {
      key: String(r.token_id),
      type: 'github-pat-fine-grained',
      lifecycle: 'issued',
      subject: String(r.token_id),
      longTerm: true,
    });
    assert.deepEqual(find('personal_access_token.request_created').tags, ['credential.issued']);
    const revoked = find('personal_access_token.access_revoked');
    assert.deepEqual(revoked.tags, ['credential.revoked']);
    assert.equal(revoked.credential?.subject, String(r.token_id));
    assert.equal(revoked.credential?.longTerm, true);
    // The later use of the revoked token carries the same token_id next to its hashed_token.
    const reuse = find('repo.download_zip', 1);
    assert.equal(reuse.raw.extra?.token_id, r.token_id);
    assert.equal(reuse.credential?.alias, String(r.token_id));
    assert.equal(reuse.client.location, 'SG');

    assert.deepEqual(find('oauth_access.create').tags, ['credential.issued']);
    assert.equal(find('oauth_access.create').credential?.type, 'github-oauth');
    assert.deepEqual(find('oauth_access.destroy').tags, ['credential.revoked']);
    const install = find('integration_installation.create');
    assert.deepEqual(install.tags, ['credential.issued']);
    assert.equal(install.credential, undefined, 'no token id, no token used');
    assert.equal(install.raw.extra?.integration, 'deploy-helper');
  });

  test('a lifecycle call made with a token keeps that token as the key', () => {
    const r = {
      ...(samples.find((s) => s.action === 'personal_access_token.access_revoked') as object),
      hashed_token: 'aGFzaA==',
    };
    const e = one(r);
    assert.equal(e.credential?.key, 'aGFzaA==');
    assert.equal(e.credential?.lifecycle, 'revoked');
    assert.ok(e.credential?.subject);
  });
});

describe('github audit tags, outcome, resource', () => {
  test('privilege changes, secret writes, webhooks, secret scanning', () => {
    for (const a of [
      'org.update_member',
      'team.add_member',
      'repo.add_member',
      'protected_branch.destroy',
      'protected_branch.policy_override',
    ]) {
      assert.deepEqual(find(a).tags, ['privilege.change'], a);
    }
    assert.deepEqual(find('environment.create_actions_secret').tags, ['privilege.change', 'secret.write']);
    assert.deepEqual(find('org.update_actions_secret').tags, ['privilege.change', 'secret.write']);
    assert.deepEqual(find('org.update_member').raw.extra?.permission, 'admin');
    assert.deepEqual(find('hook.create').tags, ['integration.change']);
    const alert = find('secret_scanning_alert.create');
    assert.deepEqual(alert.tags, ['secret.exposed']);
    assert.deepEqual(alert.identity, { id: 'github', type: 'unknown', scope: 'example-org' });
    assert.deepEqual(find('team.add_repository').tags, ['privilege.change']);
    assert.deepEqual(find('repo.create').tags, []);
    assert.equal(find('repo.create').raw.extra?.visibility, 'private');
  });

  test('outcome from the action wording or a result field', () => {
    const rejected = find('protected_branch.rejected_ref_update');
    assert.equal(rejected.outcome, 'failure');
    assert.equal(rejected.reason, 'protected_branch.rejected_ref_update');
    const base = samples[0] as Record<string, unknown>;
    assert.equal(one({ ...base, action: 'user.failed_login' }).outcome, 'failure');
    assert.deepEqual(one({ ...base, action: 'user.failed_login' }).tags, ['auth.login']);
    assert.equal(one({ ...base, action: 'personal_access_token.request_denied' }).outcome, 'failure');
    assert.equal(one({ ...base, result: 'failure' }).outcome, 'failure');
    assert.equal(one({ ...base, result: 'success', action: 'x.failed' }).outcome, 'success');
    const failedRevoke = one({ ...base, action: 'personal_access_token.destroy', result: 'failure' });
    assert.deepEqual(failedRevoke.tags, [], 'a failed revocation revokes nothing');
  });

  test('resource falls back to org then enterprise; workflow run is the workload', () => {
    assert.deepEqual(find('org.update_member').resource, { type: 'org', id: 'example-org' });
    const ent = one({
      action: 'business.add_admin',
      actor: 'alice-admin',
      business: 'example-enterprise',
      '@timestamp': 1715677200000,
    });
    assert.deepEqual(ent.resource, { type: 'enterprise', id: 'example-enterprise' });
    assert.equal(ent.identity.scope, 'example-enterprise');
    assert.deepEqual(ent.tags, ['privilege.change']);
    const run = find('workflows.completed_workflow_run');
    assert.ok(run.client.workload?.startsWith('workflow_run:'));
  });

  test('old export lines: created_at only, stable id from the record', () => {
    const e = find('team.add_repository');
    assert.ok(e.id.startsWith('github-audit:'));
    assert.equal(e.raw.extra?.team, 'example-org/release-managers');
    const r = samples[samples.length - 1] as Record<string, unknown>;
    assert.equal(e.time, new Date(r.created_at as number).toISOString());
    assert.equal(one({ ...r, created_at: '2024-05-14T09:00:00Z' }).time, '2024-05-14T09:00:00.000Z');
    assert.equal(one({ ...r, _document_id: undefined, request_id: 'ABCD:1234' }).id, 'ABCD:1234');
  });
});

describe('github audit rejections', () => {
  test('no action, no time, not an object', () => {
    const base = samples[0] as Record<string, unknown>;
    assert.deepEqual(parser.push({ ...base, action: undefined }, {}), { reject: 'missing-action' });
    assert.deepEqual(parser.push({ ...base, action: 42 }, {}), { reject: 'missing-action' });
    assert.deepEqual(parser.push({ ...base, '@timestamp': undefined, created_at: undefined }, {}), { reject: 'missing-time' });
    assert.deepEqual(parser.push({ ...base, '@timestamp': 'soon', created_at: null }, {}), { reject: 'missing-time' });
    assert.deepEqual(parser.push([], {}), { reject: 'not-object' });
    assert.deepEqual(parser.flush(), []);
  });
});

function mutate(record: unknown, rnd: () => number): unknown {
  const weird = [
    null,
    0,
    -1,
    1e308,
    '',
    'x'.repeat(100_000),
    true,
    [],
    {},
    [null],
    { a: 1 },
    '[bot]',
    'git.clone',
    '.',
    1715677200000,
  ];
  return mutateNested(record, rnd, weird, 3, 0.5);
}

test('fuzz: never throws, never an internal error, every event valid', () => {
  const rnd = lcg(7);
  assertFuzzSurvives(parser, samples, (r) => mutate(r, rnd), Number(process.env.WARDEN_FUZZ_N ?? 20_000));
});
