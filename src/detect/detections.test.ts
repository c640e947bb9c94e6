import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Alert } from '../model/alert.js';
import { DetectConfigSchema } from '../model/config.js';
import type { IdentityEvent } from '../model/identity-event.js';
import { createDetector, type DetectorOptions } from './engine.js';
import { exceptionsForExpectedChange } from './learned.js';

const H = 3_600_000;
const START = Date.parse('2026-03-02T00:00:00Z'); // a Monday
let seq = 0;

type Partial2<T> = { [K in keyof T]?: T[K] extends object ? Partial<T[K]> : T[K] };
/** A normalised event with sensible defaults; tests override what they are about. */
function ev(at: number, over: Partial2<IdentityEvent> = {}): IdentityEvent {
  seq++;
  return {
    id: `e${seq}`,
    time: new Date(at).toISOString(),
    source: 'cloudtrail',
    action: 's3:GetObject',
    outcome: 'success',
    tags: [],
    raw: { file: 'test.log', line: seq },
    ...over,
    identity: { id: 'arn:aws:iam::111122223333:role/app', type: 'iam-role', name: 'app', ...over.identity },
    client: { ip: '10.1.2.3', region: 'us-east-1', userAgent: 'aws-sdk-go-v2/1.30.3', ...over.client },
  } as IdentityEvent;
}

function run(events: IdentityEvent[], options: DetectorOptions = {}): Alert[] {
  const d = createDetector(options);
  const out: Alert[] = [];
  for (const e of [...events].sort((a, b) => Date.parse(a.time) - Date.parse(b.time))) out.push(...d.process(e));
  out.push(...d.finish());
  return out;
}

const ids = (alerts: Alert[]) => alerts.map((a) => a.detectionId);

/** Two days of ordinary business-hours traffic for the default identity. */
function baseline(over: Partial2<IdentityEvent> = {}, days = 3, perHour = 4): IdentityEvent[] {
  const out: IdentityEvent[] = [];
  for (let d = 0; d < days; d++) {
    for (let h = 9; h < 17; h++) for (let i = 0; i < perHour; i++) out.push(ev(START + d * 24 * H + h * H + i * 600_000, over));
  }
  return out;
}
const AFTER = START + 3 * 24 * H + 10 * H; // day 4, 10:00

describe('runtime.credential.new-source', () => {
  test('a public network and region never seen alert; a pod IP in the same /16 does not', () => {
    const alerts = run([
      ...baseline(),
      ev(AFTER, { client: { ip: '203.0.113.50', region: 'ap-southeast-1', userAgent: 'curl/8.5' } }),
    ]);
    const a = alerts.find((x) => x.detectionId === 'runtime.credential.new-source');
    assert.ok(a, ids(alerts).join());
    assert.equal(a.severity, 'high');
    assert.equal(a.anomaly?.pattern, 'UNSEEN');
    assert.deepEqual(ids(run([...baseline(), ev(AFTER, { client: { ip: '10.1.200.9' } })])), []);
  });
  test('a new identity in warm-up does not alert on its first sources', () => {
    const fresh = { identity: { id: 'arn:aws:iam::111122223333:role/new', name: 'new', type: 'iam-role' as const } };
    assert.deepEqual(ids(run([ev(AFTER, fresh), ev(AFTER + 60_000, { ...fresh, client: { ip: '198.51.100.7' } })])), []);
  });
});

describe('non-human by usage', () => {
  const pat = { key: 'c2hhMjU2LXRva2Vu', type: 'github-pat-classic', lifecycle: 'used' as const };
  const machine = {
    source: 'github-audit' as const,
    identity: { id: 'svc-build', type: 'user' as const, name: 'svc-build' },
    credential: pat,
    action: 'git.clone',
    client: { ip: '192.0.2.10', userAgent: 'git/2.45.2' },
  };
  const clones = (ip: string) =>
    Array.from({ length: 20 }, (_, i) =>
      ev(AFTER + i * 10_000, {
        ...machine,
        client: { ip, userAgent: 'git/2.45.2' },
        resource: { type: 'repo', id: `org/r${i}` },
      }),
    );
  test('a GitHub user that only ever uses a token is judged as a machine: a new country alerts', () => {
    const alerts = run([...baseline(machine), ...clones('198.18.40.7')]);
    assert.ok(ids(alerts).includes('runtime.credential.new-source'), ids(alerts).join());
  });
  test('a person (web sessions, sign-ins) using the same token from a new place does not', () => {
    const person = { ...machine, identity: { id: 'alice', type: 'user' as const, name: 'alice' } };
    const web = ev(START + 9 * H, {
      ...person,
      credential: undefined,
      action: 'repo.update',
      client: { ip: '192.0.2.10', userAgent: 'Mozilla/5.0' },
    });
    const alerts = run([...baseline(person), web, ...clones('198.18.40.7').map((e) => ({ ...e, identity: person.identity }))]);
    assert.ok(!ids(alerts).includes('runtime.credential.new-source'), ids(alerts).join());
  });
});

