import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assembleProfiles, networkOf, resolveAliases } from './assemble.js';
import { blastRadius } from './blast.js';
import type { GraphEdgeRow, GraphNodeRow } from './graph.js';
import type { CredentialProfile, IdentityProfile } from './profile.js';
import { scoreCredential, scoreIdentity } from './risk.js';

const NOW = Date.parse('2026-03-01T00:00:00Z');
const DAY = 86_400_000;

function credential(over: Partial<CredentialProfile> = {}): CredentialProfile {
  return {
    id: 'credential:aws-key:AKIAEXAMPLEEXAMPLE01',
    label: 'AKIA…',
    firstSeen: NOW - 200 * DAY,
    lastSeen: NOW - DAY,
    leaks: [],
    sources: [],
    exposure: 'not-leaked',
    longLived: true,
    ...over,
  };
}

const leak = (visibility: 'public' | 'private', historyOnly = false) => ({
  repository: 'acme/api',
  visibility,
  path: 'deploy/.env',
  line: 3,
  historyOnly,
  exposedAt: NOW - 10 * DAY,
  findingId: 'f1',
  ruleId: 'secret.aws.access-key-id',
  severity: 'critical' as const,
});

function identity(name: string, over: Partial<IdentityProfile> = {}): IdentityProfile {
  return {
    id: `identity:${name}`,
    label: name,
    type: 'iam-user',
    firstSeen: NOW - 300 * DAY,
    lastSeen: NOW - DAY,
    lastActive: NOW - 2 * DAY,
    owners: ['platform'],
    workloads: [],
    environments: ['prod'],
    credentials: [],
    grants: [{ resource: 'resource:arn:aws:s3:::reports/*', actions: ['s3:ListBucket'], admin: false, via: [] }],
    actions: [],
    used: [],
    assumes: [],
    derivable: [],
    reachable: ['resource:arn:aws:s3:::reports/*'],
    alerts: [],
    humanUse: [],
    ...over,
  };
}

const admin = [{ resource: 'resource:*', actions: ['*'], admin: true, via: [] }];
const source = (s: string, unknown: boolean, confirmed = false) => ({
  source: s,
  firstSeen: unknown ? NOW - 3 * DAY : NOW - 100 * DAY,
  lastSeen: NOW - DAY,
  count: 10,
  unknown,
  ...(confirmed ? { confirmed } : {}),
});

