import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createRandom } from '../src/model/random.js';
import { gcpEntry, gcpKeyId } from '../src/scenario/gcp-entry.js';
import {
  aksAudit,
  auditRecord,
  azureActivity,
  entraAudit,
  entraSignIn,
  guid,
  keyDescription,
  signInRecord,
} from '../src/telemetry/parsers/azure.samples.js';
import { gcpAudit, gkeAudit } from '../src/telemetry/parsers/gcp-audit.samples.js';
import * as openai from '../src/telemetry/parsers/openai-audit.samples.js';
import { cli, tempDir } from './helpers.js';

/**
 * GCP, GKE, Azure, Entra ID, AKS and AI platform records run as a user runs them: one record per file,
 * `warden detect --replay FILE`, no history. Attacks that need no baseline alert on their own; everyday
 * records stay quiet. Then sequences: a deleted GCP key or a removed Entra secret used again.
 */
const { dir, cleanup } = tempDir();
after(cleanup);

async function alertsFor(name: string, records: unknown[]): Promise<Array<{ detectionId: string; severity: string }>> {
  const file = join(dir, name);
  writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const r = await cli(['detect', '--replay', file, '--format', 'jsonl', '--no-persist']);
  assert.equal(r.code, 0, r.stderr.slice(0, 1000));
  return r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

const CASES: Array<{ name: string; record: unknown; expect: string | undefined }> = [
  { name: 'gcp: storage read with a key', record: gcpAudit.sampleRecords(1)[0], expect: undefined },
  {
    name: 'gcp: a service account mints a key for another',
    record: gcpAudit.sampleRecords(1)[1],
    expect: 'runtime.identity.privilege-escalation',
  },
  {
    name: 'gcp: SetIamPolicy adds roles/owner',
    record: gcpAudit.sampleRecords(1)[4],
    expect: 'runtime.identity.privilege-escalation',
  },
  { name: 'gcp: Secret Manager access', record: gcpAudit.sampleRecords(1)[5], expect: undefined },
  {
    name: 'gcp: a service account makes a bucket public',
    record: gcpEntry(createRandom(9), {
      project: 'acme-prod',
      time: '2026-11-02T09:00:00Z',
      principal: 'ci@acme-prod.iam.gserviceaccount.com',
      service: 'storage.googleapis.com',
      method: 'storage.setIamPermissions',
      resourceName: 'projects/_/buckets/acme-exports',
      resourceType: 'gcs_bucket',
      permission: 'storage.buckets.setIamPolicy',
      serviceData: {
        policyDelta: { bindingDeltas: [{ action: 'ADD', role: 'roles/storage.objectViewer', member: 'allUsers' }] },
      },
    }),
    expect: 'runtime.identity.privilege-escalation',
  },
  { name: 'gke: own configmap', record: gkeAudit.sampleRecords(1)[0], expect: undefined },
  { name: 'gke: kube-system secret', record: gkeAudit.sampleRecords(1)[1], expect: 'runtime.identity.resource-mismatch' },
  { name: 'gke: cluster-admin binding', record: gkeAudit.sampleRecords(1)[2], expect: 'runtime.identity.privilege-escalation' },
  {
    name: 'azure: Owner granted by a service principal',
    record: azureActivity.sampleRecords(1)[0],
    expect: 'runtime.identity.privilege-escalation',
  },
  {
    name: 'azure: storage account keys listed',
    record: azureActivity.sampleRecords(1)[1],
    expect: 'runtime.identity.resource-mismatch',
  },
  { name: 'azure: VM write', record: azureActivity.sampleRecords(1)[2], expect: undefined },
  { name: 'entra: service principal sign-in', record: entraSignIn.sampleRecords(1)[0], expect: undefined },
  {
    name: 'entra: app adds a secret to a service principal',
    record: entraAudit.sampleRecords(1)[0],
    expect: 'runtime.identity.privilege-escalation',
  },
  {
    name: 'entra: app grants itself Graph RoleManagement',
    record: entraAudit.sampleRecords(1)[2],
    expect: 'runtime.identity.privilege-escalation',
  },
  { name: 'entra: user update', record: entraAudit.sampleRecords(1)[4], expect: undefined },
  { name: 'aks: own configmap', record: aksAudit.sampleRecords(1)[0], expect: undefined },
  { name: 'aks: kube-system secrets', record: aksAudit.sampleRecords(1)[1], expect: 'runtime.identity.resource-mismatch' },
  {
    name: 'openai: a service account key mints a key',
    record: openai.sampleRecords(1)[1],
    expect: 'runtime.identity.privilege-escalation',
  },
  {
    name: 'openai: a service account key makes someone owner',
    record: openai.sampleRecords(1)[4],
    expect: 'runtime.identity.privilege-escalation',
  },
  { name: 'openai: project created', record: openai.sampleRecords(1)[7], expect: undefined },
];

describe('cloud and AI platform records through warden detect', () => {
  CASES.forEach((c, i) => {
    test(`${c.name}: ${c.expect ?? 'quiet'}`, async () => {
      const alerts = await alertsFor(`single-${i}.json`, [c.record]);
      if (c.expect === undefined)
        assert.deepEqual(
          alerts.map((a) => a.detectionId),
          [],
        );
      else
        assert.ok(
          alerts.some((a) => a.detectionId === c.expect),
          JSON.stringify(alerts.map((a) => a.detectionId)),
        );
    });
  });

  test('a deleted GCP service account key used again raises reuse-after-revocation', async () => {
    const rnd = createRandom(5);
    const project = 'acme-prod';
    const sa = `etl@${project}.iam.gserviceaccount.com`;
    const key = gcpKeyId(rnd);
    const base = { project, principal: sa, keyId: key, service: 'storage.googleapis.com', method: 'storage.objects.get' };
    const records = [
      gcpEntry(rnd, {
        ...base,
        time: '2026-11-02T09:00:00Z',
        resourceName: 'projects/_/buckets/b/objects/a',
        log: 'data_access',
      }),
      gcpEntry(rnd, {
        project,
        time: '2026-11-02T10:00:00Z',
        principal: 'ops@example.com',
        service: 'iam.googleapis.com',
        method: 'google.iam.admin.v1.DeleteServiceAccountKey',
        resourceName: `projects/${project}/serviceAccounts/${sa}/keys/${key}`,
      }),
      gcpEntry(rnd, { ...base, time: '2026-11-02T11:00:00Z', resourceName: 'projects/_/buckets/b/objects/a', ip: '192.0.2.66' }),
    ];
    const alerts = await alertsFor('gcp-reuse.json', records);
    assert.ok(alerts.some((a) => a.detectionId === 'runtime.credential.reuse-after-revocation'));
  });

  test('an Entra client secret removed, then presented at sign-in, raises reuse-after-revocation', async () => {
    const rnd = createRandom(6);
    const tenant = guid(rnd);
    const appId = guid(rnd);
    const key = guid(rnd);
    const other = guid(rnd);
    const records = [
      auditRecord(rnd, {
        time: '2026-11-03T10:00:00Z',
        tenant,
        activity: 'Remove service principal credentials',
        by: { user: { upn: 'ops@example.com' } },
        target: { id: guid(rnd), displayName: 'billing-sync', type: 'ServicePrincipal' },
        modified: [{ displayName: 'KeyDescription', oldValue: keyDescription([key, other]), newValue: keyDescription([other]) }],
      }),
      signInRecord(rnd, {
        time: '2026-11-03T11:00:00Z',
        tenant,
        category: 'ServicePrincipalSignInLogs',
        appId,
        name: 'billing-sync',
        keyId: key,
      }),
    ];
    const alerts = await alertsFor('entra-reuse.json', records);
    assert.ok(
      alerts.some((a) => a.detectionId === 'runtime.credential.reuse-after-revocation'),
      JSON.stringify(alerts),
    );
  });
});
