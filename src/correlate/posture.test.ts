import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRefsResolve, resolveRef } from '../frameworks/index.js';
import {
  actionCovers,
  GRAPH_CHECKS,
  type GraphPostureFinding,
  type GraphPostureOptions,
  graphPosture,
  loadGraphPostureRules,
} from './posture.js';
import type { CredentialProfile, Grant, IdentityProfile } from './profile.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T00:00:00Z');

/** A well-kept identity that no rule reports; tests override what they are about. */
function identity(over: Partial<IdentityProfile> = {}): IdentityProfile {
  return {
    id: 'identity:aws:role/app',
    label: 'app',
    type: 'iam-role',
    firstSeen: NOW - 200 * DAY,
    lastSeen: NOW - DAY,
    lastActive: NOW - DAY,
    owners: ['team-payments'],
    workloads: ['workload:k8s:prod/app'],
    environments: ['prod'],
    credentials: [],
    grants: [grant('resource:arn:aws:s3:::bucket/*', ['s3:GetObject', 's3:PutObject'])],
    actions: [action('s3:GetObject'), action('s3:PutObject')],
    used: [],
    assumes: [],
    derivable: [],
    reachable: [],
    alerts: [],
    humanUse: [],
    ...over,
  };
}

function credential(over: Partial<CredentialProfile> = {}): CredentialProfile {
  return {
    id: 'credential:aws:AKIA-hash',
    label: 'AKIA…MPLE',
    type: 'aws-access-key',
    firstSeen: NOW - 10 * DAY,
    lastSeen: NOW - DAY,
    leaks: [],
    sources: [],
    exposure: 'not-leaked',
    longLived: true,
    ...over,
  };
}

function grant(resource: string, actions: string[], admin = false): Grant {
  return { resource, actions, admin, via: [] };
}

function action(name: string, count = 10) {
  return { action: name, count, lastSeen: NOW - DAY };
}

function run(profiles: IdentityProfile[], options: Partial<GraphPostureOptions> = {}): GraphPostureFinding[] {
  return graphPosture(profiles, { now: NOW, ...options });
}

const ruleIds = (fs: GraphPostureFinding[]) => fs.map((f) => f.ruleId);
const only = (fs: GraphPostureFinding[], ruleId: string) => fs.filter((f) => f.ruleId === ruleId);

test('a well-kept identity has no findings', () => {
  assert.deepEqual(run([identity()]), []);
});

describe('rule data', () => {
  test('every check has a rule and every rule a check', () => {
    assert.deepEqual([...loadGraphPostureRules().keys()].sort(), GRAPH_CHECKS.map((c) => c.id).sort());
  });

  test("every rule's framework references resolve in the catalogues", () => {
    const rules = [...loadGraphPostureRules().values()];
    assert.doesNotThrow(() => assertRefsResolve(rules));
    for (const r of rules) for (const ref of r.frameworks) assert.ok(resolveRef(ref), `${r.id}: ${ref}`);
    assert.equal(resolveRef('owasp-nhi/NHI1:2025')?.control.title, 'Improper Offboarding');
  });

  test('findings carry the rule metadata', () => {
    const [f] = run([identity({ owners: [] })]);
    const rule = loadGraphPostureRules().get('graph.identity.no-owner')!;
    assert.equal(f?.title, rule.title);
    assert.equal(f?.severity, rule.severity);
    assert.equal(f?.remediation, rule.remediation);
    assert.deepEqual(f?.frameworks, rule.frameworks);
  });
});