describe('new sources judged by evidence, and fleet moves folded into one notice', () => {
  const role = (n: string) => ({ identity: { id: `arn:aws:iam::111122223333:role/${n}`, name: n, type: 'iam-role' as const } });
  /** CI roles on one runner pool (198.19.5.0/24), with the usual client and actions. */
  const pool = (n: string) => baseline({ ...role(n), client: { ip: '198.19.5.20' } });
  const moved = (n: string, at: number, over: Partial2<IdentityEvent> = {}) =>
    ev(at, { ...role(n), ...over, client: { ip: '198.19.77.20', ...over.client } });
  const newSource = (alerts: Alert[]) => alerts.filter((a) => a.detectionId === 'runtime.credential.new-source');
  const notices = (alerts: Alert[]) => alerts.filter((a) => a.detectionId === 'runtime.fleet.infrastructure-change');

  test('identities that shared a network and move together with nothing else changed raise one low notice naming them all', () => {
    const alerts = run([
      ...pool('ci-a'),
      ...pool('ci-b'),
      ...pool('ci-c'),
      moved('ci-a', AFTER),
      moved('ci-b', AFTER + H),
      moved('ci-c', AFTER + 3 * H),
    ]);
    assert.deepEqual(newSource(alerts), [], ids(alerts).join());
    const [n, ...rest] = notices(alerts);
    assert.ok(n);
    assert.deepEqual(rest, []);
    assert.equal(n.severity, 'low');
    assert.equal(n.count, 3);
    assert.deepEqual(
      n.anomaly?.targets?.map((t) => t.id).sort(),
      ['ci-a', 'ci-b', 'ci-c'].map((x) => role(x).identity.id),
    );
    assert.match(n.message, /3 identities/);
  });

  test('a member that reaches the moved-to network days later joins the move; one that never shared the network does not', () => {
    const alerts = run([
      ...pool('ci-a'),
      ...pool('ci-b'),
      ...pool('ci-c'),
      ...baseline({ ...role('other'), client: { ip: '198.19.9.20' } }),
      moved('ci-a', AFTER),
      moved('ci-b', AFTER + H),
      moved('ci-c', AFTER + 30 * H),
      moved('other', AFTER + 2 * H),
    ]);
    assert.deepEqual(
      newSource(alerts).map((a) => a.identity.name),
      ['other'],
    );
    assert.equal(newSource(alerts)[0]!.severity, 'medium');
  });

  test('one identity alone on a new public network is a medium alert', () => {
    const alerts = run([...pool('ci-a'), ...pool('ci-b'), moved('ci-a', AFTER)]);
    assert.deepEqual(notices(alerts), []);
    assert.equal(newSource(alerts)[0]?.severity, 'medium');
  });

  test('moving with the fleet does not hide a stolen key: a new client and discovery calls alert at high', () => {
    const alerts = run([
      ...pool('ci-a'),
      ...pool('ci-b'),
      ...pool('ci-c'),
      moved('ci-a', AFTER),
      moved('ci-b', AFTER + 60_000, { client: { userAgent: 'curl/8.5' }, action: 'sts:GetCallerIdentity' }),
      moved('ci-c', AFTER + H),
    ]);
    const alert = newSource(alerts);
    assert.deepEqual(
      alert.map((a) => a.identity.name),
      ['ci-b'],
    );
    assert.equal(alert[0]!.severity, 'high');
    const signals = alert[0]!.anomaly?.signals ?? [];
    assert.ok(signals.some((x) => x.includes('client')) && signals.some((x) => x.includes('discovery')), signals.join('; '));
    assert.equal(notices(alerts)[0]?.count, 2);
  });

  test('an absorbed member that turns noisy later becomes an alert of its own', () => {
    const alerts = run([
      ...pool('ci-a'),
      ...pool('ci-b'),
      moved('ci-a', AFTER),
      moved('ci-b', AFTER + H),
      moved('ci-b', AFTER + 9 * H, { action: 'iam:ListUsers' }),
    ]);
    assert.deepEqual(
      newSource(alerts).map((a) => a.identity.name),
      ['ci-b'],
    );
  });

  test('private addresses in a new region with the usual client are at most low', () => {
    const alerts = run([...baseline(), ev(AFTER, { client: { ip: '10.77.1.2', region: 'eu-west-1' } })]);
    assert.equal(newSource(alerts)[0]?.severity, 'low');
  });

  test('a hosting range from the config raises the severity', () => {
    const config = DetectConfigSchema.parse({ hostingNetworks: ['203.0.113.0/24'] });
    const alerts = run([...baseline(), ev(AFTER, { client: { ip: '203.0.113.50' } })], { config });
    assert.equal(newSource(alerts)[0]?.severity, 'high');
  });

  test('a declared change turns matching novelty into a notice, and only inside its networks and time', () => {
    const change = {
      from: new Date(AFTER - H).toISOString(),
      to: new Date(AFTER + 2 * H).toISOString(),
      identities: ['arn:aws:iam::*:role/app'],
      networks: ['203.0.113.0/24'],
      reason: 'CHG-42 egress move',
    };
    const config = DetectConfigSchema.parse({ changes: [change] });
    const inside = run([...baseline(), ev(AFTER, { client: { ip: '203.0.113.50' } })], { config });
    assert.deepEqual(newSource(inside), []);
    assert.match(notices(inside)[0]?.message ?? '', /CHG-42/);
    const elsewhere = run([...baseline(), ev(AFTER, { client: { ip: '198.51.100.50' } })], { config });
    assert.equal(newSource(elsewhere).length, 1);
    const later = run([...baseline(), ev(AFTER + 5 * H, { client: { ip: '203.0.113.50' } })], { config });
    assert.equal(newSource(later).length, 1);
  });

  test('a declared change needs a valid window and someone to apply to', () => {
    const bad = { from: '2026-03-05T00:00:00Z', to: '2026-03-04T00:00:00Z', identities: ['x'], reason: 'r' };
    assert.equal(DetectConfigSchema.safeParse({ changes: [bad] }).success, false);
    const nobody = { from: '2026-03-04T00:00:00Z', to: '2026-03-05T00:00:00Z', reason: 'r' };
    assert.equal(DetectConfigSchema.safeParse({ changes: [nobody] }).success, false);
  });

  test('an alert triaged as expected change teaches an exception for the same identity and source only', () => {
    const first = run([...baseline(), ev(AFTER, { client: { ip: '203.0.113.50' } })]);
    const alert = newSource(first)[0]!;
    const learned = exceptionsForExpectedChange(alert, 'egress moved', 'alice');
    assert.deepEqual(
      learned?.map((x) => [x.identity, x.network]),
      [[alert.identity.id, '203.0.113.0/24']],
    );
    assert.match(learned![0]!.reason!, /alice.*egress moved/);
    const config = DetectConfigSchema.parse({ exceptions: learned });
    assert.deepEqual(newSource(run([...baseline(), ev(AFTER, { client: { ip: '203.0.113.51' } })], { config })), []);
    assert.equal(newSource(run([...baseline(), ev(AFTER, { client: { ip: '198.51.100.9' } })], { config })).length, 1);
    const other = role('other');
    const otherAlerts = run([...baseline(other), ev(AFTER, { ...other, client: { ip: '203.0.113.51' } })], { config });
    assert.equal(newSource(otherAlerts).length, 1);
    // A region novelty teaches a region exception; an alert of another kind teaches nothing.
    const regional = newSource(run([...baseline(), ev(AFTER, { client: { ip: '10.77.1.2', region: 'eu-west-1' } })]))[0]!;
    assert.equal(exceptionsForExpectedChange(regional, 'rollout', 'bob')?.[0]?.region, 'eu-west-1');
    assert.equal(exceptionsForExpectedChange({ ...alert, detectionId: 'runtime.identity.rate-spike' }, 'x', 'y'), undefined);
  });

  test('a fleet notice triaged as expected change teaches one exception per identity it names', () => {
    const alerts = run([...pool('ci-a'), ...pool('ci-b'), moved('ci-a', AFTER), moved('ci-b', AFTER + H)]);
    const learned = exceptionsForExpectedChange(notices(alerts)[0]!, 'pool move', 'alice');
    assert.deepEqual(learned?.map((x) => x.identity).sort(), [role('ci-a').identity.id, role('ci-b').identity.id]);
  });

  test('following live logs, a quiet novelty waits out the fleet window, a noisy one alerts at once', () => {
    const d = createDetector({ emit: 'first' });
    for (const e of [...pool('ci-a'), ...pool('ci-b')].sort((a, b) => Date.parse(a.time) - Date.parse(b.time))) d.process(e);
    assert.deepEqual(ids(d.process(moved('ci-a', AFTER))), []);
    const noisy = d.process(moved('ci-b', AFTER + 60_000, { client: { userAgent: 'curl/8.5' } }));
    assert.deepEqual(ids(noisy), ['runtime.credential.new-source']);
    // ci-a alone (ci-b was noisy, so no fleet): its alert comes when the window has passed.
    const later = d.process(ev(AFTER + 7 * H, role('ci-a')));
    assert.deepEqual(
      later.map((a) => [a.detectionId, a.identity.name]),
      [['runtime.credential.new-source', 'ci-a']],
    );
  });
});

