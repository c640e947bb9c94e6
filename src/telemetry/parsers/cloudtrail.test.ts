import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type IdentityEvent, IdentityEventSchema } from '../../model/identity-event.js';
import { createCloudTrailParser, detectCloudTrail } from './cloudtrail.js';
import { sampleRecords } from './cloudtrail.samples.js';
import { createGitHubAuditParser } from './github-audit.js';
import { sampleRecords as githubSamples } from './github-audit.samples.js';
import { assertFuzzSurvives, findAction, lcg, mutateNested, pushOneEvent } from './testing.js';

const parser = createCloudTrailParser();

function one(record: unknown): IdentityEvent {
  return pushOneEvent(parser, record, { file: 'trail.json', line: 7 });
}

const samples = sampleRecords(3) as Record<string, unknown>[];
const events = samples.map(one);
/** The sample event for an action, optionally the n-th. */
function find(action: string, n = 0): IdentityEvent {
  return findAction(events, action, n);
}

describe('cloudtrail samples', () => {
  test('every sample is detected, parses to one valid event, and is not claimed by the GitHub parser', () => {
    const gh = createGitHubAuditParser();
    for (const r of samples) {
      assert.ok(parser.detect(r));
      assert.ok(!gh.detect(r));
    }
    for (const e of events) IdentityEventSchema.parse(e);
    assert.equal(new Set(events.map((e) => e.id)).size, events.length);
  });

  test('does not claim other formats', () => {
    for (const r of githubSamples(1)) assert.ok(!parser.detect(r));
    const okta = {
      eventType: 'user.session.start',
      published: '2024-05-14T09:00:00.000Z',
      actor: { id: 'x', type: 'User' },
      uuid: 'u',
    };
    const k8s = { kind: 'Event', apiVersion: 'audit.k8s.io/v1', verb: 'get', stageTimestamp: '2024-05-14T09:00:00Z' };
    const vault = { time: '2024-05-14T09:00:00Z', type: 'request', request: { operation: 'read', path: 'secret/x' } };
    for (const r of [okta, k8s, vault, null, 3, 'x', [], {}]) assert.ok(!parser.detect(r));
  });

  test('same seed, same records; other seed, other keys', () => {
    assert.deepEqual(sampleRecords(3), sampleRecords(3));
    assert.notDeepEqual(sampleRecords(3), sampleRecords(4));
    const text = JSON.stringify(sampleRecords(3));
    for (const key of text.match(/A[KS]IA[A-Z0-9]{16}/g) ?? []) assert.match(key, /^A[KS]IA[A-Z2-7]{16}$/);
  });
});

