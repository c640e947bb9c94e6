import { createRandom } from '../../model/random.js';
import { gcpEntry, gcpKeyId } from '../../scenario/gcp-entry.js';

/**
 * Synthetic Cloud Audit Logs entries shaped as Cloud Logging writes them (LogEntry with an AuditLog
 * `protoPayload`), documentation IPs (RFC 5737), made-up projects and key ids, no secrets. The cases:
 * a service account reading objects with a user-managed key, creating a key for another service
 * account, deleting a key, disabling one, SetIamPolicy granting roles/owner (policy delta), Secret
 * Manager access, impersonation through iamcredentials with a delegation chain, a permission denied
 * call, a workload identity federation principal.
 * @example for (const r of gcpAudit.sampleRecords(7)) parser.push(r, { line: 1 })
 */
export const gcpAudit = { sampleRecords: gcpSampleRecords };
export const gkeAudit = { sampleRecords: gkeSampleRecords };

export interface GcpSampleOptions {
  project?: string;
  time?: string;
}

function gcpSampleRecords(seed = 1, options: GcpSampleOptions = {}): unknown[] {
  const rnd = createRandom(seed);
  const project = options.project ?? 'acme-prod';
  const time = options.time ?? '2026-11-02T09:15:04.512Z';
  const deployer = `deployer@${project}.iam.gserviceaccount.com`;
  const runtime = `runtime@${project}.iam.gserviceaccount.com`;
  const keyA = gcpKeyId(rnd);
  const keyB = gcpKeyId(rnd);
  const sa = (email: string) => `projects/${project}/serviceAccounts/${email}`;
  return [
    gcpEntry(rnd, {
      project,
      time,
      principal: deployer,
      keyId: keyA,
      service: 'storage.googleapis.com',
      method: 'storage.objects.get',
      resourceName: `projects/_/buckets/${project}-artifacts/objects/app.tar.gz`,
      resourceType: 'gcs_bucket',
      permission: 'storage.objects.get',
      userAgent: 'gcloud-python/3.1.0',
      log: 'data_access',
    }),
    gcpEntry(rnd, {
      project,
      time,
      principal: deployer,
      keyId: keyA,
      service: 'iam.googleapis.com',
      method: 'google.iam.admin.v1.CreateServiceAccountKey',
      resourceName: sa(runtime),
      request: { name: sa(runtime), '@type': 'type.googleapis.com/google.iam.admin.v1.CreateServiceAccountKeyRequest' },
      response: {
        name: `${sa(runtime)}/keys/${keyB}`,
        key_origin: 'GOOGLE_PROVIDED',
        key_type: 'USER_MANAGED',
        '@type': 'type.googleapis.com/google.iam.admin.v1.ServiceAccountKey',
      },
    }),
    gcpEntry(rnd, {
      project,
      time,
      principal: 'ops-admin@example.com',
      service: 'iam.googleapis.com',
      method: 'google.iam.admin.v1.DeleteServiceAccountKey',
      resourceName: `${sa(deployer)}/keys/${keyA}`,
      permission: 'iam.serviceAccountKeys.delete',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) console',
    }),
    gcpEntry(rnd, {
      project,
      time,
      principal: 'ops-admin@example.com',
      service: 'iam.googleapis.com',
      method: 'google.iam.admin.v1.DisableServiceAccountKey',
      resourceName: `${sa(runtime)}/keys/${keyB}`,
      permission: 'iam.serviceAccountKeys.disable',
    }),
    gcpEntry(rnd, {
      project,
      time,
      principal: deployer,
      keyId: keyA,
      service: 'cloudresourcemanager.googleapis.com',
      method: 'SetIamPolicy',
      resourceName: `projects/${project}`,
      resourceType: 'project',
      permission: 'resourcemanager.projects.setIamPolicy',
      serviceData: {
        '@type': 'type.googleapis.com/google.iam.v1.logging.AuditData',
        policyDelta: { bindingDeltas: [{ action: 'ADD', role: 'roles/owner', member: `serviceAccount:${runtime}` }] },
      },
    }),
    gcpEntry(rnd, {
      project,
      time,
      principal: runtime,
      service: 'secretmanager.googleapis.com',
      method: 'google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion',
      resourceName: `projects/${project}/secrets/db-password/versions/latest`,
      resourceType: 'audited_resource',
      permission: 'secretmanager.versions.access',
      log: 'data_access',
      ip: '10.12.0.5',
    }),
    gcpEntry(rnd, {
      project,
      time,
      principal: runtime,
      service: 'iamcredentials.googleapis.com',
      method: 'GenerateAccessToken',
      resourceName: `projects/-/serviceAccounts/${deployer}`,
      permission: 'iam.serviceAccounts.getAccessToken',
      delegation: [`ci@${project}.iam.gserviceaccount.com`],
      log: 'data_access',
    }),
    gcpEntry(rnd, {
      project,
      time,
      principal: `ci@${project}.iam.gserviceaccount.com`,
      service: 'compute.googleapis.com',
      method: 'v1.compute.instances.list',
      resourceName: `projects/${project}/zones/europe-west1-b/instances`,
      resourceType: 'gce_instance',
      permission: 'compute.instances.list',
      code: 7,
    }),
    gcpEntry(rnd, {
      project,
      time,
      principal: '',
      service: 'storage.googleapis.com',
      method: 'storage.buckets.list',
      resourceName: `projects/_/buckets`,
      permission: 'storage.buckets.list',
      log: 'data_access',
    }),
  ].map((r, i) => {
    // The federated caller: no e-mail, a principal subject from workload identity federation.
    if (i !== 8) return r;
    const p = r.protoPayload as Record<string, unknown>;
    p.authenticationInfo = {
      principalSubject: `principal://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/ci/subject/repo:acme/api:ref:refs/heads/main`,
    };
    return r;
  });
}

