/**
 * A small GCP estate beside the rest of the scenario: two service accounts on user-managed keys (a
 * nightly loader and a business-hours deployer) writing Cloud Audit Logs, and two planted episodes
 * in the attack window: the loader's key deleted and then used again from outside, and the deployer's
 * key minting a key for another service account and granting roles/owner.
 */
import type { DetectionId } from '../model/alert.js';
import { type AttackPlanContext, EpisodeBuilder, type Variant } from './attacks.js';
import { gcpEntry, gcpKeyId } from './gcp-entry.js';
import { createRng, type Rng, seedOf } from './random.js';
import { DAY, HOUR, MINUTE } from './types.js';
import { attackerIp } from './world.js';

const PROJECT = 'acme-data';
const LOADER = `etl-loader@${PROJECT}.iam.gserviceaccount.com`;
const DEPLOYER = `deployer@${PROJECT}.iam.gserviceaccount.com`;
const SDK = 'gcloud-python/3.1.0 gl-python/3.12.3 grpc/1.66.1';
const CURL = 'curl/8.5.0';

function variant(name: string, title: string, detections: DetectionId[]): Variant {
  return { name, title, detections, source: 'gcp-audit', exclusive: true, victim: () => false, plan: () => undefined };
}

const REUSE = variant(
  'reuse-after-revocation.gcp-deleted-key',
  "A GCP service account's deleted key used again from outside to read the data bucket",
  ['runtime.credential.reuse-after-revocation', 'runtime.credential.new-source'],
);
const ESCALATE = variant(
  'privilege-escalation.gcp-deployer-key-and-owner',
  "A deployer service account's key mints a key for another service account and grants roles/owner",
  ['runtime.identity.privilege-escalation'],
);

function wants(c: AttackPlanContext, v: Variant): boolean {
  const a = c.params.attacks;
  return a === 'all' || v.detections.some((d) => a.includes(d));
}

