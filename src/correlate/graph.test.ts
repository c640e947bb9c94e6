import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Finding } from '../model/finding.js';
import type { IdentityEvent } from '../model/identity-event.js';
import { assembleProfiles } from './assemble.js';
import { GraphBuilder, isHumanAgent, isLongLived } from './graph.js';

const T0 = Date.parse('2026-01-10T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
let n = 0;

function event(over: Partial<IdentityEvent> & Pick<IdentityEvent, 'source' | 'identity'>): IdentityEvent {
  return { id: `e${n++}`, time: iso(T0), action: 'read', outcome: 'success', client: {}, tags: [], raw: {}, ...over };
}

function secretFinding(secret: string, commitDate?: string): Finding {
  return {
    ruleId: 'secret.generic.api-key',
    kind: 'secret',
    title: 'API key',
    severity: 'high',
    message: 'an API key',
    path: 'agent/.env',
    line: 2,
    column: 1,
    fingerprint: createHash('sha256').update(secret).digest('hex'),
    preview: 'sk-…',
    frameworks: [],
    ...(commitDate ? { commit: { sha: 'a'.repeat(40), author: 'dev', email: 'dev@example.com', date: commitDate } } : {}),
  };
}

describe('graph builder: each join key meets its other half', () => {
  test('Kubernetes: a token issued by JTI, then used and revoked by the same JTI, is one credential', () => {
    const sa = { id: 'system:serviceaccount:prod:api', type: 'service-account' as const };
    const jti = 'JTI=4c1d3e70-0a4e-4bd3-9d3f-0c6b8a5f1e22';
    const b = new GraphBuilder();
    b.addEvent(
      event({
        source: 'k8s-audit',
        identity: { id: 'system:node:worker-1', type: 'service-account' },
        credential: { key: 'X509SHA256=ab12', type: 'x509', lifecycle: 'issued', subject: jti },
      }),
    );
    b.addEvent(
      event({
        source: 'k8s-audit',
        time: iso(T0 + 60_000),
        identity: sa,
        credential: { key: jti, type: 'service-account-token', lifecycle: 'used' },
        client: { ip: '10.4.0.7', workload: 'api-7d9f' },
        resource: { type: 'secrets', id: 'prod/db' },
      }),
    );
    b.addEvent(
      event({
        source: 'k8s-audit',
        time: iso(T0 + 120_000),
        identity: { id: 'system:serviceaccount:kube-system:token-cleaner', type: 'service-account' },
        credential: {
          key: 'JTI=ffff0000-0000-4000-8000-000000000000',
          type: 'service-account-token',
          lifecycle: 'revoked',
          subject: jti,
        },
      }),
    );
    const { nodes, edges, revoked } = b.take();
    const id = `credential:k8s:${jti}`;
    assert.ok(nodes.some((x) => x.id === id));
    assert.deepEqual(
      edges.filter((e) => e.src === id).map((e) => `${e.kind} ${e.dst}`),
      ['credential-of identity:system:serviceaccount:prod:api', 'used workload:api-7d9f'],
    );
    assert.equal(revoked.get(id), T0 + 120_000);
  });

  test('SHA-256: a finding fingerprint joins an event that names the secret by its hash', () => {
    const secret = ['sk', 'synthetic', 'agent', 'key', String(T0)].join('-');
    const sha = createHash('sha256').update(secret).digest('hex');
    const b = new GraphBuilder();
    b.addFinding(secretFinding(secret, iso(T0 - 86_400_000)), { name: 'acme/agent', visibility: 'public' }, T0);
    b.addEvent(
      event({
        source: 'agent-trace',
        time: iso(T0 + 3_600_000),
        identity: { id: 'agent:support-bot', type: 'agent' },
        credential: { key: sha.toUpperCase(), type: 'api-key', lifecycle: 'used' },
        client: { ip: '198.51.100.4' },
      }),
    );
    const { nodes, edges } = b.take();
    const id = `credential:sha256:${sha}`;
    assert.equal(nodes.filter((x) => x.kind === 'credential').length, 1);
    assert.ok(edges.some((e) => e.kind === 'detected' && e.dst === id));
    assert.ok(edges.some((e) => e.kind === 'credential-of' && e.src === id && e.dst === 'identity:agent:support-bot'));
    // Never seen before it leaked, used after: a stranger's use, and the secret is nowhere in the rows.
    const { credentials } = assembleProfiles({ nodes, edges, alerts: [] });
    assert.equal(credentials[0]!.exposure, 'leaked-in-use-unknown-source');
    assert.ok(!JSON.stringify({ nodes, edges }).includes(secret));
  });

  test('GCP: a leaked key file joins its Cloud Audit Logs uses through private_key_id', () => {
    const keyId = createHash('sha1').update(String(T0)).digest('hex');
    const b = new GraphBuilder();
    b.addFinding(
      {
        ...secretFinding(keyId, iso(T0 - 86_400_000)),
        ruleId: 'secret.gcp.service-account-key',
        path: 'deploy/sa.json',
        credentialKey: { type: 'gcp-key-id', value: keyId },
      },
      { name: 'acme/deploy', visibility: 'public' },
      T0,
    );
    b.addEvent(
      event({
        source: 'gcp-audit',
        time: iso(T0 + 3_600_000),
        identity: { id: 'deployer@acme-prod.iam.gserviceaccount.com', type: 'service-account' },
        credential: { key: keyId, type: 'gcp-service-account-key', lifecycle: 'used' },
        client: { ip: '192.0.2.50' },
      }),
    );
    const { edges } = b.take();
    const id = `credential:gcp-key:${keyId}`;
    assert.ok(edges.some((e) => e.kind === 'detected' && e.dst === id));
    assert.ok(
      edges.some(
        (e) => e.kind === 'credential-of' && e.src === id && e.dst === 'identity:deployer@acme-prod.iam.gserviceaccount.com',
      ),
    );
  });

  test('Entra: a secret added in the audit log and presented at sign-in is one credential', () => {
    const keyId = 'a1b2c3d4-0000-4000-8000-00000000beef';
    const app = { id: '11111111-2222-4333-8444-555555555555', type: 'app' as const, name: 'billing-sync' };
    const b = new GraphBuilder();
    b.addEvent(
      event({
        source: 'entra-audit',
        identity: { id: 'ops@example.com', type: 'user' },
        credential: { key: keyId, type: 'entra-client-secret', lifecycle: 'issued', subject: keyId },
        tags: ['credential.issued'],
      }),
    );
    b.addEvent(
      event({
        source: 'entra-signin',
        time: iso(T0 + 60_000),
        identity: app,
        credential: { key: keyId.toUpperCase(), type: 'entra-client-secret', lifecycle: 'used' },
        client: { ip: '203.0.113.10' },
      }),
    );
    const { nodes, edges } = b.take();
    const id = `credential:entra-key:${keyId}`;
    assert.equal(nodes.filter((x) => x.kind === 'credential').length, 1);
    assert.ok(edges.some((e) => e.kind === 'credential-of' && e.src === id && e.dst === `identity:${app.id}`));
  });

  test('rows fold: one node per id, one edge per (src, kind, dst) with count and first/last seen', () => {
    const b = new GraphBuilder();
    for (let i = 0; i < 5; i++)
      b.addEvent(
        event({
          source: 'cloudtrail',
          time: iso(T0 + i * 1000),
          identity: { id: 'arn:aws:iam::1:user/ci', type: 'iam-user' },
          credential: { key: 'AKIAZ7Q3FOLDTEST0001', type: 'aws-access-key', lifecycle: 'used' },
          client: { ip: '10.0.0.5', userAgent: i === 4 ? 'Mozilla/5.0 (X11)' : 'aws-cli/2' },
          resource: { type: 'AWS::S3::Bucket', id: 'arn:aws:s3:::b' },
        }),
      );
    const { nodes, edges } = b.take();
    assert.equal(new Set(nodes.map((x) => x.id)).size, nodes.length);
    const used = edges.find((e) => e.kind === 'used' && e.src === 'identity:arn:aws:iam::1:user/ci')!;
    assert.deepEqual([used.count, used.firstSeen, used.lastSeen], [5, T0, T0 + 4000]);
    assert.equal(edges.filter((e) => e.kind === 'human-use').length, 1);
    assert.equal(b.size, 0, 'take() starts afresh');
  });

  test('long-lived and human-agent heuristics', () => {
    assert.equal(isLongLived('aws-key:AKIAZ7Q3FOLDTEST0001'), true);
    assert.equal(isLongLived('aws-key:ASIAZ7Q3FOLDTEST0001'), false);
    assert.equal(isLongLived('k8s:JTI=x'), false);
    assert.equal(isLongLived('vault:hmac-sha256:ab', { issuedAt: 0, expiresAt: 3600_000 }), false);
    assert.equal(isLongLived('vault:hmac-sha256:ab', { issuedAt: 0, expiresAt: 90 * 86_400_000 }), true);
    assert.equal(isHumanAgent('Mozilla/5.0 (Macintosh)'), true);
    assert.equal(isHumanAgent('signin.amazonaws.com'), true);
    assert.equal(isHumanAgent('aws-sdk-go-v2/1.25'), false);
  });
});