describe('graph.identity.stale', () => {
  const id = 'graph.identity.stale';
  const creds = [credential({ issuedAt: NOW - 10 * DAY })];

  test('inactive for more than staleDays with a live credential fires; exactly staleDays does not', () => {
    const fired = only(run([identity({ lastActive: NOW - 91 * DAY, credentials: creds })]), id);
    assert.equal(fired.length, 1);
    assert.equal(fired[0]!.subject, 'identity:aws:role/app');
    assert.equal(fired[0]!.evidence.days, 91);
    assert.equal(fired[0]!.evidence.lastActive, new Date(NOW - 91 * DAY).toISOString());
    assert.deepEqual(fired[0]!.evidence.liveCredentials, ['credential:aws:AKIA-hash']);
    assert.deepEqual(only(run([identity({ lastActive: NOW - 90 * DAY, credentials: creds })]), id), []);
    assert.equal(only(run([identity({ lastActive: NOW - 90 * DAY - 1, credentials: creds })]), id).length, 1);
  });

  test('staleDays is configurable', () => {
    const p = identity({ lastActive: NOW - 31 * DAY });
    assert.equal(only(run([p], { staleDays: 30 }), id).length, 1);
    assert.deepEqual(only(run([p]), id), []);
  });

  test('never active: judged from when it was declared', () => {
    const never = identity({ lastActive: undefined, actions: [], firstSeen: NOW - 120 * DAY });
    const [f] = only(run([never]), id);
    assert.equal(f?.evidence.lastActive, null);
    assert.match(f!.message, /declared 120 days ago and never seen acting/);
    assert.deepEqual(only(run([identity({ lastActive: undefined, actions: [], firstSeen: NOW - 90 * DAY })]), id), []);
  });

  test('nothing left to take away: revoked or expired credentials and no grants do not fire', () => {
    const dead = [credential({ revokedAt: NOW - 5 * DAY }), credential({ id: 'credential:b', expiresAt: NOW - DAY })];
    assert.deepEqual(only(run([identity({ lastActive: NOW - 200 * DAY, grants: [], credentials: dead })]), id), []);
    // grants alone are enough to keep it dangerous
    assert.equal(only(run([identity({ lastActive: NOW - 200 * DAY, credentials: dead })]), id).length, 1);
  });
});

describe('graph.credential.long-lived', () => {
  const id = 'graph.credential.long-lived';

  test('older than the limit fires once per credential, with its age; exactly the limit does not', () => {
    const old = credential({ issuedAt: NOW - 400 * DAY, firstSeen: NOW - 100 * DAY });
    const [f, ...rest] = only(run([identity({ credentials: [old] })]), id);
    assert.deepEqual(rest, []);
    assert.equal(f?.subject, 'credential:aws:AKIA-hash');
    assert.equal(f?.evidence.ageDays, 400); // issuedAt wins over firstSeen
    assert.match(f!.message, /AKIA…MPLE/);
    assert.deepEqual(only(run([identity({ credentials: [credential({ issuedAt: NOW - 90 * DAY })] })]), id), []);
  });

  test('falls back to firstSeen and honours maxCredentialAgeDays', () => {
    const c = credential({ firstSeen: NOW - 40 * DAY });
    assert.deepEqual(only(run([identity({ credentials: [c] })]), id), []);
    assert.equal(only(run([identity({ credentials: [c] })], { maxCredentialAgeDays: 30 }), id)[0]?.evidence.ageDays, 40);
  });

  test('short-lived, revoked or expired credentials do not fire', () => {
    const base = { issuedAt: NOW - 400 * DAY };
    const cs = [
      credential({ ...base, id: 'credential:a', longLived: false }),
      credential({ ...base, id: 'credential:b', revokedAt: NOW - DAY }),
      credential({ ...base, id: 'credential:c', expiresAt: NOW - DAY }),
    ];
    assert.deepEqual(only(run([identity({ credentials: cs })]), id), []);
  });

  test('a credential held by two identities is one finding naming both', () => {
    const c = credential({ issuedAt: NOW - 400 * DAY });
    const fs = only(run([identity({ credentials: [c] }), identity({ id: 'identity:b', label: 'b', credentials: [c] })]), id);
    assert.equal(fs.length, 1);
    assert.deepEqual(fs[0]!.evidence.identities, ['identity:aws:role/app', 'identity:b']);
  });
});

describe('graph.identity.no-owner', () => {
  test('a non-human identity without owners fires; one with owners, or a human user, does not', () => {
    assert.deepEqual(ruleIds(run([identity({ owners: [] })])), ['graph.identity.no-owner']);
    assert.deepEqual(run([identity({ owners: [], type: 'user' })]), []);
  });
});