describe('cloudtrail identity', () => {
  test('IAM user: user ARN, long-term key, account scope', () => {
    const e = find('s3:GetObject');
    assert.equal(e.identity.id, 'arn:aws:iam::123456789012:user/ci-deployer');
    assert.equal(e.identity.type, 'iam-user');
    assert.equal(e.identity.name, 'ci-deployer');
    assert.equal(e.identity.scope, '123456789012');
    assert.equal(e.credential?.type, 'aws-access-key');
    assert.ok(e.credential?.key.startsWith('AKIA'));
    assert.equal(e.credential?.lifecycle, 'used');
    assert.equal(e.credential?.longTerm, true, 'an AKIA key in use is long-term');
  });

  test('assumed role: the role ARN across rotating sessions, session name kept', () => {
    const a = find('ecs:UpdateService', 0);
    const b = find('ecs:UpdateService', 1);
    assert.equal(a.identity.id, 'arn:aws:iam::123456789012:role/service/app-deploy');
    assert.equal(a.identity.id, b.identity.id);
    assert.equal(a.identity.type, 'iam-role');
    assert.equal(a.identity.name, 'app-deploy');
    assert.equal(a.identity.session, 'deploy-1715677200');
    assert.equal(b.identity.session, 'deploy-1715680800');
    assert.notEqual(a.credential?.key, b.credential?.key);
    assert.equal(a.credential?.type, 'aws-session');
  });

  test('assumed role without sessionIssuer: role ARN derived from the session ARN', () => {
    const r = structuredClone(samples.find((s) => s.eventName === 'UpdateService')) as Record<string, unknown>;
    const ui = r.userIdentity as Record<string, unknown>;
    ui.sessionContext = { attributes: { mfaAuthenticated: 'false' } };
    const e = one(r);
    assert.equal(e.identity.id, 'arn:aws:iam::123456789012:role/app-deploy');
    assert.equal(e.identity.session, 'deploy-1715677200');
  });

  test('EC2 instance profile: the instance is the workload', () => {
    const e = find('ssm:GetParameter');
    assert.equal(e.identity.id, 'arn:aws:iam::123456789012:role/web-instance');
    assert.ok(e.client.workload?.startsWith('i-0'));
    assert.equal(e.client.workload, e.identity.session);
  });

  test('AWS service: invokedBy is the identity, the service name the host', () => {
    const e = events.find((x) => x.identity.id === 'lambda.amazonaws.com') as IdentityEvent;
    assert.equal(e.identity.type, 'aws-service');
    assert.equal(e.client.host, 'lambda.amazonaws.com');
    assert.equal(e.client.ip, undefined);
    const internal = find('s3:GetBucketAcl');
    assert.equal(internal.client.host, 'AWS Internal');
    assert.equal(internal.identity.id, 'cloudtrail.amazonaws.com');
    const svcEvent = find('kms:RotateKey');
    assert.equal(svcEvent.identity.type, 'aws-service');
    assert.equal(svcEvent.identity.id, 'kms.amazonaws.com');
    assert.equal(svcEvent.credential, undefined);
  });

  test('root, masked user name, cross-account, federated, web identity, SAML, Identity Center', () => {
    const root = find('signin:ConsoleLogin', 0);
    assert.equal(root.identity.type, 'root');
    assert.equal(root.identity.id, 'arn:aws:iam::123456789012:root');
    assert.equal(root.credential, undefined);
    assert.equal(root.raw.extra?.MFAUsed, 'Yes');

    const hidden = find('signin:ConsoleLogin', 2);
    assert.equal(hidden.identity.type, 'unknown');
    assert.equal(hidden.identity.id, '123456789012:HIDDEN_DUE_TO_SECURITY_REASONS');

    const cross = events.find((e) => e.identity.scope === '111122223333') as IdentityEvent;
    assert.equal(cross.identity.type, 'iam-user');
    assert.ok(cross.identity.id.startsWith('111122223333:AIDA'));

    const fed = find('ec2:DescribeInstances');
    assert.equal(fed.identity.type, 'federated');
    assert.equal(fed.identity.id, 'arn:aws:sts::123456789012:federated-user/build-bot');
    assert.equal(fed.identity.name, 'build-bot');
    assert.equal(fed.identity.via, 'arn:aws:iam::123456789012:user/ci-deployer');

    const web = find('sts:AssumeRoleWithWebIdentity');
    assert.equal(web.identity.type, 'federated');
    assert.equal(
      web.identity.id,
      'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com:repo:example-org/payments:ref:refs/heads/main',
    );
    const ghaSession = find('s3:PutObject');
    assert.equal(ghaSession.identity.id, 'arn:aws:iam::123456789012:role/gha-payments-deploy');
    assert.equal(ghaSession.identity.via, 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com');

    const saml = find('sts:AssumeRoleWithSAML');
    assert.equal(saml.identity.id, 'bdGOnTesti4+ExamplexL/jEvs=:jdoe@example.com');
    assert.equal(saml.identity.scope, '444455556666');

    const sso = find('sso:ListAccountRoles');
    assert.equal(sso.identity.type, 'user');
    assert.ok(sso.identity.id.startsWith('arn:aws:identitystore::123456789012:identitystore/d-9067642ac7/user/'));
    assert.equal(sso.credential?.type, 'aws-identity-center');
  });
});

describe('cloudtrail credentials and tags', () => {
  test('STS issuance: subject and expiry (read as UTC whatever the local zone)', () => {
    const tz = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      const r = samples.find((s) => s.eventName === 'AssumeRole') as Record<string, unknown>;
      const e = one(r);
      assert.deepEqual(e.tags, ['credential.issued']);
      assert.equal(e.credential?.lifecycle, 'issued');
      assert.ok(e.credential?.key.startsWith('AKIA'), 'the key is the caller’s');
      assert.ok(e.credential?.subject?.startsWith('ASIA'));
      assert.equal(e.credential?.longTerm, undefined, 'a session key is never long-term');
      assert.equal(Date.parse(e.credential?.expiresAt ?? '') - Date.parse(e.time), 3600_000);
      assert.equal(e.resource?.id, 'arn:aws:iam::123456789012:role/service/app-deploy');
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });

  test('issuance without a caller key: the new key is both key and subject', () => {
    const e = find('sts:AssumeRoleWithWebIdentity');
    assert.equal(e.credential?.key, e.credential?.subject);
    assert.equal(e.credential?.type, 'aws-session');
    for (const name of ['sts:GetSessionToken', 'sts:GetFederationToken', 'sts:AssumeRoleWithSAML']) {
      assert.deepEqual(find(name).tags, ['credential.issued'], name);
    }
  });

  test('access keys: create, deactivate, delete name the key acted on', () => {
    const created = find('iam:CreateAccessKey');
    const deactivated = find('iam:UpdateAccessKey');
    const deleted = find('iam:DeleteAccessKey');
    assert.deepEqual(created.tags, ['credential.issued']);
    assert.ok(created.credential?.subject?.startsWith('AKIA'));
    assert.ok(created.credential?.key.startsWith('ASIA'));
    // Issued from a session: the log does not show the new key to be the caller's own.
    assert.equal(created.credential?.longTerm, undefined);
    assert.deepEqual(deactivated.tags, ['credential.deactivated']);
    assert.equal(deactivated.credential?.lifecycle, 'deactivated');
    assert.deepEqual(deleted.tags, ['credential.revoked']);
    assert.equal(deactivated.credential?.subject, deleted.credential?.subject);
    assert.equal(deleted.credential?.subject, find('s3:GetObject').credential?.key);
    assert.equal(created.resource?.id, 'arn:aws:iam::123456789012:user/ci-deployer');
    const reactivate = structuredClone(samples.find((s) => s.eventName === 'UpdateAccessKey')) as Record<string, unknown>;
    (reactivate.requestParameters as Record<string, unknown>).status = 'Active';
    assert.deepEqual(one(reactivate).tags, ['credential.issued'], 'a reactivated key is valid again');
  });

  test('a failed lifecycle call tags nothing; a denied escalation is still a privilege change', () => {
    const r = structuredClone(samples.find((s) => s.eventName === 'DeleteAccessKey')) as Record<string, unknown>;
    r.errorCode = 'AccessDenied';
    const e = one(r);
    assert.deepEqual(e.tags, []);
    assert.equal(e.credential?.lifecycle, 'used');
    assert.equal(e.outcome, 'failure');
    assert.equal(e.reason, 'AccessDenied');

    const denied = find('iam:AttachUserPolicy');
    assert.equal(denied.outcome, 'failure');
    assert.deepEqual(denied.tags, ['privilege.change']);
    assert.ok(String(denied.raw.extra?.errorMessage).includes('not authorized'));
  });

  test('privilege changes', () => {
    for (const name of [
      'AttachRolePolicy',
      'PutUserPolicy',
      'CreatePolicyVersion',
      'AddUserToGroup',
      'UpdateAssumeRolePolicy',
      'CreateRole',
    ]) {
      assert.deepEqual(find(`iam:${name}`).tags, ['privilege.change'], name);
    }
    assert.equal(find('iam:AttachRolePolicy').resource?.id, 'arn:aws:iam::123456789012:role/app-deploy');
    assert.equal(find('iam:CreatePolicyVersion').resource?.id, 'arn:aws:iam::123456789012:policy/deploy');
    const passRole = one({ ...samples[0], eventSource: 'iam.amazonaws.com', eventName: 'PassRole', resources: undefined });
    assert.deepEqual(passRole.tags, ['privilege.change']);
  });

  test('secret reads', () => {
    const sm = find('secretsmanager:GetSecretValue');
    assert.deepEqual(sm.tags, ['secret.read']);
    assert.equal(sm.resource?.type, 'AWS::SecretsManager::Secret');
    assert.ok(sm.resource?.id.startsWith('arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/github-app-key-'));
    assert.equal(find('secretsmanager:BatchGetSecretValue').resource?.id, 'prod/stripe-key');
    const byPath = find('ssm:GetParametersByPath');
    assert.deepEqual(byPath.tags, ['secret.read']);
    assert.equal(byPath.resource?.id, 'arn:aws:ssm:us-east-1:123456789012:parameter/prod/');
    assert.deepEqual(find('ssm:GetParameter').tags, ['secret.read']);
    assert.deepEqual(find('kms:Decrypt', 0).tags, ['secret.read']);
    assert.deepEqual(find('kms:Decrypt', 1).tags, [], 'a decrypt S3 makes for the caller is routine');

    const plain = structuredClone(samples.find((s) => s.eventName === 'GetParameter')) as Record<string, unknown>;
    plain.requestParameters = { name: 'feature-flags' };
    plain.resources = undefined;
    const e = one(plain);
    assert.deepEqual(e.tags, []);
    assert.equal(e.resource?.id, 'arn:aws:ssm:us-east-1:123456789012:parameter/feature-flags');
  });

  test('console sign-in: auth.login, failure from responseElements', () => {
    const ok = find('signin:ConsoleLogin', 0);
    const bad = find('signin:ConsoleLogin', 1);
    assert.deepEqual(ok.tags, ['auth.login']);
    assert.equal(ok.outcome, 'success');
    assert.equal(bad.outcome, 'failure');
    assert.equal(bad.reason, 'Failed authentication');
  });
});

describe('cloudtrail event fields', () => {
  test('action, resource, client, raw pointer and extra', () => {
    const e = find('s3:GetObject');
    assert.equal(e.source, 'cloudtrail');
    assert.equal(e.id, (samples[0] as Record<string, unknown>).eventID);
    assert.equal(e.time, new Date(String((samples[0] as Record<string, unknown>).eventTime)).toISOString());
    assert.deepEqual(e.resource, { type: 'AWS::S3::Object', id: 'arn:aws:s3:::example-artifacts/releases/app-1.4.2.tar.gz' });
    assert.ok(e.client.ip?.match(/^(192\.0\.2|198\.51\.100|203\.0\.113)\./));
    assert.equal(e.client.region, 'us-east-1');
    assert.ok(!e.client.userAgent?.startsWith('['), 'S3 brackets removed');
    assert.deepEqual(e.raw.file, 'trail.json');
    assert.equal(e.raw.line, 7);
    assert.equal(e.raw.extra?.eventCategory, 'Data');
    assert.deepEqual(e.raw.extra?.requestParameters, { bucketName: 'example-artifacts', key: 'releases/app-1.4.2.tar.gz' });
  });

  test('resource from requestParameters when resources is absent', () => {
    const base = samples[0] as Record<string, unknown>;
    const r = { ...base, resources: undefined, requestParameters: { bucketName: 'b', key: 'k/1' } };
    assert.deepEqual(one(r).resource, { type: 'AWS::S3::Object', id: 'arn:aws:s3:::b/k/1' });
    assert.deepEqual(one({ ...r, requestParameters: { bucketName: 'b' } }).resource, {
      type: 'AWS::S3::Bucket',
      id: 'arn:aws:s3:::b',
    });
    assert.deepEqual(
      one({ ...r, awsRegion: 'cn-north-1', requestParameters: { bucketName: 'b' } }).resource?.id,
      'arn:aws-cn:s3:::b',
    );
    assert.equal(one({ ...r, requestParameters: null }).resource, undefined);
  });

  test('IPv6 source, unknown address, no event id', () => {
    const base = samples[0] as Record<string, unknown>;
    assert.equal(one({ ...base, sourceIPAddress: '2001:db8::1' }).client.ip, '2001:db8::1');
    assert.equal(one({ ...base, sourceIPAddress: '300.1.1.1' }).client.host, '300.1.1.1');
    const noId = one({ ...base, eventID: undefined });
    assert.ok(noId.id.startsWith('cloudtrail:'));
    assert.equal(noId.id, one({ ...base, eventID: undefined }).id);
  });

  test('EventBridge envelope is unwrapped', () => {
    const base = samples[0] as Record<string, unknown>;
    const wrapped = { version: '0', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.s3', detail: base };
    assert.ok(parser.detect(wrapped));
    assert.equal(one(wrapped).action, 's3:GetObject');
    assert.ok(!detectCloudTrail({ 'detail-type': 'GuardDuty Finding', detail: { severity: 5 } }));
  });
});

describe('cloudtrail rejections', () => {
  test('not CloudTrail, digest files, missing or bad time', () => {
    const base = samples[0] as Record<string, unknown>;
    const digest = {
      awsAccountId: '123456789012',
      digestStartTime: '2024-05-14T08:00:00Z',
      digestEndTime: '2024-05-14T09:00:00Z',
      digestS3Bucket: 'example-cloudtrail-logs',
      digestS3Object: 'AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/05/14/x.json.gz',
      logFiles: [],
    };
    assert.deepEqual(parser.push(digest, {}), { reject: 'not-cloudtrail', detail: 'digest file' });
    assert.ok(!parser.detect(digest));
    assert.equal((parser.push({ Records: [base] }, {}) as { reject: string }).reject, 'not-cloudtrail');
    assert.deepEqual(parser.push({ ...base, eventName: undefined }, {}), { reject: 'not-cloudtrail' });
    assert.deepEqual(parser.push({ ...base, eventTime: undefined }, {}), { reject: 'missing-time' });
    assert.deepEqual(parser.push({ ...base, eventTime: 'yesterday' }, {}), { reject: 'missing-time' });
    assert.deepEqual(parser.push(null, {}), { reject: 'not-object' });
    assert.deepEqual(parser.flush(), []);
  });
});

/** Mutates a record: wrong types, nulls, deletions, huge strings, at any depth. */
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
    { a: { b: [] } },
    'AWS Internal',
    '::',
    'arn:',
    'i-',
  ];
  return mutateNested(record, rnd, weird, 4, 0.6);
}

test('fuzz: never throws, never an internal error, every event valid', () => {
  const rnd = lcg(99);
  assertFuzzSurvives(parser, samples, (r) => mutate(r, rnd), Number(process.env.WARDEN_FUZZ_N ?? 20_000));
});