describe('runtime.credential.reuse-after-revocation', () => {
  const vault = {
    source: 'vault' as const,
    identity: { id: 'entity-1', type: 'vault-token' as const, name: 'payments' },
    action: 'vault:read',
  };
  const used = { key: 'hmac-sha256:aa', type: 'vault-accessor', lifecycle: 'used' as const };
  test('a revoked accessor presented again is critical', () => {
    const revoke = ev(START + 2 * H, {
      ...vault,
      action: 'vault:update',
      tags: ['credential.revoked'],
      credential: { key: 'hmac-sha256:ops', type: 'vault-accessor', lifecycle: 'revoked', subject: 'hmac-sha256:aa' },
      identity: { id: 'ops', type: 'vault-token' },
    });
    const alerts = run([
      ev(START + H, { ...vault, credential: used }),
      revoke,
      ev(START + 3 * H, { ...vault, credential: used, client: { ip: '198.51.100.9' } }),
    ]);
    const a = alerts.find((x) => x.detectionId === 'runtime.credential.reuse-after-revocation');
    assert.ok(a, ids(alerts).join());
    assert.equal(a.severity, 'critical');
    assert.equal(a.credential?.key, 'hmac-sha256:aa');
  });
  test('a token revoked before its holder ever used it, presented by nobody, is about whoever logged in for it', () => {
    const login = ev(START + H, {
      ...vault,
      action: 'vault:update',
      tags: ['auth.login', 'credential.issued'],
      credential: { key: 'hmac-sha256:aa', type: 'vault-accessor', lifecycle: 'issued', subject: 'hmac-sha256:aa' },
    });
    const revoke = ev(START + 2 * H, {
      ...vault,
      action: 'vault:update',
      tags: ['credential.revoked'],
      credential: { key: 'hmac-sha256:ops', type: 'vault-accessor', lifecycle: 'revoked', subject: 'hmac-sha256:aa' },
      identity: { id: 'ops', type: 'vault-token' },
    });
    const reuse = ev(START + 3 * H, {
      ...vault,
      outcome: 'failure',
      identity: { id: 'unauthenticated', type: 'vault-token' },
      credential: used,
      client: { ip: '198.51.100.9' },
    });
    const a = run([login, revoke, reuse]).find((x) => x.detectionId === 'runtime.credential.reuse-after-revocation');
    assert.equal(a?.identity.id, 'entity-1');
    assert.equal(a?.identity.name, 'payments');
    // Without the login nobody is known to hold it: the alert names the log's actor.
    const b = run([revoke, reuse]).find((x) => x.detectionId === 'runtime.credential.reuse-after-revocation');
    assert.equal(b?.identity.id, 'unauthenticated');
  });

  test("a revocation learnt from another partition's copy reaches the key; a failed one or a plain use teaches nothing", () => {
    const revoke = (outcome: IdentityEvent['outcome']) =>
      ev(START + 2 * H, {
        ...vault,
        action: 'vault:update',
        outcome,
        tags: outcome === 'failure' ? [] : ['credential.revoked'],
        credential: { key: 'hmac-sha256:ops', type: 'vault-accessor', lifecycle: 'revoked', subject: 'hmac-sha256:aa' },
        identity: { id: 'ops', type: 'vault-token' },
      });
    const partition = (copy: IdentityEvent | undefined) => {
      const d = createDetector();
      const out = d.process(ev(START + H, { ...vault, credential: used }));
      if (copy !== undefined) d.learnRevocation(copy);
      out.push(...d.process(ev(START + 3 * H, { ...vault, credential: used, client: { ip: '198.51.100.9' } })));
      out.push(...d.finish());
      // The copy is no event of this partition: the revoking identity is not known here.
      assert.equal(d.stats.events, 2);
      return ids(out);
    };
    assert.deepEqual(partition(revoke('success')), ['runtime.credential.reuse-after-revocation']);
    assert.deepEqual(partition(revoke('failure')), []);
    assert.deepEqual(partition(ev(START + 2 * H, { ...vault, credential: used })), []);
    assert.deepEqual(partition(undefined), []);
  });

  test('use before the revocation is fine; the provider reporting token reuse alerts', () => {
    assert.deepEqual(ids(run([ev(START + H, { ...vault, credential: used })])), []);
    const okta = ev(START, {
      source: 'okta',
      identity: { id: 'app1', type: 'app' },
      action: 'app.oauth2.as.token.detect_reuse',
      tags: ['credential.reuse-detected', 'credential.used'],
      credential: { key: 'app1', type: 'okta-oauth2-client', lifecycle: 'used', subject: 'RT.x' },
    });
    assert.deepEqual(ids(run([okta])), ['runtime.credential.reuse-after-revocation']);
  });
});

