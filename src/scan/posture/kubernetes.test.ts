import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPostureContext } from './context.js';
import { kubernetesAnalyzer } from './kubernetes.js';
import { loadPostureRules } from './load-rules.js';

function analyze(text: string, path = 'deploy/app.yaml'): { rules: string[]; malformed: string[] } {
  const run = createPostureContext(path, text, loadPostureRules());
  kubernetesAnalyzer.analyze(run.ctx);
  return { rules: [...new Set(run.findings.map((f) => f.ruleId))].sort(), malformed: run.malformed };
}

const deployment = (spec: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: { app: web }
  template:
    spec:
${spec}`;

test('kubernetes: the pod setting wins over the service account setting', () => {
  const sa = 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\nautomountServiceAccountToken: false\n---\n';
  const pod = '      containers:\n        - name: web\n          image: nginx:1.27\n';
  assert.deepEqual(analyze(sa + deployment(pod)).rules, []);
  assert.deepEqual(analyze(sa + deployment(`      automountServiceAccountToken: true\n${pod}`)).rules, [
    'posture.kubernetes.default-serviceaccount-token',
  ]);
});

test('kubernetes: a kustomize patch is not judged as a workload', () => {
  const patch = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          resources: { limits: { memory: 512Mi } }
`;
  assert.deepEqual(analyze(patch, 'overlays/prod/patch.yaml').rules, []);
});

test('kubernetes: a Helm template that does not parse is skipped, other broken YAML is malformed', () => {
  const tpl =
    'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {{ include "x" . }}\n  labels:\n    {{- include "l" . | nindent 4 }}\n';
  assert.deepEqual(analyze(tpl, 'chart/templates/sa.yaml'), { rules: [], malformed: [] });
  assert.equal(analyze('apiVersion: v1\nkind: Pod\nmetadata: [\n').malformed.length, 1);
});

test('kubernetes: a Secret whose values are base64 of stand-ins is clean', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  username: ${b64('admin')}\n  password: ${b64('changeme')}\n  token: ${b64('<token>')}\n`;
  assert.deepEqual(analyze(secret).rules, []);
});

test('kubernetes: accepts manifests by their head', () => {
  assert.ok(kubernetesAnalyzer.accepts('k8s/app.yml', '---\n# Source: x\napiVersion: v1\nkind: Service\n'));
  assert.ok(!kubernetesAnalyzer.accepts('chart/Chart.yaml', 'apiVersion: v2\nname: app\nversion: 1.0.0\n'));
  assert.ok(!kubernetesAnalyzer.accepts('.github/workflows/ci.yml', 'on: push\njobs: {}\n'));
});
