import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Finding } from '../model/finding.js';
import type { IdentityEvent } from '../model/identity-event.js';
import { githubHashedToken, vaultAuditHmac } from '../scan/secrets/redact.js';
import { credentialKeysOfEvent, credentialKeysOfFinding, subjectKeyOfEvent } from './keys.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function finding(secret: string, credentialKey?: Finding['credentialKey']): Finding {
  return {
    ruleId: 'test.rule',
    kind: 'secret',
    title: 'A secret',
    severity: 'high',
    message: 'found',
    path: 'config/app.env',
    line: 3,
    column: 1,
    fingerprint: sha(secret),
    preview: `${secret.slice(0, 4)}…`,
    frameworks: [],
    ...(credentialKey ? { credentialKey } : {}),
  };
}

function event(source: IdentityEvent['source'], credential?: IdentityEvent['credential']): IdentityEvent {
  return {
    id: `e-${Math.random()}`,
    time: '2025-01-01T00:00:00Z',
    source,
    identity: { id: 'someone', type: 'unknown' },
    ...(credential ? { credential } : {}),
    action: 'x:y',
    outcome: 'success',
    client: {},
    tags: [],
    raw: {},
  };
}

describe('credential join keys', () => {
  test('AWS access key id: finding and CloudTrail meet on aws-key:<id>', () => {
    const id = 'AKIAZ7Q3EXAMPLEKEY01';
    const keys = credentialKeysOfFinding(finding(`${id}`, { type: 'aws-access-key-id', value: id }));
    assert.deepEqual(keys, [`aws-key:${id}`, `sha256:${sha(id)}`]);
    assert.deepEqual(credentialKeysOfEvent(event('cloudtrail', { key: id, type: 'aws-access-key', lifecycle: 'used' })), [
      `aws-key:${id}`,
    ]);
    assert.equal(
      credentialKeysOfEvent(event('cloudtrail', { key: 'ASIAZ7Q3EXAMPLEKEY02', type: 'aws-session', lifecycle: 'used' }))[0],
      'aws-key:ASIAZ7Q3EXAMPLEKEY02',
    );
  });

  test('GitHub token: finding and audit log meet on github:<hashed_token>', () => {
    const token = `ghp_${'a1B2c3D4e5'.repeat(3)}abcdef`;
    const hashed = githubHashedToken(token);
    const keys = credentialKeysOfFinding(finding(token, { type: 'github-hashed-token', value: hashed }));
    assert.equal(keys[0], `github:${hashed}`);
    assert.deepEqual(credentialKeysOfEvent(event('github-audit', { key: hashed, type: 'github-token', lifecycle: 'used' })), [
      `github:${hashed}`,
    ]);
    assert.ok(!keys.some((k) => k.includes(token)), 'the token itself never appears in a key');
  });

  test('Vault token: finding (with the audit salt) and audit log meet on vault:hmac-sha256:<hex>', () => {
    const token = 'hvs.CAESIJexampleexampleexampleexample';
    const hmac = vaultAuditHmac(token, 'audit-salt');
    const keys = credentialKeysOfFinding(finding(token, { type: 'vault-hmac', value: hmac }));
    assert.equal(keys[0], `vault:${hmac}`);
    assert.deepEqual(credentialKeysOfEvent(event('vault', { key: hmac, type: 'vault-token', lifecycle: 'used' })), [
      `vault:${hmac}`,
    ]);
    assert.notEqual(vaultAuditHmac(token, 'other-salt'), hmac, 'another salt gives another key');
  });

  test('GCP key: the key file finding and Cloud Audit Logs meet on gcp-key:<private_key_id>', () => {
    const id = 'AB'.repeat(20);
    assert.deepEqual(
      credentialKeysOfFinding(finding(id, { type: 'gcp-key-id', value: id.toLowerCase() }))[0],
      `gcp-key:${id.toLowerCase()}`,
    );
    assert.deepEqual(credentialKeysOfEvent(event('gcp-audit', { key: id, type: 'gcp-service-account-key', lifecycle: 'used' })), [
      `gcp-key:${id.toLowerCase()}`,
    ]);
  });

  test('Entra credential key id: sign-in and audit log meet on entra-key:<guid>', () => {
    const id = '0F1E2D3C-4B5A-4968-8776-655443322110';
    const signIn = credentialKeysOfEvent(event('entra-signin', { key: id, type: 'entra-client-secret', lifecycle: 'used' }));
    const added = subjectKeyOfEvent(
      event('entra-audit', { key: id, type: 'entra-client-secret', lifecycle: 'issued', subject: id }),
    );
    assert.deepEqual(signIn, [`entra-key:${id.toLowerCase()}`]);
    assert.equal(added, signIn[0]);
  });

  test('Kubernetes credential id: k8s:JTI=<uuid>', () => {
    const jti = 'JTI=0d7c2a8e-7c1e-4b35-9c0e-8f3b8d2c4e11';
    assert.deepEqual(credentialKeysOfEvent(event('k8s-audit', { key: jti, type: 'k8s-token', lifecycle: 'used' })), [
      `k8s:${jti}`,
    ]);
  });

  test('SHA-256 fingerprint: every secret finding has one; a SHA-256 event key joins it', () => {
    const secret = 'xoxb-not-a-real-slack-token';
    assert.deepEqual(credentialKeysOfFinding(finding(secret)), [`sha256:${sha(secret)}`]);
    assert.deepEqual(
      credentialKeysOfEvent(event('ocsf', { key: sha(secret).toUpperCase(), type: 'api-key', lifecycle: 'used' })),
      [`sha256:${sha(secret)}`],
    );
  });

  test('posture findings and events without a credential have no key; other ids stay scoped to their source', () => {
    assert.deepEqual(credentialKeysOfFinding({ ...finding('x'), kind: 'posture' }), []);
    assert.deepEqual(credentialKeysOfEvent(event('okta')), []);
    assert.deepEqual(credentialKeysOfEvent(event('okta', { key: '00T1abc', type: 'okta-api-token', lifecycle: 'used' })), [
      'okta:00T1abc',
    ]);
  });

  test('a revocation names its subject; a plain use has none', () => {
    const revoke = event('cloudtrail', {
      key: 'AKIAZ7Q3EXAMPLEKEY01',
      type: 'aws-access-key',
      lifecycle: 'revoked',
      subject: 'AKIAZ7Q3EXAMPLEKEY09',
    });
    assert.equal(subjectKeyOfEvent(revoke), 'aws-key:AKIAZ7Q3EXAMPLEKEY09');
    assert.equal(
      subjectKeyOfEvent(event('cloudtrail', { key: 'AKIAZ7Q3EXAMPLEKEY01', type: 'aws-access-key', lifecycle: 'used' })),
      undefined,
    );
  });
});