describe('runtime.credential.rotated-still-used', () => {
  const user = { identity: { id: 'arn:aws:iam::111122223333:user/deployer', type: 'iam-user' as const, name: 'deployer' } };
  // As the CloudTrail parser marks them: an AKIA key is long-term (a newer one rotates it out).
  const k1 = { key: 'AKIAAAAAAAAAAAAAAAA1', type: 'aws-access-key', lifecycle: 'used' as const, longTerm: true };
  test('a deactivated key presented again is high', () => {
    const off = ev(START + 2 * H, {
      ...user,
      action: 'iam:UpdateAccessKey',
      tags: ['credential.deactivated'],
      credential: { ...k1, lifecycle: 'deactivated', subject: k1.key },
    });
    const alerts = run([
      ev(START + H, { ...user, credential: k1 }),
      off,
      ev(START + 3 * H, { ...user, credential: k1, outcome: 'failure', reason: 'InvalidClientTokenId' }),
    ]);
    assert.deepEqual(ids(alerts), ['runtime.credential.rotated-still-used']);
    assert.equal(alerts[0]!.severity, 'high');
  });
  test('an old key still used a day after its replacement was issued is medium; within the grace period it is not', () => {
    const issue = ev(START + 2 * H, {
      ...user,
      action: 'iam:CreateAccessKey',
      tags: ['credential.issued'],
      credential: { ...k1, lifecycle: 'issued', subject: 'AKIAAAAAAAAAAAAAAAA2' },
    });
    const late = run([ev(START + H, { ...user, credential: k1 }), issue, ev(START + 30 * H, { ...user, credential: k1 })]);
    assert.ok(
      late.some((a) => a.detectionId === 'runtime.credential.rotated-still-used' && a.severity === 'medium'),
      ids(late).join(),
    );
    const soon = run([ev(START + H, { ...user, credential: k1 }), issue, ev(START + 3 * H, { ...user, credential: k1 })]);
    assert.ok(!soon.some((a) => a.detectionId === 'runtime.credential.rotated-still-used'));
  });
});

