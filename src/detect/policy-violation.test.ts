import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IdentityEvent } from '../model/identity-event.js';
import { parseManifest } from '../policy/load.js';
import { createDetector } from './engine.js';
import { createPolicyViolation } from './policy-violation.js';

const r = parseManifest(
  'version: 1\nidentities:\n  deployer:\n    owner: platform\n    match: ["arn:aws:iam::123456789012:role/deployer"]\n    allow:\n      - actions: ["s3:GetObject"]\n    sources: { networks: ["203.0.113.0/24"] }\n',
  'p.yaml',
);
assert.ok(r.ok);
const expectations = [createPolicyViolation(r.value)];

let n = 0;
function event(action: string, ip = '203.0.113.5', minute = 0): IdentityEvent {
  return {
    id: `e${n++}`,
    time: new Date(Date.parse('2026-03-02T10:00:00Z') + minute * 60_000).toISOString(),
    source: 'cloudtrail',
    identity: { id: 'arn:aws:iam::123456789012:role/deployer', type: 'iam-role', name: 'deployer' },
    action,
    outcome: 'success',
    client: { ip },
    tags: [],
    raw: {},
  };
}

test('the first out-of-policy event alerts, with no warm-up and inside --learn-until; repeats fold, distinct violations do not', () => {
  const d = createDetector({ expectations, emit: 'first', learnUntil: Date.parse('2027-01-01') });
  assert.deepEqual(d.process(event('s3:GetObject')), []);
  const first = d.process(event('iam:CreateUser', '203.0.113.5', 1));
  assert.equal(first.length, 1);
  assert.equal(first[0]!.detectionId, 'runtime.policy.violation');
  assert.deepEqual(first[0]!.policy, {
    identity: 'deployer',
    entry: 'deployer/allow',
    kind: 'action',
    file: 'p.yaml',
    line: 7,
    owner: 'platform',
  });
  assert.match(first[0]!.message, /deployer performed iam:CreateUser.*p\.yaml:7.*owner platform/);
  assert.deepEqual(d.process(event('iam:CreateUser', '203.0.113.5', 2)), [], 'the same violation folds into its alert');
  const other = d.process(event('s3:GetObject', '198.51.100.7', 3));
  assert.equal(other[0]?.policy?.kind, 'network');
});

test('an open violation episode survives a snapshot with its citation', () => {
  const d = createDetector({ expectations });
  d.process(event('iam:CreateUser'));
  const restored = createDetector({ expectations, initial: d.snapshot() });
  const alerts = restored.finish();
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]!.policy?.entry, 'deployer/allow');
});