describe('risk scoring order (what an incident responder does first)', () => {
  // In the order a responder would take them.
  const ranked: IdentityProfile[] = [
    identity('leaked-admin-used-by-stranger', {
      grants: admin,
      reachable: ['resource:*'],
      credentials: [
        credential({
          leaks: [leak('public')],
          exposure: 'leaked-in-use-unknown-source',
          sources: [source('network:10.0.0.5', false), source('network:203.0.113.9', true, true)],
        }),
      ],
    }),
    identity('leaked-readonly-used-by-stranger', {
      credentials: [
        credential({
          leaks: [leak('private')],
          exposure: 'leaked-in-use-unknown-source',
          sources: [source('network:203.0.113.9', true, true)],
        }),
      ],
    }),
    identity('leaked-admin-valid-owner-only', {
      grants: admin,
      reachable: ['resource:*'],
      credentials: [
        credential({
          leaks: [leak('private')],
          exposure: 'leaked-in-use-by-owner',
          sources: [source('network:10.0.0.5', false)],
        }),
      ],
    }),
    identity('admin-with-critical-alert', {
      grants: admin,
      reachable: ['resource:*'],
      alerts: [{ uid: 'a1', detectionId: 'runtime.identity.privilege-escalation', severity: 'critical', lastSeen: NOW - DAY }],
    }),
    identity('leaked-public-never-used', {
      credentials: [credential({ leaks: [leak('public')], exposure: 'leaked-never-seen' })],
    }),
    identity('leaked-private-history-never-used', {
      credentials: [credential({ leaks: [leak('private', true)], exposure: 'leaked-never-seen' })],
    }),
    identity('quiet-readonly'),
    identity('leaked-revoked', {
      lastActive: NOW - 200 * DAY,
      credentials: [credential({ leaks: [leak('public')], exposure: 'leaked-revoked', revokedAt: NOW - 5 * DAY })],
    }),
  ];

  test('scores fall in that order, whatever order the profiles come in', () => {
    const scores = ranked.map((p) => scoreIdentity(p, NOW).score);
    for (let i = 1; i < scores.length; i++)
      assert.ok(
        scores[i - 1]! > scores[i]!,
        `${ranked[i - 1]!.label} (${scores[i - 1]}) should outrank ${ranked[i]!.label} (${scores[i]})`,
      );
    const shuffled = [...ranked].reverse().sort((a, b) => scoreIdentity(b, NOW).score - scoreIdentity(a, NOW).score);
    assert.deepEqual(
      shuffled.map((p) => p.label),
      ranked.map((p) => p.label),
    );
  });

  test('floors: a live cloud key leaked publicly and a critical alert are at least high, before any runtime evidence', () => {
    const band = (label: string) => scoreIdentity(ranked.find((p) => p.label === label)!, NOW).band;
    // In the ranked order above, both sit in the high band now (they scored low/medium by product alone).
    assert.equal(band('leaked-public-never-used'), 'high');
    assert.equal(band('admin-with-critical-alert'), 'high');
    const lowly = identity('readonly-self-escalated', {
      alerts: [{ uid: 'a9', detectionId: 'runtime.identity.privilege-escalation', severity: 'critical', lastSeen: NOW - DAY }],
    });
    const s = scoreIdentity(lowly, NOW);
    assert.ok(s.score >= 50, String(s.score));
    assert.match(s.factors[0]!.reasons.join(' '), /critical alert on the identity: at least high/);
    // Not floored: a private leak, a session key (expires within hours), a revoked key, a high alert.
    const notFloored = [
      identity('private-leak', { credentials: [credential({ leaks: [leak('private')], exposure: 'leaked-never-seen' })] }),
      identity('session-key', {
        credentials: [
          credential({ id: 'credential:aws-key:ASIAEXAMPLEEXAMPLE01', leaks: [leak('public')], exposure: 'leaked-never-seen' }),
        ],
      }),
      identity('high-alert', {
        alerts: [{ uid: 'a8', detectionId: 'runtime.credential.new-source', severity: 'high', lastSeen: NOW - DAY }],
      }),
    ];
    for (const p of notFloored) assert.ok(scoreIdentity(p, NOW).score < 50, p.label);
    // The finding ranks the same way: a public AWS key id with its secret is at least high on its own.
    const finding = scoreCredential(credential({ leaks: [leak('public')], exposure: 'leaked-never-seen' }), undefined, NOW);
    assert.equal(finding.band, 'high');
  });

  test('no privilege, alert or reach lifts a leak its owner alone uses above a stranger using one', () => {
    const loudest = identity('owner-only-everything', {
      grants: admin,
      reachable: ['resource:*'],
      derivable: ['identity:a', 'identity:b', 'identity:c', 'identity:d'],
      lastActive: NOW - 1000,
      humanUse: ['console'],
      alerts: [{ uid: 'a', detectionId: 'runtime.identity.privilege-escalation', severity: 'critical', lastSeen: NOW }],
      credentials: [
        credential({ leaks: [leak('public')], exposure: 'leaked-in-use-by-owner', sources: [source('network:10.0.0.5', false)] }),
      ],
    });
    const quietest = identity('stranger-readonly-idle', {
      lastActive: NOW - 80 * DAY,
      reachable: [],
      credentials: [
        credential({
          leaks: [leak('private', true)],
          exposure: 'leaked-in-use-unknown-source',
          sources: [source('network:203.0.113.9', true)],
        }),
      ],
    });
    const a = scoreIdentity(loudest, NOW);
    const b = scoreIdentity(quietest, NOW);
    assert.ok(b.score > a.score, `${b.score} > ${a.score}`);
    assert.equal(b.band, 'critical');
    assert.ok(a.score <= 79 && b.score >= 80);
  });

  test('every factor explains itself', () => {
    const top = scoreIdentity(ranked[0]!, NOW);
    assert.equal(top.band, 'critical');
    assert.deepEqual(
      top.factors.map((f) => f.factor),
      ['exposure', 'privilege', 'activity', 'reachability'],
    );
    assert.match(top.factors[0]!.reasons.join(' '), /public repository acme\/api .*203\.0\.113\.9/);
    assert.match(top.factors[1]!.reasons[0]!, /admin-equivalent/);
    assert.match(top.factors[3]!.reasons[0]!, /every resource/);
  });

  test('a new network the detector did not flag weighs less than one it did', () => {
    const flagged = credential({
      leaks: [leak('private')],
      exposure: 'leaked-in-use-unknown-source',
      sources: [source('network:203.0.113.9', true, true)],
    });
    const unflagged = credential({
      leaks: [leak('private')],
      exposure: 'leaked-in-use-unknown-source',
      sources: [source('network:203.0.113.9', true)],
    });
    assert.ok(scoreCredential(flagged, undefined, NOW).score > scoreCredential(unflagged, undefined, NOW).score);
    // Still above a leak nobody used.
    const never = credential({ leaks: [leak('public')], exposure: 'leaked-never-seen' });
    assert.ok(scoreCredential(unflagged, undefined, NOW).score > scoreCredential(never, undefined, NOW).score);
  });

  test('escalation and sensitive reads rank between admin and read-only', () => {
    const s = (actions: string[]) =>
      scoreIdentity(
        identity('x', { grants: [{ resource: 'resource:arn:aws:iam::1:role/x', actions, admin: false, via: [] }] }),
        NOW,
      ).score;
    assert.ok(s(['iam:PassRole']) > s(['secretsmanager:GetSecretValue']));
    assert.ok(s(['secretsmanager:GetSecretValue']) > s(['s3:PutObject']));
    assert.ok(s(['s3:PutObject']) > s(['s3:ListBucket']));
  });
});