describe('runtime.identity.privilege-escalation', () => {
  const ci = { identity: { id: 'arn:aws:iam::111122223333:role/ci-deployer', type: 'iam-role' as const, name: 'ci-deployer' } };
  test('a CI role attaching AdministratorAccess to itself is critical', () => {
    const e = ev(AFTER, {
      ...ci,
      action: 'iam:AttachRolePolicy',
      tags: ['privilege.change'],
      resource: { type: 'AWS::IAM::Role', id: 'arn:aws:iam::111122223333:role/ci-deployer' },
      raw: {
        extra: { requestParameters: { roleName: 'ci-deployer', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } },
      },
    });
    const alerts = run([...baseline(ci), e]);
    const a = alerts.find((x) => x.detectionId === 'runtime.identity.privilege-escalation');
    assert.equal(a?.severity, 'critical');
  });
  test('the same routine change a deploy role made while learning stays quiet', () => {
    const change = (at: number) =>
      ev(at, {
        ...ci,
        action: 'iam:PutRolePolicy',
        tags: ['privilege.change'],
        resource: { type: 'AWS::IAM::Role', id: 'arn:aws:iam::111122223333:role/app' },
      });
    const alerts = run([...baseline(ci), change(START + 10 * H), change(AFTER)], { learnUntil: START + 3 * 24 * H });
    assert.deepEqual(ids(alerts), []);
  });
});

describe('runtime.access.off-hours', () => {
  const read = { action: 'secretsmanager:GetSecretValue', tags: ['secret.read'] };
  test('a secret read at 03:00 by a business-hours identity alerts; at 11:00 it does not', () => {
    // Habits are established after five active days.
    const night = run([...baseline({}, 6), ev(START + 6 * 24 * H + 3 * H, read)]);
    assert.ok(
      night.some((a) => a.detectionId === 'runtime.access.off-hours'),
      ids(night).join(),
    );
    assert.deepEqual(ids(run([...baseline({}, 6), ev(START + 6 * 24 * H + 11 * H, read)])), []);
    // Three days are not enough history to call 03:00 unusual.
    assert.deepEqual(ids(run([...baseline(), ev(START + 3 * 24 * H + 3 * H, read)])), []);
  });
  test('a declared deployment window is enforced', () => {
    const config = DetectConfigSchema.parse({ windows: [{ identity: 'app', from: '09:00', to: '12:00' }] });
    const alerts = run([...baseline(), ev(START + 3 * 24 * H + 14 * H, read)], { config });
    assert.ok(
      alerts.some((a) => a.detectionId === 'runtime.access.off-hours' && a.severity === 'high'),
      ids(alerts).join(),
    );
  });
});

