import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { Finding } from '../model/finding.js';
import { toJsonReport } from './json.js';
import { looksLikeScanReport, readScanReport } from './read.js';
import { toSarif } from './sarif.js';

const findings: Finding[] = [
  {
    ruleId: 'secret.aws.access-key-id',
    kind: 'secret',
    title: 'AWS access key id',
    severity: 'critical',
    provider: 'aws',
    message: 'AWS access key id: AKIA…',
    path: 'deploy/my file.env',
    line: 3,
    column: 19,
    fingerprint: createHash('sha256').update('synthetic').digest('hex'),
    preview: 'AKIA…',
    credentialKey: { type: 'aws-access-key-id', value: ['AKIA', 'Z7Q3READTEST0001'].join('') },
    commit: { sha: 'c'.repeat(40), author: 'dev', email: 'dev@example.com', date: '2026-01-01T00:00:00Z' },
    frameworks: ['owasp-nhi/NHI2:2025'],
  },
  {
    ruleId: 'posture.iam.wildcard-action',
    kind: 'posture',
    title: 'IAM policy allows every action',
    severity: 'high',
    message: 'Action "*"',
    path: 'iam/policy.json',
    line: 5,
    column: 1,
    fingerprint: 'f'.repeat(64),
    preview: '"Action": "*"',
    frameworks: [],
  },
];

test('a SARIF log written by warden scan reads back to the same findings', () => {
  const text = JSON.stringify(toSarif(findings, '/repo'));
  assert.ok(looksLikeScanReport(text.slice(0, 4096)));
  const r = readScanReport(text);
  assert.equal(r.format, 'sarif');
  assert.deepEqual(r.rejected, []);
  for (const [i, f] of findings.entries()) {
    const g = r.findings[i]!;
    for (const k of [
      'ruleId',
      'kind',
      'severity',
      'path',
      'line',
      'column',
      'fingerprint',
      'preview',
      'credentialKey',
      'commit',
    ] as const)
      assert.deepEqual(g[k], f[k], k);
  }
});

test('a JSON report reads back with its inventory; bad records are counted, the good ones kept', () => {
  const doc = JSON.parse(
    toJsonReport(findings, { files: 2 }, [
      {
        kind: 'runs-as',
        src: { kind: 'workload', id: 'k8s:prod/deployment/api' },
        dst: { kind: 'identity', id: 'system:serviceaccount:prod:api' },
        path: 'k8s/api.yaml',
        line: 4,
      },
    ]),
  ) as { findings: unknown[]; inventory: unknown[] };
  doc.findings.push({ ruleId: 'x' }, 'garbage');
  doc.inventory.push({ kind: 'runs-as', src: { kind: 'nope', id: 'a' } });
  const text = JSON.stringify(doc, null, 2);
  assert.ok(looksLikeScanReport(text));
  const r = readScanReport(text);
  assert.equal(r.format, 'warden-json');
  assert.equal(r.findings.length, 2);
  assert.equal(r.inventory.length, 1);
  assert.deepEqual(
    r.rejected.map((x) => [x.index, x.reason.split(':')[0]]),
    [
      [1, 'inventory'],
      [2, 'finding'],
      [3, 'finding'],
    ],
  );
});

test('logs are not taken for reports, and a JSON document that is no report is refused', () => {
  assert.equal(looksLikeScanReport('{"eventVersion":"1.09","userIdentity":{}}'), false);
  assert.equal(looksLikeScanReport('{"Records":[{"eventVersion":"1.09"}]}'), false);
  assert.equal(looksLikeScanReport('plain text'), false);
  assert.throws(() => readScanReport('{"tool":{"name":"warden"}}'), /not a scan report/);
  assert.throws(() => readScanReport('{not json'), SyntaxError);
});