const node = (id: string, kind: string, props: Record<string, unknown> = {}, t = NOW - 50 * DAY): GraphNodeRow => ({
  id,
  kind,
  label: id.slice(id.indexOf(':') + 1),
  props,
  firstSeen: t,
  lastSeen: t,
});
const edge = (
  src: string,
  kind: string,
  dst: string,
  props: Record<string, unknown> = {},
  first = NOW - 50 * DAY,
  last = first,
  count = 1,
): GraphEdgeRow => ({
  src,
  dst,
  kind,
  props,
  count,
  firstSeen: first,
  lastSeen: last,
});

describe('profiles from graph rows', () => {
  const role = 'identity:arn:aws:iam::123456789012:role/deploy';
  const iacRole = 'identity:arn:aws:iam::*:role/deploy';
  const key = 'credential:aws-key:AKIAEXAMPLEEXAMPLE02';
  const nodes = [
    node(role, 'identity', { type: 'iam-role' }),
    node(iacRole, 'identity', { declared: true }),
    node('identity:arn:aws:iam::*:role/admin', 'identity', { declared: true }),
    node('identity:arn:aws:iam::123456789012:user/ci', 'identity', { type: 'iam-user' }),
    node(key, 'credential', { found: true }),
    node('repository:acme/api', 'repository', { visibility: 'public', treeScanned: true }),
    node('owner:payments', 'owner'),
  ];
  const leakAt = NOW - 10 * DAY;
  const edges = [
    edge('finding:f', 'detected', key),
    edge('finding:f', 'found-in', 'repository:acme/api', {
      path: 'a.env',
      line: 1,
      commit: 'c0ffee',
      exposedAt: leakAt,
      findingId: 'f',
      ruleId: 'r',
      severity: 'high',
    }),
    edge(key, 'credential-of', 'identity:arn:aws:iam::123456789012:user/ci', {}, NOW - 40 * DAY, NOW - DAY, 30),
    // Home network before the leak; a neighbour address after it (same /24); a stranger after it.
    edge(key, 'used', 'network:10.0.0.5', {}, NOW - 40 * DAY, NOW - DAY, 20),
    edge(key, 'used', 'network:10.0.0.77', {}, NOW - 5 * DAY, NOW - DAY, 5),
    edge(key, 'used', 'network:203.0.113.9', {}, NOW - 2 * DAY, NOW - DAY, 5),
    edge('identity:arn:aws:iam::123456789012:user/ci', 'assumes', iacRole, {}),
    edge(iacRole, 'assumes', 'identity:arn:aws:iam::*:role/admin', {}),
    edge(iacRole, 'can-access', 'resource:arn:aws:s3:::artifacts/*', { actions: ['s3:PutObject'] }),
    edge('identity:arn:aws:iam::*:role/admin', 'has-policy', 'policy:aws-policy:AdministratorAccess', {}),
    edge('policy:aws-policy:AdministratorAccess', 'can-access', 'resource:*', { actions: ['*'], admin: true }),
    edge(iacRole, 'owned-by', 'owner:payments', {}),
    edge('identity:arn:aws:iam::123456789012:user/ci', 'performed', 'action:s3:GetObject', {}, NOW - 40 * DAY, NOW - DAY, 25),
  ];

  test('an IaC role written without its account folds into the role the logs name', () => {
    assert.deepEqual([...resolveAliases([role, iacRole, 'identity:arn:aws:iam::*:role/none'])], [[iacRole, role]]);
    const { identities } = assembleProfiles({ nodes, edges, alerts: [] });
    const deploy = identities.find((p) => p.id === role)!;
    assert.deepEqual(deploy.owners, ['payments']);
    assert.ok(!identities.some((p) => p.id === iacRole));
  });

  test('grants follow assume chains and policies, with the path', () => {
    const { identities } = assembleProfiles({ nodes, edges, alerts: [] });
    const ci = identities.find((p) => p.label.endsWith('user/ci'))!;
    assert.deepEqual(ci.derivable, [role, 'identity:arn:aws:iam::*:role/admin']);
    const adminGrant = ci.grants.find((g) => g.admin)!;
    assert.deepEqual(adminGrant.via, [role, 'identity:arn:aws:iam::*:role/admin', 'policy:aws-policy:AdministratorAccess']);
    assert.ok(ci.reachable.includes('resource:*'));
    assert.equal(scoreIdentity(ci, NOW).factors[1]!.weight, 5);
  });

  test('exposure: a new address in the home /24 is the owner, a stranger is not; a new-source alert confirms', () => {
    assert.equal(networkOf('network:10.0.0.77'), 'network:10.0.0.0/24');
    assert.equal(networkOf('network:2001:db8:1:2:3::9'), 'network:2001:db8:1:2::/64');
    const { credentials } = assembleProfiles({ nodes, edges, alerts: [] });
    const c = credentials.find((x) => x.id === key)!;
    assert.equal(c.exposure, 'leaked-in-use-unknown-source');
    assert.deepEqual(
      c.sources.filter((s) => s.unknown).map((s) => s.source),
      ['network:203.0.113.9'],
    );
    assert.equal(c.leaks[0]!.historyOnly, true, 'found by a git scan, absent from the scanned tree');
    const withAlert = assembleProfiles({
      nodes,
      edges,
      alerts: [
        {
          uid: 'u',
          detectionId: 'runtime.credential.new-source',
          severity: 'high',
          lastSeen: NOW - DAY,
          identity: 'identity:arn:aws:iam::123456789012:user/ci',
          credential: key,
          sources: ['network:203.0.113.9'],
        },
      ],
    });
    assert.equal(withAlert.credentials.find((x) => x.id === key)!.sources.find((s) => s.unknown)!.confirmed, true);
    // Without the stranger, only the owner's network: in use by its owner.
    const owned = assembleProfiles({ nodes, edges: edges.filter((e) => e.dst !== 'network:203.0.113.9'), alerts: [] });
    assert.equal(owned.credentials.find((x) => x.id === key)!.exposure, 'leaked-in-use-by-owner');
  });

  test('blast radius walks credential → identity → assumed roles → policies → resources, with paths', async () => {
    const all = [...edges, edge('workload:ci-runner', 'runs-as', 'identity:arn:aws:iam::123456789012:user/ci')];
    const read = async (n: string, dir: 'out' | 'in', kinds: readonly string[]) =>
      all.filter((e) => (dir === 'out' ? e.src === n : e.dst === n) && kinds.includes(e.kind));
    const fromKey = await blastRadius(key, read);
    assert.deepEqual(
      fromKey.identities.map((n) => n.id),
      ['identity:arn:aws:iam::123456789012:user/ci', iacRole, 'identity:arn:aws:iam::*:role/admin'],
    );
    const star = fromKey.resources.find((r) => r.id === 'resource:*')!;
    assert.equal(star.admin, true);
    assert.deepEqual(
      star.path.map((s) => s.kind),
      ['credential-of', 'assumes', 'assumes', 'has-policy', 'can-access'],
    );
    const fromWorkload = await blastRadius('workload:ci-runner', read);
    assert.deepEqual(
      fromWorkload.credentials.map((n) => n.id),
      [key],
    );
    const shallow = await blastRadius(key, read, { maxDepth: 2 });
    assert.equal(shallow.truncated, true);
    assert.ok(!shallow.resources.some((r) => r.id === 'resource:*'));
  });
});
