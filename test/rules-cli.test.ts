import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DETECTIONS } from '../src/detect/index.js';
import { builtinRulesDir, loadSigmaRules } from '../src/detect/sigma/index.js';
import { loadPolicyRules } from '../src/policy/rules.js';
import { loadPostureRules } from '../src/scan/posture/index.js';
import { loadSecretRules } from '../src/scan/secrets/load-rules.js';
import { cli } from './helpers.js';

test('warden rules list shows every rule of every kind with its frameworks', async () => {
  const r = await cli(['rules', 'list', '--format', 'json']);
  assert.equal(r.code, 0);
  const rows = JSON.parse(r.stdout) as Array<{ id: string; kind: string; frameworks: string[] }>;
  const pack = loadSigmaRules([builtinRulesDir()]);
  const sigma = pack.rules.filter((x) => x.generate).length + pack.correlations.length;
  assert.equal(
    rows.length,
    loadSecretRules().length + loadPostureRules().size + loadPolicyRules().size + DETECTIONS.length + sigma,
  );
  for (const kind of ['secret', 'posture', 'policy', 'detection', 'sigma'])
    assert.ok(
      rows.some((row) => row.kind === kind),
      kind,
    );
  assert.ok(rows.every((row) => row.frameworks.length > 0));
  const posture = await cli(['rules', 'list', '--kind', 'posture', '--format', 'json']);
  assert.ok(JSON.parse(posture.stdout).every((row: { kind: string }) => row.kind === 'posture'));
  const policy = await cli(['rules', 'list', '--kind', 'policy', '--format', 'json']);
  const ids = (JSON.parse(policy.stdout) as Array<{ id: string }>).map((row) => row.id);
  for (const id of [
    'policy.drift.grant-beyond-allow',
    'policy.drift.static-credential',
    'policy.drift.lifetime-over-max',
    'policy.drift.undeclared-identity',
    'runtime.policy.violation',
  ])
    assert.ok(ids.includes(id), id);
  const aws = await cli(['rules', 'list', '--provider', 'aws']);
  assert.match(aws.stdout, /secret\.aws\.access-key-id/);
  assert.doesNotMatch(aws.stdout, /secret\.github\./);
});

test('the secret rule set covers at least 150 credential types', () => {
  assert.ok(loadSecretRules().length >= 150, `only ${loadSecretRules().length} secret rules`);
});
