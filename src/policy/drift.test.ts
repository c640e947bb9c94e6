import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Finding } from '../model/finding.js';
import type { InventoryNode, InventoryRelation } from '../model/inventory.js';
import { policyDrift } from './drift.js';
import { parseManifest } from './load.js';

/** An AWS key id shape, assembled at run time so the repository holds none. */
const KEY_ID = ['AK', 'IA', 'EXAMPLEKEYID0042'].join('');

const r = parseManifest(
  `version: 1
identities:
  api:
    owner: app
    match: [system:serviceaccount:prod:api, ${KEY_ID}]
    allow:
      - actions: ["k8s:get", "k8s:list"]
        resources: ["prod/configmaps/*"]
      - actions: ["s3:Get*"]
        resources: ["arn:aws:s3:::assets/*"]
    credentials: { longLived: false, maxLifetime: 1h }
  exporter:
    owner: data
    allow:
      - actions: ["s3:GetObject"]
        resources: ["arn:aws:s3:::exports/*"]
`,
  'p.yaml',
);
assert.ok(r.ok);
const manifest = r.value;

const n = (kind: InventoryNode['kind'], id: string, props?: Record<string, unknown>): InventoryNode => ({
  kind,
  id,
  ...(props ? { props } : {}),
});
const rel = (
  kind: InventoryRelation['kind'],
  src: InventoryNode,
  dst: InventoryNode,
  line: number,
  props?: Record<string, unknown>,
): InventoryRelation => ({ kind, src, dst, path: 'infra/x', line, ...(props ? { props } : {}) });
const sa = n('identity', 'system:serviceaccount:prod:api');
const ids = (fs: Finding[]) => fs.map((f) => `${f.ruleId}@${f.line}`).sort();

describe('policy drift', () => {
  test('a ClusterRole bound by a RoleBinding is judged inside the binding namespace', () => {
    const role = n('policy', 'k8s-role:*/reader');
    const inv = [
      rel('has-policy', sa, role, 1, { namespace: 'prod' }),
      rel('can-access', role, n('resource', 'k8s:*/configmaps'), 2, { actions: ['get', 'list'] }),
      rel('can-access', role, n('resource', 'k8s:*/secrets'), 3, { actions: ['get'] }),
    ];
    assert.deepEqual(ids(policyDrift(manifest, inv)), ['policy.drift.grant-beyond-allow@3']);
  });

  test('globs compare as globs: s3:Get* covers s3:GetObject, not s3:*', () => {
    const role = n('identity', 'system:serviceaccount:prod:api');
    const inv = [
      rel('can-access', role, n('resource', 'arn:aws:s3:::assets/*'), 1, { actions: ['s3:GetObject', 's3:GetObjectVersion'] }),
      rel('can-access', role, n('resource', 'arn:aws:s3:::assets/*'), 2, { actions: ['s3:*'] }),
      rel('can-access', role, n('resource', '*'), 3, { actions: ['s3:GetObject'] }),
    ];
    assert.deepEqual(ids(policyDrift(manifest, inv)), ['policy.drift.grant-beyond-allow@2', 'policy.drift.grant-beyond-allow@3']);
  });

  test('a policy file no binding names is matched by its name', () => {
    const inv = [rel('can-access', n('policy', 'aws-policy:exporter-policy'), n('resource', '*'), 4, { actions: ['s3:*'] })];
    const [f] = policyDrift(manifest, inv);
    assert.match(f!.message, /exporter is granted s3:\* on \* through aws-policy:exporter-policy.*p\.yaml:15/);
  });

  test('static credentials, lifetimes and leaked keys of a short-lived identity', () => {
    const inv = [
      rel('has-credential', sa, n('credential', 'k8s:prod/secret/api-token', { type: 'k8s-token', static: true }), 5),
      rel(
        'has-credential',
        sa,
        n('credential', 'terraform:vault_role', { type: 'vault-token', static: false, lifetimeSeconds: 7200 }),
        6,
      ),
      rel('has-credential', sa, n('credential', 'terraform:ok', { type: 'vault-token', static: false, lifetimeSeconds: 900 }), 7),
    ];
    const leak = {
      ruleId: 'secret.aws.access-key-id',
      kind: 'secret',
      title: 'AWS access key',
      severity: 'high',
      message: 'm',
      path: 'app/.env',
      line: 9,
      column: 1,
      fingerprint: 'f',
      preview: 'AKIA…',
      credentialKey: { type: 'aws-access-key-id', value: KEY_ID },
      frameworks: [],
    } satisfies Finding;
    assert.deepEqual(ids(policyDrift(manifest, inv, [leak])), [
      'policy.drift.lifetime-over-max@6',
      'policy.drift.static-credential@5',
      'policy.drift.static-credential@9',
    ]);
  });

  test('undeclared identities are reported once, at the first place that names them; account roots are not identities', () => {
    const other = n('identity', 'arn:aws:iam::*:role/unknown');
    const inv = [
      rel('assumes', n('identity', 'arn:aws:iam::123456789012:root'), other, 10),
      rel('can-access', other, n('resource', '*'), 11, { actions: ['s3:GetObject'] }),
    ];
    assert.deepEqual(ids(policyDrift(manifest, inv)), ['policy.drift.undeclared-identity@10']);
  });
});