describe('runtime.auth.failures-then-success', () => {
  const fail = (at: number) =>
    ev(at, { outcome: 'failure', reason: 'InvalidSignatureException', client: { ip: '198.51.100.20' } });
  test('eight failures then a success alert; two do not', () => {
    const many = run([...baseline(), ...Array.from({ length: 8 }, (_, i) => fail(AFTER + i * 20_000)), ev(AFTER + 200_000)]);
    assert.ok(
      many.some((a) => a.detectionId === 'runtime.auth.failures-then-success'),
      ids(many).join(),
    );
    assert.deepEqual(ids(run([...baseline(), fail(AFTER), fail(AFTER + 10_000), ev(AFTER + 20_000)])), []);
  });
});

describe('runtime.identity.rate-spike', () => {
  test('two hundred calls in five minutes against a baseline of a few alert once', () => {
    const burst = Array.from({ length: 200 }, (_, i) =>
      ev(AFTER + i * 1000, {
        action: 'secretsmanager:GetSecretValue',
        tags: ['secret.read'],
        resource: { id: `arn:aws:secretsmanager:us-east-1:1:secret:app/db-${i}` },
      }),
    );
    const alerts = run([...baseline(), ...burst]).filter((a) => a.detectionId === 'runtime.identity.rate-spike');
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.severity, 'high');
    assert.deepEqual(
      ids(run([...baseline(), ...Array.from({ length: 6 }, (_, i) => ev(AFTER + i * 30_000))])).filter(
        (x) => x === 'runtime.identity.rate-spike',
      ),
      [],
    );
  });
});

describe('runtime.identity.resource-mismatch', () => {
  const sa = {
    source: 'k8s-audit' as const,
    identity: { id: 'system:serviceaccount:payments:api', type: 'service-account' as const, name: 'api', scope: 'payments' },
    action: 'k8s:list',
  };
  test('a production service account listing secrets in kube-system is critical', () => {
    const own = baseline({ ...sa, resource: { type: 'configmaps', id: 'payments/settings' } });
    const alerts = run([...own, ev(AFTER, { ...sa, tags: ['secret.read'], resource: { type: 'secrets', id: 'kube-system/*' } })]);
    const a = alerts.find((x) => x.detectionId === 'runtime.identity.resource-mismatch');
    assert.equal(a?.severity, 'critical', ids(alerts).join());
  });
  test('reading secrets in its own namespace is normal', () => {
    const own = baseline({ ...sa, resource: { type: 'configmaps', id: 'payments/settings' } });
    assert.deepEqual(
      ids(run([...own, ev(AFTER, { ...sa, tags: ['secret.read'], resource: { type: 'secrets', id: 'payments/db' } })])),
      [],
    );
  });
});

describe('runtime.credential.shared', () => {
  const sa = {
    source: 'k8s-audit' as const,
    identity: { id: 'system:serviceaccount:payments:api', type: 'service-account' as const, name: 'api' },
    action: 'k8s:get',
  };
  const jti = { key: 'JTI=1', type: 'k8s-token', lifecycle: 'used' as const };
  test('a pod token presented from another pod alerts; the same pod does not', () => {
    const alerts = run([
      ev(START, { ...sa, credential: jti, client: { workload: 'api-7d9-abc' } }),
      ev(START + 60_000, { ...sa, credential: jti, client: { workload: 'debug-shell' } }),
    ]);
    assert.deepEqual(ids(alerts), ['runtime.credential.shared']);
    assert.deepEqual(
      ids(
        run([
          ev(START, { ...sa, credential: jti, client: { workload: 'api-7d9-abc' } }),
          ev(START + 60_000, { ...sa, credential: jti, client: { workload: 'api-7d9-abc' } }),
        ]),
      ),
      [],
    );
  });
  test('one key used from eight networks in ten minutes alerts', () => {
    const spread = Array.from({ length: 8 }, (_, i) => ev(AFTER + i * 60_000, { client: { ip: `10.${20 + i}.0.5` } }));
    const alerts = run([...baseline(), ...spread]);
    assert.ok(
      alerts.some((a) => a.detectionId === 'runtime.credential.shared'),
      ids(alerts).join(),
    );
  });
});