/** GKE audit entries as Cloud Logging writes them (serviceName k8s.io). */
function gkeSampleRecords(seed = 1): unknown[] {
  const rnd = createRandom(seed);
  const project = 'acme-prod';
  const time = '2026-11-02T10:01:44.100Z';
  const entry = (principal: string, method: string, resourceName: string, code = 0, request?: Record<string, unknown>) => {
    const r = gcpEntry(rnd, {
      project,
      time,
      principal,
      service: 'k8s.io',
      method,
      resourceName,
      resourceType: 'k8s_cluster',
      permission: method,
      userAgent: 'kubectl/v1.31.2 (linux/amd64) kubernetes/abc1234',
      ip: '203.0.113.40',
      code,
      ...(request !== undefined ? { request } : {}),
    });
    (r.resource as Record<string, unknown>).labels = { project_id: project, location: 'europe-west1', cluster_name: 'prod-1' };
    r.labels = { 'authorization.k8s.io/decision': code === 0 ? 'allow' : 'forbid', 'authorization.k8s.io/reason': '' };
    return r;
  };
  return [
    entry(
      'system:serviceaccount:payments:api',
      'io.k8s.core.v1.configmaps.get',
      'core/v1/namespaces/payments/configmaps/api-config',
    ),
    entry(
      'system:serviceaccount:payments:api',
      'io.k8s.core.v1.secrets.get',
      'core/v1/namespaces/kube-system/secrets/cloud-provider-key',
    ),
    entry(
      'system:serviceaccount:ci:deployer',
      'io.k8s.authorization.rbac.v1.clusterrolebindings.create',
      'rbac.authorization.k8s.io/v1/clusterrolebindings/ci-admin',
      0,
      { roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' } },
    ),
    entry('dev@example.com', 'io.k8s.core.v1.pods.list', 'core/v1/namespaces/payments/pods'),
    entry('system:serviceaccount:payments:api', 'io.k8s.core.v1.secrets.list', 'core/v1/namespaces/payments/secrets', 7),
    entry(
      'system:serviceaccount:ci:deployer',
      'io.k8s.core.v1.serviceaccounts.token.create',
      'core/v1/namespaces/payments/serviceaccounts/api/token',
    ),
  ];
}
