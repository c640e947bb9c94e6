import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPostureContext } from './context.js';
import { assertAgreement, fixtureSamples, variants } from './fast-path-agreement.js';
import { kubernetesAnalyzer, kubernetesExactAnalyzer } from './kubernetes.js';
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

test('kubernetes: the fast pass agrees with the full parse on every fixture and its variants', async () => {
  const samples = fixtureSamples('kubernetes').flatMap(variants);
  const withFindings = await assertAgreement(kubernetesAnalyzer, kubernetesExactAnalyzer, samples);
  assert.ok(
    samples.length > 300 && withFindings > 100 && withFindings < samples.length - 50,
    `${withFindings}/${samples.length}`,
  );
});

test('kubernetes: the fast pass agrees on YAML where js-yaml and yaml could part ways', async () => {
  const pod = (spec: string) =>
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n${spec}  containers:\n    - name: c\n      image: nginx\n`;
  const sa = (extra: string) => `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n${extra}---\n`;
  const texts = [
    pod('  serviceAccountName: app\n  automountServiceAccountToken: false\n'),
    // Aliases: the exact pass sees an alias node, not the anchored value.
    sa('automountServiceAccountToken: &off false\n') + pod('  serviceAccountName: app\n  hostNetwork: true\n'),
    pod('  serviceAccountName: &n app\n  automountServiceAccountToken: false\n  hostPID: *n\n'),
    // YAML 1.1 under a directive: `no` is a boolean there, a string under 1.2.
    `%YAML 1.1\n---\n${pod('  serviceAccountName: app\n  automountServiceAccountToken: no\n')}`,
    // Core-schema edge spellings and non-string keys.
    pod('  serviceAccountName: 0x1F\n  automountServiceAccountToken: False\n'),
    pod('  serviceAccountName: 1_000\n  automountServiceAccountToken: "false"\n'),
    `apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  ~: hunter2-real-value-9f8e7d\n  1.50: x\n  ? [a]\n  : y\n`,
    // Duplicate keys: the exact pass reads the first, js-yaml refuses the file.
    pod('  serviceAccountName: app\n  serviceAccountName: default\n  automountServiceAccountToken: false\n'),
    // Tags, escapes and a Helm template that still parses.
    pod('  serviceAccountName: !!str app\n  automountServiceAccountToken: !!bool false\n'),
    `apiVersion: v1\nkind: "Secr\\x65t"\nmetadata: {name: s}\nstringData:\n  password: "{{ .Values.pw }}"\n  token: ghp-not-a-template-7Hq2xLw9Zr\n`,
    `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {{ .Values.name }}\n---\n${pod('')}`,
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "{{ .Values.name }}"\ndata:\n  a: b\n`,
  ];
  await assertAgreement(
    kubernetesAnalyzer,
    kubernetesExactAnalyzer,
    texts.flatMap((text) => variants({ path: 'deploy/app.yaml', text })),
  );
});