describe('graph.identity.over-privileged', () => {
  const id = 'graph.identity.over-privileged';

  test('wildcard matching: service and global wildcards cover, case-insensitively; other services do not', () => {
    assert.ok(actionCovers('s3:*', 's3:GetObject'));
    assert.ok(actionCovers('*', 'ec2:RunInstances'));
    assert.ok(actionCovers('s3:Get*', 's3:getobject'));
    assert.ok(actionCovers('s3:Get?bject', 's3:GetObject'));
    assert.ok(!actionCovers('s3:*', 'sqs:SendMessage'));
    assert.ok(!actionCovers('s3:Get*', 's3:PutObject'));
    assert.ok(!actionCovers('s3.GetObject', 's3xGetObject')); // `.` is literal, not a regex dot
  });

  test('an unused admin grant fires high with a suggestion of what it used', () => {
    const p = identity({
      grants: [grant('resource:*', ['*'], true)],
      actions: [action('s3:PutObject'), action('s3:GetObject'), action('sqs:SendMessage')],
    });
    const [f] = only(run([p]), id);
    assert.equal(f?.severity, 'high');
    assert.ok((f!.evidence.reasons as string[]).includes('admin-grant-unused'));
    assert.deepEqual(f!.evidence.granted, ['*']);
    assert.deepEqual(f!.evidence.unusedActions, []);
    assert.deepEqual(f!.evidence.suggestion, [
      { resource: 'resource:*', actions: ['s3:GetObject', 's3:PutObject', 'sqs:SendMessage'] },
    ]);
    assert.deepEqual(f!.evidence.suggestedActions, ['s3:GetObject', 's3:PutObject', 'sqs:SendMessage']);
  });

  test('an admin grant it needs (IAM writes seen, many of them) is not reported as unused admin', () => {
    const used = Array.from({ length: 25 }, (_, i) => action(`iam:CreateUser${i}`));
    assert.deepEqual(only(run([identity({ grants: [grant('resource:*', ['*'], true)], actions: used })]), id), []);
  });

  test('fewer than half of its explicit actions used fires medium; exactly half does not', () => {
    const granted = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket'];
    const one = identity({ grants: [grant('resource:arn:aws:s3:::b/*', granted)], actions: [action('s3:GetObject')] });
    const [f] = only(run([one]), id);
    assert.equal(f?.severity, 'medium');
    assert.deepEqual(f!.evidence.reasons, ['most-granted-actions-unused']);
    assert.deepEqual(f!.evidence.unusedActions, ['s3:DeleteObject', 's3:ListBucket', 's3:PutObject']);
    assert.deepEqual(f!.evidence.used, ['s3:GetObject']);
    const two = identity({
      grants: [grant('resource:arn:aws:s3:::b/*', granted)],
      actions: [action('s3:GetObject'), action('s3:PutObject')],
    });
    assert.deepEqual(only(run([two]), id), []);
  });

  test('a whole-service wildcard with a small explicit use fires; a narrow wildcard does not', () => {
    const wide = identity({ grants: [grant('resource:arn:aws:s3:::b/*', ['s3:*'])], actions: [action('s3:GetObject')] });
    const [f] = only(run([wide]), id);
    assert.deepEqual(f?.evidence.reasons, ['wildcard-grant-small-use']);
    assert.deepEqual(f?.evidence.suggestedActions, ['s3:GetObject']);
    const narrow = identity({ grants: [grant('resource:arn:aws:s3:::b/*', ['s3:Get*'])], actions: [action('s3:GetObject')] });
    assert.deepEqual(only(run([narrow]), id), []);
  });

  test('the suggestion is grouped by resource, sorted, and leaves out used actions no grant covers', () => {
    const p = identity({
      grants: [
        grant('resource:arn:aws:s3:::logs/*', ['s3:*']),
        grant('resource:arn:aws:sqs:us-east-1:1:jobs', ['sqs:SendMessage', 'sqs:DeleteQueue', 'sqs:PurgeQueue']),
        grant('resource:arn:aws:s3:::archive/*', ['s3:*']), // never touched: dropped, logs/* covers the same actions
      ],
      actions: [action('sqs:SendMessage'), action('s3:PutObject'), action('s3:GetObject'), action('kms:Decrypt')],
      used: [
        { resource: 'resource:arn:aws:s3:::logs/2026/06/01.gz', count: 3, lastSeen: NOW - DAY },
        { resource: 'resource:arn:aws:sqs:us-east-1:1:jobs', count: 3, lastSeen: NOW - DAY },
      ],
    });
    const [f] = only(run([p]), id);
    assert.deepEqual(f?.evidence.suggestion, [
      { resource: 'resource:arn:aws:s3:::logs/*', actions: ['s3:GetObject', 's3:PutObject'] },
      { resource: 'resource:arn:aws:sqs:us-east-1:1:jobs', actions: ['sqs:SendMessage'] },
    ]);
    assert.deepEqual(f?.evidence.suggestedActions, ['s3:GetObject', 's3:PutObject', 'sqs:SendMessage']);
    assert.deepEqual(f?.evidence.unusedActions, ['sqs:DeleteQueue', 'sqs:PurgeQueue']);
  });

  test('without activity data it cannot tell, so it stays silent', () => {
    const p = identity({ grants: [grant('resource:*', ['*'], true)], actions: [] });
    assert.deepEqual(only(run([p]), id), []);
  });
});

