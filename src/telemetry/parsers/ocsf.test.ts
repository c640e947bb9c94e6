import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type IdentityEvent, IdentityEventSchema } from '../../model/identity-event.js';
import { createOcsfParser, recordId } from './ocsf.js';
import { sampleRecords } from './ocsf.samples.js';
import { assertHostileValuesSurvive, HOSTILE_VALUES, pushOneEvent } from './testing.js';
import { stableId } from './util.js';

const origin = { file: 'lake.jsonl', line: 11 };

function eventOf(record: unknown): IdentityEvent {
  return pushOneEvent(createOcsfParser(), record, origin);
}

const samples = sampleRecords(1) as Array<Record<string, unknown>>;
const [oktaLogon, oktaFailed, windowsLogoff, consoleLogin, s3Read, denied, attachPolicy, k8sCreate, appOnly] = samples.map((r) =>
  eventOf(r),
);

// The OCSF parser keeps no state between records, so the order of the values does not matter.
const HOSTILE = [...HOSTILE_VALUES, 3002.5];

describe('ocsf parser', () => {
  test('every sample becomes one schema-valid event, the same for the same seed', () => {
    const a = sampleRecords(6).map(eventOf);
    assert.deepEqual(a, sampleRecords(6).map(eventOf));
    for (const e of a) {
      const r = IdentityEventSchema.safeParse(e);
      assert.ok(r.success, r.success ? '' : r.error.message);
      assert.equal(e.source, 'ocsf');
      assert.equal(e.raw.file, 'lake.jsonl');
    }
  });

  test('detect: a numeric class_uid and a metadata object', () => {
    const p = createOcsfParser();
    for (const r of sampleRecords(1)) assert.ok(p.detect(r));
    assert.ok(p.detect({ class_uid: 4001, metadata: {} }), 'claimed, then rejected by class');
    for (const r of [
      { class_uid: '3002', metadata: {} },
      { class_uid: 3002 },
      { class_uid: 3002, metadata: null },
      { eventType: 'user.session.start', published: '2026-03-02T10:00:00Z', actor: {} },
      { resourceSpans: [] },
      undefined,
      'ocsf',
    ]) {
      assert.equal(p.detect(r), false, JSON.stringify(r));
    }
  });

  test('other classes are rejected as unsupported, with the class in the detail', () => {
    const p = createOcsfParser();
    const network = { class_uid: 4001, category_uid: 4, activity_id: 6, time: 1_772_442_000_000, metadata: { version: '1.1.0' } };
    assert.deepEqual(p.push(network, origin), { reject: 'unsupported-ocsf-class', detail: 'class_uid 4001' });
    const finding = {
      class_uid: 2004,
      finding_info: { uid: 'x', title: 'y' },
      time: 1_772_442_000_000,
      metadata: { version: '1.1.0' },
    };
    assert.deepEqual(p.push(finding, origin), { reject: 'unsupported-ocsf-class', detail: 'class_uid 2004' });
    assert.deepEqual(p.push({ metadata: {} }, origin), { reject: 'unsupported-ocsf-class' });
    assert.deepEqual(p.push([], origin), { reject: 'not-an-object' });
  });

  test('3002 logon: the authenticating user, session, source endpoint, auth.login', () => {
    const e = oktaLogon!;
    assert.equal(e.action, 'auth.login');
    assert.deepEqual(e.tags, ['auth.login']);
    assert.equal(e.identity.type, 'user');
    assert.match(e.identity.id, /^00u/);
    assert.ok(e.identity.session?.startsWith('102'));
    assert.equal(e.outcome, 'success');
    assert.equal(e.client.location, 'US/VA/Ashburn');
    assert.equal(e.resource?.type, 'service');
    assert.equal(e.time, new Date(samples[0]!.time as number).toISOString(), 'time is epoch milliseconds');
    assert.equal(e.raw.extra?.product, 'Okta System Log');
    assert.equal(e.raw.extra?.authProtocol, 'SAML');
    assert.equal(e.raw.extra?.isMfa, true);
    assert.deepEqual(e.raw.extra?.unmapped, samples[0]!.unmapped);

    assert.equal(oktaFailed!.outcome, 'failure');
    assert.equal(oktaFailed!.reason, 'INVALID_CREDENTIALS');
    assert.deepEqual(oktaFailed!.tags, ['auth.login']);
  });

  test('3002 logoff of a service account; no metadata.uid gives a stable hash id', () => {
    const e = windowsLogoff!;
    assert.equal(e.action, 'auth.logout');
    assert.deepEqual(e.tags, []);
    assert.equal(e.identity.type, 'service-account', 'type_id 4 Service');
    assert.match(e.identity.id, /^S-1-5-21-/);
    assert.deepEqual(e.resource, { type: 'endpoint', id: 'FS01.corp.example.com' });
    assert.match(e.id, /^ocsf:[0-9a-f]{32}$/);
    assert.equal(e.id, stableId('ocsf', samples[2]), 'the one-shot hash is the same id stableId gives');
    assert.equal(recordId({ a: 1 }), stableId('ocsf', { a: 1 }));
  });

  test('AWS through Security Lake: types, account scope, role session issuer, access key ids', () => {
    assert.equal(consoleLogin!.identity.type, 'iam-user');
    assert.match(consoleLogin!.identity.scope ?? '', /^\d{12}$/);
    assert.equal(consoleLogin!.credential, undefined);

    assert.equal(s3Read!.action, 's3:GetObject', 'the .amazonaws.com suffix is dropped');
    assert.equal(s3Read!.identity.type, 'iam-role');
    assert.match(s3Read!.identity.via ?? '', /^arn:aws:iam::\d{12}:role\/ci-deployer$/);
    assert.equal(s3Read!.credential?.type, 'aws-access-key-id');
    assert.match(s3Read!.credential?.key ?? '', /^ASIA[A-Z2-7]{16}$/);
    assert.equal(s3Read!.credential?.lifecycle, 'used');
    assert.deepEqual(s3Read!.tags, ['credential.used']);
    assert.equal(s3Read!.resource?.type, 'AWS::S3::Bucket');
    assert.ok(s3Read!.client.region);
    assert.ok(s3Read!.client.userAgent?.includes('aws-sdk-go-v2'));

    assert.equal(denied!.action, 'iam:CreateUser');
    assert.equal(denied!.outcome, 'failure');
    assert.equal(denied!.reason, 'AccessDenied');
    assert.equal(denied!.credential?.key, s3Read!.credential?.key, 'the same session key joins both calls');

    assert.equal(attachPolicy!.action, 'iam:AttachRolePolicy');
    assert.deepEqual(attachPolicy!.tags, ['privilege.change', 'credential.used']);
    assert.match(attachPolicy!.credential?.key ?? '', /^AKIA/);
  });

  test('non-AWS producers: a Kubernetes service account and an app-only actor', () => {
    assert.equal(k8sCreate!.action, 'kubernetes:create');
    assert.equal(k8sCreate!.identity.type, 'service-account');
    assert.equal(k8sCreate!.identity.name, 'system:serviceaccount:ci:deployer');
    assert.deepEqual(k8sCreate!.resource, { type: 'deployments', id: 'payments-api' });
    assert.equal(appOnly!.identity.type, 'app');
    assert.equal(appOnly!.identity.name, 'terraform-cloud-agent');
    assert.equal(appOnly!.action, 'app.terraform.io:UpdateWorkspaceVariable');
  });

  test('fallbacks: activity verb for a missing operation, status words, non-AWS credential ids, time_dt', () => {
    const base = structuredClone(samples[4]!) as Record<string, unknown> & {
      api: Record<string, unknown>;
      actor: { user: Record<string, unknown> };
    };
    delete base.api.operation;
    delete base.status_id;
    base.status = 'Failure';
    base.actor.user.credential_uid = 'tok_1234';
    delete base.time;
    base.time_dt = '2026-03-02T10:00:00.000Z';
    const e = eventOf(base);
    assert.equal(e.action, 's3:read');
    assert.equal(e.outcome, 'failure');
    assert.equal(e.credential?.type, 'ocsf-credential-uid');
    assert.equal(e.time, '2026-03-02T10:00:00.000Z');
    const unknownStatus = { ...samples[4]!, status_id: 99 };
    assert.equal(eventOf(unknownStatus).outcome, 'unknown');
  });

  test('epoch milliseconds format exactly as Date#toISOString, across day boundaries and years', () => {
    const p = createOcsfParser();
    const values = [
      1e11 + 1,
      1_772_409_599_999,
      1_772_409_600_000,
      1_772_409_600_001,
      253_402_300_799_999 / 10,
      4_102_444_799_999,
    ];
    let x = 0x9e3779b9;
    for (let i = 0; i < 3000; i++) {
      x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
      values.push(1e11 + (x / 2 ** 32) * (9.9e13 - 1e11), 1_772_409_600_000 + (x % 172_800_000));
    }
    for (const ms of values) {
      const out = p.push({ ...samples[4]!, time: ms }, origin);
      assert.ok(Array.isArray(out));
      assert.equal(out[0]!.time, new Date(ms).toISOString(), String(ms));
    }
    const seconds = p.push({ ...samples[4]!, time: 1_772_409_600 }, origin);
    assert.ok(Array.isArray(seconds) && seconds[0]!.time === '2026-03-02T00:00:00.000Z', 'epoch seconds still read');
  });

  test('records with no time or no identity are rejected', () => {
    const p = createOcsfParser();
    const noTime = { ...samples[4]! };
    delete noTime.time;
    assert.deepEqual(p.push(noTime, origin), { reject: 'missing-time' });
    assert.deepEqual(p.push({ ...samples[4]!, actor: { user: { type: 'IAMUser' } } }, origin), { reject: 'missing-identity' });
    assert.deepEqual(p.push({ ...samples[0]!, user: null }, origin), { reject: 'missing-identity' });
    assert.deepEqual(p.flush(), []);
  });

  test('hostile values at every path never throw and give valid events or reasons', () => {
    assertHostileValuesSurvive(createOcsfParser(), [samples[0], samples[4], samples[6]], HOSTILE, origin);
  });
});
