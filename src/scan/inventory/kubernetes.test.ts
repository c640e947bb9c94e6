import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InventoryRelation } from '../../model/inventory.js';
import { kubernetesExtractor } from './kubernetes.js';

/** Relations as [line, kind, src, dst, props] rows, in output order. */
const rows = (rs: InventoryRelation[]) => rs.map((r) => [r.line, r.kind, r.src.id, r.dst.id, r.props ?? {}]);

const MANIFESTS = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: api
  namespace: payments
  labels:
    team: Payments
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/payments-api
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: payments
  labels:
    app.kubernetes.io/owner: checkout
spec:
  selector: {}
  template:
    spec:
      serviceAccountName: api
      containers:
        - name: api
          image: registry.example/api:1.0
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: cleanup
spec:
  jobTemplate:
    spec:
      template:
        spec:
          automountServiceAccountToken: false
          containers:
            - name: c
              image: busybox
---
kind: ClusterRole
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: reader
rules:
  - apiGroups: [""]
    resources:
      - secrets
      - configmaps
    verbs: ["get", "list"]
  - apiGroups: ["*"]
    resources: ["*"]
    verbs: ["*"]
---
kind: Role
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: pods
  namespace: payments
rules:
  - apiGroups: [""]
    resources: ["pods"]
    resourceNames: ["api-0"]
    verbs: ["get"]
---
kind: RoleBinding
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: api-reader
  namespace: payments
roleRef:
  kind: ClusterRole
  name: reader
subjects:
  - kind: ServiceAccount
    name: api
  - kind: User
    name: system:serviceaccount:ci:deployer
  - kind: Group
    name: system:serviceaccounts
---
kind: RoleBinding
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: pods-binding
  namespace: payments
roleRef:
  kind: Role
  name: pods
subjects:
  - kind: ServiceAccount
    name: api
    namespace: payments
`;

test('kubernetes: service accounts, workloads, bindings and role rules', async () => {
  const rs = await kubernetesExtractor.extract('deploy/app.yaml', MANIFESTS);
  assert.deepEqual(rows(rs), [
    [7, 'owned-by', 'system:serviceaccount:payments:api', 'payments', { key: 'team' }],
    [
      9,
      'assumes',
      'system:serviceaccount:payments:api',
      'arn:aws:iam::111122223333:role/payments-api',
      { via: 'eks.amazonaws.com/role-arn' },
    ],
    [
      22,
      'runs-as',
      'k8s:payments/deployment/api',
      'system:serviceaccount:payments:api',
      { serviceAccount: 'api', declared: true },
    ],
    [17, 'owned-by', 'k8s:payments/deployment/api', 'checkout', { key: 'app.kubernetes.io/owner' }],
    [
      29,
      'runs-as',
      'k8s:default/cronjob/cleanup',
      'system:serviceaccount:default:default',
      { serviceAccount: 'default', declared: false, automountServiceAccountToken: false },
    ],
    [48, 'can-access', 'k8s-role:*/reader', 'k8s:*/secrets', { actions: ['get', 'list'], admin: false, apiGroups: [''] }],
    [49, 'can-access', 'k8s-role:*/reader', 'k8s:*/configmaps', { actions: ['get', 'list'], admin: false, apiGroups: [''] }],
    [52, 'can-access', 'k8s-role:*/reader', 'k8s:*/*', { actions: ['*'], admin: true, apiGroups: ['*'] }],
    [
      62,
      'can-access',
      'k8s-role:payments/pods',
      'k8s:payments/pods',
      { actions: ['get'], admin: false, apiGroups: [''], resourceNames: ['api-0'] },
    ],
    [
      75,
      'has-policy',
      'system:serviceaccount:payments:api',
      'k8s-role:*/reader',
      { binding: 'RoleBinding payments/api-reader', namespace: 'payments' },
    ],
    [
      77,
      'has-policy',
      'system:serviceaccount:ci:deployer',
      'k8s-role:*/reader',
      { binding: 'RoleBinding payments/api-reader', namespace: 'payments' },
    ],
    [
      91,
      'has-policy',
      'system:serviceaccount:payments:api',
      'k8s-role:payments/pods',
      { binding: 'RoleBinding payments/pods-binding' },
    ],
  ]);
  for (const r of rs) assert.equal(r.path, 'deploy/app.yaml');
});

test('kubernetes: kind List items are read; templated service accounts are skipped', async () => {
  const list = `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata:
      name: web
      namespace: shop
    spec:
      serviceAccountName: web-sa
      containers: [{ name: w, image: nginx }]
  - apiVersion: v1
    kind: Pod
    metadata:
      name: tpl
    spec:
      serviceAccountName: "{{ .Values.sa }}"
      containers: [{ name: w, image: nginx }]
`;
  assert.deepEqual(rows(await kubernetesExtractor.extract('list.yaml', list)), [
    [10, 'runs-as', 'k8s:shop/pod/web', 'system:serviceaccount:shop:web-sa', { serviceAccount: 'web-sa', declared: true }],
  ]);
});

test('kubernetes: malformed manifests and Helm templates give nothing, without throwing', async () => {
  for (const text of [
    'apiVersion: v1\nkind: Pod\nmetadata: {name: {{ .Values.name }}\n',
    'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: [unclosed\n',
    'apiVersion: v1\nkind: Deployment\n\t- broken: : :\n',
    'kind: Role\nrules: 7\n',
    `kind: ClusterRole\nmetadata:\n  name: x\nrules:\n${'  - '.repeat(1)}${'['.repeat(500)}\n`,
    '',
  ]) {
    assert.deepEqual(await kubernetesExtractor.extract('bad.yaml', text), []);
  }
});

test('kubernetes: accepts YAML with apiVersion and kind in its head only', () => {
  assert.equal(kubernetesExtractor.accepts('k8s/a.yaml', 'apiVersion: v1\nkind: Pod\n'), true);
  assert.equal(kubernetesExtractor.accepts('k8s/a.yaml', 'name: x\n'), false);
  assert.equal(kubernetesExtractor.accepts('k8s/a.json', 'apiVersion: v1\nkind: Pod\n'), false);
});