describe('graph.identity.shared-workloads and graph.identity.cross-environment', () => {
  test('two workloads fire medium; one does not', () => {
    const p = identity({ workloads: ['workload:k8s:prod/b', 'workload:k8s:prod/a', 'workload:k8s:prod/a'] });
    const [f] = only(run([p]), 'graph.identity.shared-workloads');
    assert.equal(f?.severity, 'medium');
    assert.deepEqual(f?.evidence.workloads, ['workload:k8s:prod/a', 'workload:k8s:prod/b']);
    assert.deepEqual(only(run([identity()]), 'graph.identity.shared-workloads'), []);
  });

  test('production with a lower environment is high; two lower environments medium; one none', () => {
    const id = 'graph.identity.cross-environment';
    const [mixed] = only(run([identity({ environments: ['staging', 'prod'] })]), id);
    assert.equal(mixed?.severity, 'high');
    assert.deepEqual(mixed?.evidence.production, ['prod']);
    assert.deepEqual(mixed?.evidence.nonProduction, ['staging']);
    const [lower] = only(run([identity({ environments: ['dev', 'preprod'] })]), id);
    assert.equal(lower?.severity, 'medium');
    assert.deepEqual(lower?.evidence.production, []); // preprod is not production
    assert.deepEqual(only(run([identity({ environments: ['prod', 'prod'] })]), id), []);
  });
});

describe('graph.identity.human-use', () => {
  test('human use of a non-human identity fires; of a user identity it does not', () => {
    const ua = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari';
    const [f] = only(run([identity({ humanUse: [ua, ua] })]), 'graph.identity.human-use');
    assert.equal(f?.evidence.count, 2);
    assert.deepEqual(f?.evidence.humanUse, [ua]);
    assert.ok(f!.message.length < ua.length + 200);
    assert.deepEqual(run([identity({ type: 'user', humanUse: [ua] })]), []);
  });
});

describe('output', () => {
  const fleet = (): IdentityProfile[] => [
    identity({ id: 'identity:z', owners: [], environments: ['dev', 'prod'] }),
    identity({ id: 'identity:a', owners: [], humanUse: ['aws-console'] }),
    identity({
      id: 'identity:m',
      grants: [grant('resource:*', ['*'], true)],
      credentials: [credential({ issuedAt: NOW - 500 * DAY })],
    }),
  ];

  test('ordered by severity, then rule id, then subject', () => {
    const fs = run(fleet());
    assert.deepEqual(
      fs.map((f) => `${f.severity} ${f.ruleId} ${f.subject}`),
      [
        'high graph.identity.cross-environment identity:z',
        'high graph.identity.over-privileged identity:m',
        'medium graph.credential.long-lived credential:aws:AKIA-hash',
        'medium graph.identity.human-use identity:a',
        'low graph.identity.no-owner identity:a',
        'low graph.identity.no-owner identity:z',
      ],
    );
  });

  test('deterministic: input order and repetition do not change the output', () => {
    const a = run(fleet());
    const b = run(fleet().reverse());
    assert.deepEqual(JSON.parse(JSON.stringify(b)), JSON.parse(JSON.stringify(a)));
    assert.deepEqual(run(fleet()), a);
  });

  test('options are checked', () => {
    assert.throws(() => run([identity()], { staleDays: 0 }), { code: 'WARDEN_CONFIG_INVALID' });
    assert.throws(() => run([identity()], { maxCredentialAgeDays: Number.NaN }), { code: 'WARDEN_CONFIG_INVALID' });
  });
});
