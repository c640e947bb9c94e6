import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IdentityEventSchema } from '../../model/identity-event.js';
import { createGcpAuditParser, createGkeAuditParser, gcpKeyIdOf } from './gcp-audit.js';
import { gcpAudit, gkeAudit } from './gcp-audit.samples.js';
import { pushEvents } from './testing.js';

const origin = { file: 'gcp.jsonl', line: 3 };

function byMethod(method: string): Record<string, unknown> {
  const r = gcpAudit
    .sampleRecords(1)
    .find((x) => (x as { protoPayload: { methodName: string } }).protoPayload.methodName === method);
  assert.ok(r, method);
  return structuredClone(r) as Record<string, unknown>;
}

describe('gcp-audit parser', () => {
  test('every sample becomes a schema-valid gcp-audit event with its raw pointer', () => {
    const events = gcpAudit.sampleRecords(2).flatMap((r) => pushEvents(createGcpAuditParser(), r, origin));
    assert.equal(events.length, gcpAudit.sampleRecords(2).length);
    for (const e of events) {
      assert.ok(IdentityEventSchema.safeParse(e).success);
      assert.equal(e.source, 'gcp-audit');
      assert.equal(e.raw.line, 3);
    }
  });

  test('a call made with a user-managed key names the key by its private_key_id', () => {
    const r = byMethod('storage.objects.get');
    const keyName = (r.protoPayload as { authenticationInfo: { serviceAccountKeyName: string } }).authenticationInfo
      .serviceAccountKeyName;
    const [e] = pushEvents(createGcpAuditParser(), r, origin);
    assert.equal(e!.identity.type, 'service-account');
    assert.equal(e!.identity.scope, 'acme-prod');
    assert.equal(e!.credential?.key, keyName.split('/keys/')[1]);
    assert.equal(e!.credential?.type, 'gcp-service-account-key');
    assert.equal(e!.credential?.lifecycle, 'used');
    assert.equal(e!.client.ip, '198.51.100.23');
    assert.equal(e!.action, 'gcp:storage.objects.get');
  });

  test('key creation, deletion and disabling are lifecycle events naming the key they act on', () => {
    const created = pushEvents(createGcpAuditParser(), byMethod('google.iam.admin.v1.CreateServiceAccountKey'), origin)[0]!;
    assert.deepEqual(created.tags, ['credential.issued']);
    assert.match(created.credential!.subject!, /^[0-9a-f]{40}$/);
    assert.notEqual(created.credential!.subject, created.credential!.key, 'the caller key differs from the new key');
    const deleted = pushEvents(createGcpAuditParser(), byMethod('google.iam.admin.v1.DeleteServiceAccountKey'), origin)[0]!;
    assert.deepEqual(deleted.tags, ['credential.revoked']);
    assert.equal(deleted.identity.type, 'user');
    const disabled = pushEvents(createGcpAuditParser(), byMethod('google.iam.admin.v1.DisableServiceAccountKey'), origin)[0]!;
    assert.deepEqual(disabled.tags, ['credential.deactivated']);
    assert.equal(disabled.credential!.subject, created.credential!.subject);
  });

  test('SetIamPolicy is a privilege change carrying the roles its delta adds; failures carry the reason', () => {
    const e = pushEvents(createGcpAuditParser(), byMethod('SetIamPolicy'), origin)[0]!;
    assert.ok(e.tags.includes('privilege.change'));
    assert.deepEqual((e.raw.extra as { grantedRoles: string[] }).grantedRoles, ['roles/owner']);
    const denied = pushEvents(createGcpAuditParser(), byMethod('v1.compute.instances.list'), origin)[0]!;
    assert.equal(denied.outcome, 'failure');
    assert.equal(denied.reason, 'Permission denied.');
    assert.deepEqual(denied.tags, []);
  });

  test('impersonation keeps the delegation chain; secret access is a secret read; federation is federated', () => {
    const imp = pushEvents(createGcpAuditParser(), byMethod('GenerateAccessToken'), origin)[0]!;
    assert.ok(imp.tags.includes('impersonation'));
    assert.equal(imp.identity.via, 'ci@acme-prod.iam.gserviceaccount.com');
    const secret = pushEvents(
      createGcpAuditParser(),
      byMethod('google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion'),
      origin,
    )[0]!;
    assert.deepEqual(secret.tags, ['secret.read']);
    const fed = pushEvents(createGcpAuditParser(), byMethod('storage.buckets.list'), origin)[0]!;
    assert.equal(fed.identity.type, 'federated');
  });

  test('detect: audit LogEntries only, and GKE entries go to the gke-audit parser', () => {
    const gcp = createGcpAuditParser();
    const gke = createGkeAuditParser();
    for (const r of gcpAudit.sampleRecords(1)) assert.ok(gcp.detect(r) && !gke.detect(r));
    for (const r of gkeAudit.sampleRecords(1)) assert.ok(gke.detect(r) && !gcp.detect(r));
    for (const bad of [null, 1, 'x', [], {}, { protoPayload: {} }, { protoPayload: { '@type': 'other' } }]) {
      assert.equal(gcp.detect(bad), false);
      assert.ok(!Array.isArray(gcp.push(bad, origin)));
    }
    const noTime = byMethod('SetIamPolicy');
    delete noTime.timestamp;
    delete noTime.receiveTimestamp;
    assert.deepEqual(gcp.push(noTime, origin), { reject: 'missing-time' });
  });

  test('key ids come only from a keys/ segment of hex', () => {
    assert.equal(
      gcpKeyIdOf('//iam.googleapis.com/projects/p/serviceAccounts/a@p.iam.gserviceaccount.com/keys/ABCDEF012345'),
      'abcdef012345',
    );
    assert.equal(gcpKeyIdOf('projects/p/serviceAccounts/a'), undefined);
    assert.equal(gcpKeyIdOf('x/keys/not-hex!'), undefined);
  });
});

describe('gke-audit parser', () => {
  test('Cloud Logging GKE entries read as Kubernetes audit events: verbs, objects, outcomes, tags', () => {
    const events = gkeAudit.sampleRecords(1).flatMap((r) => pushEvents(createGkeAuditParser(), r, origin));
    assert.equal(events.length, 6);
    for (const e of events) {
      assert.equal(e.source, 'gke-audit');
      assert.ok(IdentityEventSchema.safeParse(e).success);
    }
    const [cfg, secret, binding, human, denied, token] = events;
    assert.equal(cfg!.resource?.id, 'payments/api-config');
    assert.equal(secret!.resource?.id, 'kube-system/cloud-provider-key');
    assert.deepEqual(secret!.tags, ['secret.read']);
    assert.equal(secret!.identity.scope, 'payments');
    assert.deepEqual(binding!.tags, ['privilege.change']);
    assert.equal(binding!.resource?.type, 'clusterrolebindings');
    assert.deepEqual((binding!.raw.extra as { grantedRoles: string[] }).grantedRoles, ['cluster-admin']);
    assert.equal(human!.identity.type, 'user');
    assert.equal(denied!.outcome, 'failure');
    assert.ok(token!.tags.includes('credential.issued'));
    assert.equal(cfg!.client.ip, '203.0.113.40');
    assert.equal(cfg!.client.region, 'europe-west1');
  });
});