describe('runtime.agent.anomalous-tool-chain', () => {
  const agent = {
    source: 'agent-trace' as const,
    identity: { id: 'agent-1', type: 'agent' as const, name: 'SupportAgent' },
    client: {},
  };
  const call = (at: number, tool: string, trace: string, extra: Partial2<IdentityEvent> = {}) =>
    ev(at, {
      ...agent,
      action: `tool:${tool}`,
      tags: ['tool.call', ...(extra.tags ?? [])],
      agent: { tool, traceId: trace, ...extra.agent },
    });
  const normal: IdentityEvent[] = [];
  for (let i = 0; i < 40; i++) {
    const at = START + i * 2 * H;
    normal.push(
      call(at, 'search_kb', `t${i}`),
      call(at + 1000, 'summarize', `t${i}`),
      call(at + 2000, 'http_get', `t${i}`, { agent: { destination: 'kb.internal' } }),
    );
  }
  test('a secret read followed by a call to a new destination is high', () => {
    const at = START + 100 * H;
    const alerts = run([
      ...normal,
      call(at, 'get_secret', 'x', { tags: ['secret.read'] }),
      call(at + 1000, 'http_get', 'x', { agent: { destination: 'paste.example' } }),
    ]);
    assert.ok(
      alerts.some((a) => a.detectionId === 'runtime.agent.anomalous-tool-chain' && a.severity === 'high'),
      ids(alerts).join(),
    );
  });
  test("the agent's usual chain raises nothing", () => {
    const at = START + 100 * H;
    assert.deepEqual(ids(run([...normal, call(at, 'search_kb', 'y'), call(at + 1000, 'summarize', 'y')])), []);
  });
});

describe('runtime.credential.long-lived-idle', () => {
  const token = (at: number) =>
    ev(at, {
      source: 'vault',
      identity: { id: 'entity-batch', type: 'vault-token', name: 'batch' },
      action: 'vault:read',
      tags: ['credential.no-expiry'],
      credential: {
        key: 'hmac-sha256:bb',
        type: 'vault-accessor',
        lifecycle: 'used',
        issuedAt: new Date(START - 200 * 24 * H).toISOString(),
      },
    });
  test('a never-expiring token issued 200 days ago, used two minutes a day, is reported', () => {
    const events = [0, 1, 2, 3].flatMap((d) => [token(START + d * 24 * H + 2 * H), token(START + d * 24 * H + 2 * H + 60_000)]);
    const alerts = run(events).filter((a) => a.detectionId === 'runtime.credential.long-lived-idle');
    assert.equal(alerts.length, 1);
  });
  test('a short-lived token is not', () => {
    const short = (at: number) =>
      ev(at, {
        source: 'vault',
        identity: { id: 'e2', type: 'vault-token' },
        credential: {
          key: 'hmac-sha256:cc',
          type: 'vault-accessor',
          lifecycle: 'used',
          issuedAt: new Date(at - H).toISOString(),
          expiresAt: new Date(at + H).toISOString(),
        },
      });
    assert.deepEqual(ids(run([0, 1, 2, 3].map((d) => short(START + d * 24 * H)))), []);
  });
});

describe('engine', () => {
  const burst = () =>
    Array.from({ length: 8 }, (_, i) => ev(AFTER + i * 20_000, { outcome: 'failure', client: { ip: '198.51.100.20' } }));
  test('repeated triggers aggregate into one alert per episode, with count and first/last seen', () => {
    const night = [0, 1, 2].map((i) =>
      ev(START + 6 * 24 * H + 2 * H + i * 600_000, { action: 'ssm:GetParameter', tags: ['secret.read'] }),
    );
    const alerts = run([...baseline({}, 6), ...night]).filter((a) => a.detectionId === 'runtime.access.off-hours');
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.count, 3);
    assert.ok(alerts[0]!.lastSeen > alerts[0]!.firstSeen);
  });
  test('replays are deterministic', () => {
    const events = [...baseline(), ...burst(), ev(AFTER + 200_000), ev(AFTER + 300_000, { client: { ip: '203.0.113.9' } })];
    assert.deepEqual(run(events), run(events));
  });
  test('learn-until silences everything before it', () => {
    const events = [...baseline(), ...burst(), ev(AFTER + 200_000)];
    assert.ok(run(events).length > 0);
    assert.deepEqual(run(events, { learnUntil: AFTER + 300_000 }), []);
  });
  test('state saved and restored gives the same alerts as one continuous run', () => {
    const first = baseline();
    const second = [...burst(), ev(AFTER + 200_000), ev(AFTER + 300_000, { client: { ip: '203.0.113.9' } })];
    const continuous = run([...first, ...second]);
    const d1 = createDetector();
    for (const e of first) d1.process(e);
    const snap = JSON.parse(JSON.stringify(d1.snapshot()));
    const resumed = run(second, { initial: snap });
    assert.deepEqual(ids(resumed), ids(continuous));
  });
  test('exceptions and severity overrides apply without editing a detection', () => {
    const events = [...baseline(), ...burst(), ev(AFTER + 200_000)];
    const config = DetectConfigSchema.parse({
      exceptions: [{ detections: ['runtime.auth.*'], identity: 'arn:aws:iam::*:role/app' }],
    });
    assert.deepEqual(ids(run(events, { config })), []);
    const lowered = run(events, { severity: { 'runtime.auth.failures-then-success': 'low' } });
    assert.equal(lowered[0]!.severity, 'low');
  });
  test('memory stays bounded: beyond the identity cap the least recently seen are forgotten', () => {
    const config = DetectConfigSchema.parse({ thresholds: { maxIdentities: 100 } });
    const d = createDetector({ config });
    for (let i = 0; i < 1000; i++) d.process(ev(START + i * 1000, { identity: { id: `id-${i}`, type: 'iam-role' } }));
    assert.ok(d.stats.identities <= 100, String(d.stats.identities));
  });
});

