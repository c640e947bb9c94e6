import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { IdentityEvent } from '../model/identity-event.js';
import { packageRoot } from '../model/package-root.js';
import { evaluateEvent, policyView } from './evaluate.js';
import { parseManifest } from './load.js';

const r = parseManifest(
  readFileSync(join(packageRoot(), 'test', 'fixtures', 'policy', 'contract.yaml'), 'utf8'),
  'warden.policy.yaml',
);
assert.ok(r.ok);
const manifest = r.value;

/** An in-policy S3 read of ci-deployer: Monday 09:30 Berlin, from its network and region. */
function event(over: Partial<IdentityEvent> = {}): IdentityEvent {
  return {
    id: 'e1',
    time: '2026-12-07T08:30:00Z',
    source: 'cloudtrail',
    identity: { id: 'arn:aws:iam::123456789012:user/ci-deployer', type: 'iam-user', name: 'ci-deployer' },
    action: 's3:GetObject',
    resource: { type: 'AWS::S3::Object', id: 'arn:aws:s3:::acme-artifacts/app.zip' },
    outcome: 'success',
    client: { ip: '203.0.113.7', region: 'eu-west-1' },
    tags: [],
    raw: {},
    ...over,
  };
}

const kinds = (e: IdentityEvent) => evaluateEvent(manifest, e)?.violations.map((v) => v.kind);

describe('run-time expectations', () => {
  test('an in-policy event breaks nothing', () => {
    assert.deepEqual(kinds(event()), []);
    assert.deepEqual(
      kinds(event({ action: 'ecr:BatchGetImage', resource: { id: 'arn:aws:ecr:eu-west-1:1:repository/api' } })),
      [],
    );
  });
  test('each expectation, one at a time, citing the manifest line', () => {
    const action = evaluateEvent(manifest, event({ action: 'iam:CreateAccessKey' }))!.violations;
    assert.deepEqual(
      action.map((v) => [v.kind, v.policy, v.at.line]),
      [['action', 'ci-deployer/allow', 11]],
    );
    assert.deepEqual(kinds(event({ resource: { id: 'arn:aws:s3:::payroll/2026.csv' } })), ['resource']);
    assert.deepEqual(kinds(event({ client: { ip: '198.51.100.9', region: 'eu-west-1' } })), ['network']);
    assert.deepEqual(kinds(event({ client: { ip: '203.0.113.7', region: 'us-east-1' } })), ['region']);
    assert.deepEqual(kinds(event({ time: '2026-12-07T19:30:00Z' })), ['window']);
    assert.deepEqual(kinds(event({ time: '2026-12-06T10:00:00Z' })), ['window'], 'Sunday');
    assert.deepEqual(kinds(event({ client: { ip: '203.0.113.7', region: 'eu-west-1', environment: 'staging' } })), [
      'environment',
    ]);
  });
  test('agent tools and destinations', () => {
    const agentEvent = event({
      source: 'agent-trace',
      identity: { id: 'system:serviceaccount:prod:api', type: 'agent' },
      action: 'tool:send_email',
      resource: { type: 'tool', id: 'send_email' },
      agent: { tool: 'send_email', destination: 'https://paste.example:443/x' },
    });
    assert.deepEqual(kinds(agentEvent), ['agent-tool', 'agent-destination']);
    const fine = { ...agentEvent, agent: { tool: 'search_kb', destination: 'api.internal.example:443' } };
    assert.deepEqual(kinds(fine), []);
  });
  test('an undeclared actor is not judged', () => {
    assert.equal(evaluateEvent(manifest, event({ identity: { id: 'arn:aws:iam::1:role/other', type: 'iam-role' } })), undefined);
  });
  test('the manifest spelling of actions and Kubernetes resources', () => {
    assert.deepEqual(
      policyView({ ...event(), source: 'k8s-audit', action: 'k8s:get', resource: { type: 'secrets', id: 'prod/db' } }),
      { action: 'k8s:get', resource: 'prod/secrets/db' },
    );
    assert.equal(policyView({ ...event(), source: 'github-audit', action: 'git.clone' }).action, 'github:git.clone');
    assert.equal(policyView({ ...event(), source: 'okta', action: 'user.session.start' }).action, 'okta:user.session.start');
  });
});