/** Emits the GCP estate's benign traffic and plants its episodes; returns their builders. */
export function planGcp(c: AttackPlanContext): EpisodeBuilder[] {
  const rng: Rng = createRng(seedOf(c.params.seed, 'gcp'));
  const loaderKey = gcpKeyId(() => rng.next());
  const deployerKey = gcpKeyId(() => rng.next());
  const entry = (t: number, o: Omit<Parameters<typeof gcpEntry>[1], 'project' | 'time'>) =>
    gcpEntry(() => rng.next(), { project: PROJECT, time: new Date(t).toISOString(), ...o });
  const scale = c.params.eventsPerIdentityPerDay / 40;
  const attackDay = c.start + Math.min(c.params.days - 1, c.attackFrom) * DAY;
  const revoked = attackDay + 9 * HOUR + rng.int(0, 20) * MINUTE;
  // After its key is deleted (the first episode) the loader runs on a new one, as a real rotation would.
  const reuse = wants(c, REUSE);
  const nextLoaderKey = gcpKeyId(() => rng.next());

  for (let d = 0; d < c.params.days; d++) {
    const day = c.start + d * DAY;
    // The loader: every night 02:00-03:00 UTC, reads the landing bucket and writes the warehouse.
    for (let i = Math.max(20, Math.round(30 * scale)); i > 0; i--) {
      const t = day + 2 * HOUR + rng.int(0, 59) * MINUTE + rng.int(0, 59) * 1000;
      const get = rng.chance(0.6);
      c.emit(
        'gcp-audit',
        t,
        entry(t, {
          principal: LOADER,
          keyId: reuse && t > revoked ? nextLoaderKey : loaderKey,
          service: get ? 'storage.googleapis.com' : 'bigquery.googleapis.com',
          method: get ? 'storage.objects.get' : 'google.cloud.bigquery.v2.JobService.InsertJob',
          resourceName: get
            ? `projects/_/buckets/${PROJECT}-landing/objects/${d}/part-${i}.avro`
            : `projects/${PROJECT}/jobs/load-${d}-${i}`,
          resourceType: get ? 'gcs_bucket' : 'bigquery_project',
          permission: get ? 'storage.objects.get' : 'bigquery.jobs.create',
          ip: '10.128.0.12',
          userAgent: SDK,
          log: 'data_access',
        }),
      );
    }
    // The deployer: weekdays, a few Cloud Run deploys from the CI network.
    const dow = new Date(day).getUTCDay();
    if (dow === 0 || dow === 6) continue;
    for (let i = rng.int(3, 6); i > 0; i--) {
      const t = day + rng.int(8, 16) * HOUR + rng.int(0, 59) * MINUTE;
      c.emit(
        'gcp-audit',
        t,
        entry(t, {
          principal: DEPLOYER,
          keyId: deployerKey,
          service: 'run.googleapis.com',
          method: 'google.cloud.run.v1.Services.ReplaceService',
          resourceName: `namespaces/${PROJECT}/services/api`,
          resourceType: 'cloud_run_revision',
          permission: 'run.services.update',
          ip: '198.51.100.40',
          userAgent: 'google-cloud-sdk gcloud/489.0.0 command/gcloud.run.deploy',
        }),
      );
    }
  }

  const out: EpisodeBuilder[] = [];
  const day = attackDay;
  if (reuse) {
    const ep = new EpisodeBuilder('ep-gcp-1-reuse-after-revocation-gcp-deleted-key', REUSE, LOADER, c.emit);
    out.push(ep);
    ep.credential(loaderKey);
    ep.context(
      'gcp-audit',
      revoked,
      entry(revoked, {
        principal: 'ops-admin@example.com',
        service: 'iam.googleapis.com',
        method: 'google.iam.admin.v1.DeleteServiceAccountKey',
        resourceName: `projects/${PROJECT}/serviceAccounts/${LOADER}/keys/${loaderKey}`,
        permission: 'iam.serviceAccountKeys.delete',
        ip: '203.0.113.200',
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64) console',
      }),
    );
    const ip = attackerIp(rng, 1);
    for (let i = 0; i < 4; i++) {
      const t = revoked + (40 + i * 3) * MINUTE;
      ep.attack(
        'gcp-audit',
        t,
        entry(t, {
          principal: LOADER,
          keyId: loaderKey,
          service: 'storage.googleapis.com',
          method: i === 0 ? 'storage.buckets.list' : 'storage.objects.get',
          resourceName:
            i === 0 ? 'projects/_/buckets' : `projects/_/buckets/${PROJECT}-warehouse-exports/objects/customers-${i}.csv`,
          resourceType: 'gcs_bucket',
          permission: i === 0 ? 'storage.buckets.list' : 'storage.objects.get',
          ip,
          userAgent: CURL,
          log: 'data_access',
        }),
      );
    }
  }
  if (wants(c, ESCALATE)) {
    const ep = new EpisodeBuilder('ep-gcp-2-privilege-escalation-gcp-deployer-key-and-owner', ESCALATE, DEPLOYER, c.emit);
    out.push(ep);
    ep.credential(deployerKey);
    const ip = attackerIp(rng, 2);
    const t0 = day + 22 * HOUR + rng.int(0, 30) * MINUTE;
    const minted = gcpKeyId(() => rng.next());
    const sa = `projects/${PROJECT}/serviceAccounts/${LOADER}`;
    ep.attack(
      'gcp-audit',
      t0,
      entry(t0, {
        principal: DEPLOYER,
        keyId: deployerKey,
        service: 'iam.googleapis.com',
        method: 'google.iam.admin.v1.CreateServiceAccountKey',
        resourceName: sa,
        response: { name: `${sa}/keys/${minted}`, key_type: 'USER_MANAGED' },
        ip,
        userAgent: CURL,
      }),
    );
    const t1 = t0 + 4 * MINUTE;
    ep.attack(
      'gcp-audit',
      t1,
      entry(t1, {
        principal: DEPLOYER,
        keyId: deployerKey,
        service: 'cloudresourcemanager.googleapis.com',
        method: 'SetIamPolicy',
        resourceName: `projects/${PROJECT}`,
        resourceType: 'project',
        permission: 'resourcemanager.projects.setIamPolicy',
        serviceData: {
          policyDelta: { bindingDeltas: [{ action: 'ADD', role: 'roles/owner', member: `serviceAccount:${LOADER}` }] },
        },
        ip,
        userAgent: CURL,
      }),
    );
  }
  return out;
}