describe('engine memory', () => {
  test('credentials are capped too, but a revoked credential is never forgotten', () => {
    const config = DetectConfigSchema.parse({ thresholds: { maxCredentials: 100 } });
    const d = createDetector({ config });
    const vault = { source: 'vault' as const, identity: { id: 'entity-1', type: 'vault-token' as const }, action: 'vault:read' };
    d.process(ev(START, { ...vault, credential: { key: 'hmac-sha256:first', type: 'vault-accessor', lifecycle: 'used' } }));
    d.process(
      ev(START + 1000, {
        ...vault,
        tags: ['credential.revoked'],
        credential: { key: 'hmac-sha256:ops', type: 'vault-accessor', lifecycle: 'revoked', subject: 'hmac-sha256:first' },
      }),
    );
    for (let i = 0; i < 1000; i++)
      d.process(
        ev(START + 2000 + i, { ...vault, credential: { key: `hmac-sha256:${i}`, type: 'vault-accessor', lifecycle: 'used' } }),
      );
    assert.ok(d.stats.credentials <= 101, String(d.stats.credentials));
    const alerts = d.process(
      ev(START + 10_000, { ...vault, credential: { key: 'hmac-sha256:first', type: 'vault-accessor', lifecycle: 'used' } }),
    );
    alerts.push(...d.finish());
    assert.ok(alerts.some((a) => a.detectionId === 'runtime.credential.reuse-after-revocation'));
  });
});

describe('alerts name the holder', () => {
  test('a revoked token used with no identity in the log is reported against the identity that held it', () => {
    const vault = { source: 'vault' as const, action: 'vault:read' };
    const used = { key: 'hmac-sha256:dd', type: 'vault-accessor', lifecycle: 'used' as const };
    const alerts = run([
      ev(START + H, { ...vault, identity: { id: 'entity-7', type: 'vault-token', name: 'billing' }, credential: used }),
      ev(START + 2 * H, {
        ...vault,
        identity: { id: 'ops', type: 'vault-token' },
        tags: ['credential.revoked'],
        credential: { key: 'hmac-sha256:ops', type: 'vault-accessor', lifecycle: 'revoked', subject: 'hmac-sha256:dd' },
      }),
      ev(START + 3 * H, {
        ...vault,
        identity: { id: 'unauthenticated', type: 'vault-token' },
        outcome: 'failure',
        credential: used,
      }),
    ]);
    const a = alerts.find((x) => x.detectionId === 'runtime.credential.reuse-after-revocation');
    assert.equal(a?.identity.id, 'entity-7');
  });
});

describe('GitHub token revocation', () => {
  test('a token revoked by token_id and then used by its hashed_token is reuse after revocation', () => {
    const gh = {
      source: 'github-audit' as const,
      identity: { id: 'svc-build', type: 'user' as const },
      client: { ip: '198.51.100.10' },
    };
    const use = (at: number) =>
      ev(at, {
        ...gh,
        action: 'git.clone',
        tags: ['repo.read'],
        // The parser names the token_id as the alias of the hashed_token in use.
        credential: { key: 'HASHED=', type: 'github-pat-classic', lifecycle: 'used', alias: '4242' },
        raw: { extra: { token_id: 4242 } },
      });
    const revoke = ev(START + 2 * H, {
      ...gh,
      identity: { id: 'svc-build', type: 'app' as const },
      action: 'personal_access_token.destroy',
      tags: ['credential.revoked'],
      credential: { key: '4242', type: 'github-pat-classic', lifecycle: 'revoked', subject: '4242' },
    });
    const alerts = run([use(START + H), revoke, use(START + 3 * H)]);
    assert.ok(
      alerts.some((a) => a.detectionId === 'runtime.credential.reuse-after-revocation'),
      ids(alerts).join(),
    );
  });
});
