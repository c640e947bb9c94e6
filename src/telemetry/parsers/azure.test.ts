import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IdentityEventSchema } from '../../model/identity-event.js';
import { createAksAuditParser, createAzureActivityParser, createEntraAuditParser, createEntraSignInParser } from './azure.js';
import { aksAudit, azureActivity, entraAudit, entraSignIn } from './azure.samples.js';
import { pushEvents } from './testing.js';

const origin = { file: 'azure.json', line: 2 };
const PARSERS = [createAzureActivityParser, createEntraSignInParser, createEntraAuditParser, createAksAuditParser];
const SAMPLES = [azureActivity, entraSignIn, entraAudit, aksAudit];

describe('azure parsers', () => {
  test('each format is claimed by its own parser alone and gives schema-valid events', () => {
    SAMPLES.forEach((s, i) => {
      for (const r of s.sampleRecords(3)) {
        const claimed = PARSERS.map((f) => f().detect(r));
        assert.deepEqual(
          claimed,
          PARSERS.map((_, j) => j === i),
        );
        for (const e of pushEvents(PARSERS[i]!(), r, origin)) assert.ok(IdentityEventSchema.safeParse(e).success);
      }
    });
  });

  test('activity log: service principals by app id, role grants with the role name, key listing, rotation', () => {
    const [grant, listKeys, vm, rotate, failed, rest] = azureActivity
      .sampleRecords(1)
      .flatMap((r) => pushEvents(createAzureActivityParser(), r, origin));
    assert.equal(grant!.identity.type, 'app');
    assert.equal(grant!.action, 'azure:microsoft.authorization/roleassignments/write');
    assert.deepEqual(grant!.tags, ['privilege.change']);
    assert.deepEqual((grant!.raw.extra as { grantedRoles: string[] }).grantedRoles, ['Owner']);
    assert.equal(grant!.client.ip, '203.0.113.77');
    assert.deepEqual(listKeys!.tags, ['secret.read']);
    assert.deepEqual(vm!.tags, []);
    assert.equal(rotate!.identity.type, 'user');
    assert.deepEqual(rotate!.tags, ['credential.rotated']);
    assert.equal(failed!.outcome, 'failure');
    // The REST shape names the same application the same way.
    assert.equal(rest!.identity.id, grant!.identity.id);
    assert.equal(rest!.client.ip, '198.51.100.14');
    assert.deepEqual(rest!.tags, ['secret.read']);
  });

  test('sign-ins: service principal, managed identity and user sign-ins with the credential key id', () => {
    const [ok, bad, mi, user, graph] = entraSignIn
      .sampleRecords(1)
      .flatMap((r) => pushEvents(createEntraSignInParser(), r, origin));
    assert.equal(ok!.action, 'entra:service-principal-sign-in');
    assert.equal(ok!.outcome, 'success');
    assert.match(ok!.credential!.key, /^[0-9a-f-]{36}$/);
    assert.equal(ok!.credential!.type, 'entra-client-secret');
    assert.equal(ok!.client.location, 'Amsterdam, NL');
    assert.equal(bad!.outcome, 'failure');
    assert.match(bad!.reason!, /^7000215/);
    assert.equal(mi!.action, 'entra:managed-identity-sign-in');
    assert.equal(user!.identity.type, 'user');
    assert.equal(graph!.identity.id, ok!.identity.id);
    assert.equal(graph!.credential!.key, ok!.credential!.key);
  });

  test('an expired client secret presented again is reported as credential reuse', () => {
    const r = structuredClone(entraSignIn.sampleRecords(1)[1]) as { properties: { status: { errorCode: number } } };
    r.properties.status.errorCode = 7000222;
    const [e] = pushEvents(createEntraSignInParser(), r, origin);
    assert.ok(e!.tags.includes('credential.reuse-detected'));
  });

  test('audit: credentials added and removed name the key id; role grants carry the roles', () => {
    const [added, removed, appRole, member, update, graph] = entraAudit
      .sampleRecords(1)
      .flatMap((r) => pushEvents(createEntraAuditParser(), r, origin));
    assert.deepEqual(added!.tags, ['credential.issued']);
    assert.equal(added!.identity.type, 'app');
    assert.match(added!.credential!.subject!, /^[0-9a-f-]{36}$/);
    assert.deepEqual(removed!.tags, ['credential.revoked']);
    assert.notEqual(removed!.credential!.subject, added!.credential!.subject, 'the old key went, the new one stays');
    assert.deepEqual((appRole!.raw.extra as { grantedRoles: string[] }).grantedRoles, ['RoleManagement.ReadWrite.Directory']);
    assert.deepEqual((member!.raw.extra as { grantedRoles: string[] }).grantedRoles, ['Global Administrator']);
    assert.deepEqual(update!.tags, []);
    assert.deepEqual(graph!.tags, ['credential.issued']);
    assert.equal(graph!.identity.id, 'dev@example.com');
  });

  test('AKS: the embedded Kubernetes audit event, source aks-audit; a broken embedded log is a counted reason', () => {
    const events = aksAudit.sampleRecords(1).flatMap((r) => pushEvents(createAksAuditParser(), r, origin));
    assert.equal(events.length, 4);
    assert.ok(events.every((e) => e.source === 'aks-audit' && (e.raw.extra as { cluster: string }).cluster === 'prod-aks'));
    assert.deepEqual(events[1]!.tags, ['secret.read']);
    assert.equal(events[1]!.resource!.id, 'kube-system/*');
    const broken = structuredClone(aksAudit.sampleRecords(1)[0]) as { properties: { log: string } };
    broken.properties.log = '{"kind": "Event", ';
    assert.deepEqual(createAksAuditParser().push(broken, origin), {
      reject: 'invalid-embedded-json',
      detail: 'properties.log is not JSON',
    });
  });

  test('diagnostic exports wrapped in {"records": [...]} are unwrapped by the reader', async () => {
    const { readRecords } = await import('../read.js');
    const body = JSON.stringify({ records: entraSignIn.sampleRecords(1).slice(0, 2) });
    const got = [];
    for await (const r of readRecords(
      (async function* () {
        yield Buffer.from(body);
      })(),
      'x.json',
    ))
      got.push(r);
    assert.equal(got.length, 2);
  });
});
