import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { IdentityEvent } from '../../model/identity-event.js';
import { createRandom } from '../../model/random.js';
import type { CredentialCheck } from '../jit/broker.js';
import type { CredentialRecord } from '../jit/types.js';
import { parseManifest } from '../load.js';
import type { Manifest } from '../schema.js';
import { AuthzRequestSchema, createAuthorizer, wellFormed } from './authorizer.js';

const CI_DEPLOYER = `  ci-deployer:
    owner: platform-team
    match: ["arn:aws:iam::123456789012:user/ci-deployer", "repo:acme/api:environment:prod"]
    environments: [prod]
    allow:
      - actions: ["s3:GetObject", "s3:PutObject"]
        resources: ["arn:aws:s3:::acme-artifacts/*"]
      - actions: ["ecr:*"]
        resources: ["*"]
      - actions: ["vault:read"]
        resources: ["secret/ci/db-?"]
    sources:
      networks: ["203.0.113.0/24"]
      regions: [eu-west-1]
    windows:
      - days: [mon, tue, wed, thu, fri]
        from: "08:00"
        to: "18:00"
        timezone: Europe/Berlin
`;
const READER = (actions: string) => `  reader:
    owner: data-team
    allow:
      - actions: ["${actions}"]
        resources: ["arn:aws:s3:::public/*"]
`;

/** A manifest of the given identity blocks. */
export function manifest(...blocks: string[]): Manifest {
  const r = parseManifest(`version: 1\nidentities:\n${blocks.join('')}`, 'p.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
}

const ok = { time: '2026-12-07T09:30:00Z', sourceIp: '203.0.113.7', environment: 'prod', region: 'eu-west-1' };
const req = (over: object = {}, context: object = ok) => ({
  principal: 'ci-deployer',
  action: 's3:GetObject',
  resource: 'arn:aws:s3:::acme-artifacts/app.zip',
  context,
  ...over,
});

describe('request-time authorization over Cedar', () => {
  const events: IdentityEvent[] = [];
  const authz = createAuthorizer(manifest(CI_DEPLOYER, READER('s3:Get*')), { onEvent: (e) => events.push(e) });

  test('the contract example is allowed by ci-deployer/allow/0', async () => {
    const d = await authz.authorize(req());
    assert.equal(d.decision, 'allow', d.reasons.join('; '));
    assert.deepEqual(d.policies, ['ci-deployer/allow/0']);
    assert.equal(d.identity, 'ci-deployer');
    const e = events.at(-1)!;
    assert.equal(e.source, 'warden-authz');
    assert.equal(e.outcome, 'success');
    assert.equal(e.identity.id, 'ci-deployer');
    assert.equal(e.resource?.id, 'arn:aws:s3:::acme-artifacts/app.zip');
  });

  test('a match name and an action of another case resolve to the same decision', async () => {
    const d = await authz.authorize(req({ principal: 'arn:aws:iam::123456789012:user/ci-deployer', action: 's3:getobject' }));
    assert.equal(d.decision, 'allow');
    assert.deepEqual((await authz.authorize(req({ action: 'ecr:BatchGetImage', resource: 'anything' }))).policies, [
      'ci-deployer/allow/1',
    ]);
    assert.equal((await authz.authorize(req({ action: 'vault:read', resource: 'secret/ci/db-1' }))).decision, 'allow');
    assert.equal((await authz.authorize(req({ action: 'vault:read', resource: 'secret/ci/db-10' }))).decision, 'deny');
  });

  const denials: Array<[string, object, RegExp]> = [
    ['action outside allow', req({ action: 'iam:CreateAccessKey' }), /no allow entry .* covers iam:CreateAccessKey/],
    ['resource outside allow', req({ resource: 'arn:aws:s3:::payroll/x' }), /covers/],
    ['another network', req({}, { ...ok, sourceIp: '198.51.100.9' }), /outside ci-deployer's networks/],
    ['another region', req({}, { ...ok, region: 'us-east-1' }), /region us-east-1/],
    ['another environment', req({}, { ...ok, environment: 'staging' }), /environment staging/],
    ['outside the window (19:30 Berlin)', req({}, { ...ok, time: '2026-12-07T18:30:00Z' }), /outside ci-deployer's time windows/],
    ['on a Sunday', req({}, { ...ok, time: '2026-12-06T10:00:00Z' }), /time windows/],
    ['missing time', req({}, { sourceIp: '203.0.113.7', environment: 'prod', region: 'eu-west-1' }), /context.time is missing/],
    ['missing sourceIp', req({}, { time: ok.time, environment: 'prod', region: 'eu-west-1' }), /context.sourceIp is missing/],
    [
      'missing environment',
      req({}, { time: ok.time, sourceIp: '203.0.113.7', region: 'eu-west-1' }),
      /context.environment is missing/,
    ],
    [
      'no context at all',
      { principal: 'ci-deployer', action: 's3:GetObject', resource: 'arn:aws:s3:::acme-artifacts/a' },
      /missing/,
    ],
    ['sourceIp not an address', req({}, { ...ok, sourceIp: 'localhost' }), /not an IP address/],
    ['unknown principal', req({ principal: 'someone' }), /unknown principal/],
    ['an unreadable request', { principal: 7 }, /invalid request/],
  ];
  for (const [name, r, reason] of denials) {
    test(`deny: ${name}`, async () => {
      const before = events.length;
      const d = await authz.authorize(r);
      assert.equal(d.decision, 'deny');
      assert.deepEqual(d.policies, []);
      assert.match(d.reasons.join('; '), reason);
      if (name !== 'an unreadable request') {
        assert.equal(events.length, before + 1, 'every decision is an event');
        assert.equal(events.at(-1)!.outcome, 'failure');
      }
    });
  }

  test('an identity without context requirements needs none', async () => {
    const d = await authz.authorize({ principal: 'reader', action: 's3:GetObjectAcl', resource: 'arn:aws:s3:::public/x' });
    assert.equal(d.decision, 'allow');
  });

  test('reload swaps the policies; a manifest that does not compile keeps the old ones', async () => {
    authz.load(manifest(READER('s3:PutObject')));
    assert.equal(
      (await authz.authorize({ principal: 'reader', action: 's3:GetObject', resource: 'arn:aws:s3:::public/x' })).decision,
      'deny',
    );
    assert.equal((await authz.authorize(req())).decision, 'deny', 'ci-deployer is gone');
    const broken = manifest(READER('s3:PutObject'));
    assert.throws(() =>
      authz.load({
        ...broken,
        identities: [{ ...broken.identities[0]!, sources: { networks: ['not-a-cidr/99'], at: broken.identities[0]!.at } }],
      }),
    );
    assert.equal(
      (await authz.authorize({ principal: 'reader', action: 's3:PutObject', resource: 'arn:aws:s3:::public/x' })).decision,
      'allow',
    );
    authz.load(manifest(CI_DEPLOYER, READER('s3:Get*')));
  });
});

describe('a just-in-time credential as principal', () => {
  const record = (over: Partial<CredentialRecord> = {}): CredentialRecord => ({
    id: 'c1',
    identity: 'ci-deployer',
    kid: 'k',
    audience: 'warden',
    task: 'deploy',
    workloadIssuer: 'http://127.0.0.1',
    workloadSubject: 'repo:acme/api:environment:prod',
    // The stub checker does not look at the clock; the authorizer compares the request time with these.
    issuedAt: Date.parse('2026-12-07T09:00:00Z'),
    expiresAt: Date.parse('2026-12-07T10:00:00Z'),
    revokedAt: null,
    revokedBy: null,
    fingerprint: '0'.repeat(64),
    ...over,
  });
  const token = `eyJhbGciOiJFUzI1NiJ9.${'e30'}.${'sig'}`;
  const presented: CredentialCheck[] = [];
  let state: CredentialCheck = { state: 'active', reason: 'credential active', record: record() };
  const authz = createAuthorizer(manifest(CI_DEPLOYER), {
    credentials: { check: async () => state, presented: (c) => presented.push(c) },
  });

  test('an active credential decides as its identity, within its lifetime', async () => {
    const d = await authz.authorize(req({ principal: token }));
    assert.equal(d.decision, 'allow', d.reasons.join('; '));
    assert.equal(d.identity, 'ci-deployer');
    assert.equal(d.credential, 'c1');
    const late = await authz.authorize(req({ principal: token }, { ...ok, time: '2026-12-07T10:30:00Z' }));
    assert.equal(late.decision, 'deny');
  });

  test('a revoked credential is denied and reported as presented again', async () => {
    state = { state: 'revoked', reason: 'credential revoked', record: record({ revokedAt: Date.now() }) };
    const d = await authz.authorize(req({ principal: token }));
    assert.equal(d.decision, 'deny');
    assert.match(d.reasons[0]!, /revoked/);
    assert.equal(presented.length, 1);
  });

  test('a token that is not a credential is an unknown principal', async () => {
    state = { state: 'invalid', reason: 'no such credential was issued' };
    const d = await authz.authorize(req({ principal: token }));
    assert.equal(d.decision, 'deny');
    assert.match(d.reasons[0]!, /unknown principal/);
  });
});

test('the fast request check accepts exactly what the schema accepts', () => {
  const good = req();
  const inputs: unknown[] = [
    good,
    { ...good, context: undefined },
    { ...good, context: {} },
    { ...good, context: { ...ok, extra: { nested: true } } },
    { ...good, extra: 1 },
    { ...good, principal: '' },
    { ...good, principal: 7 },
    { ...good, action: 'x'.repeat(513) },
    { ...good, resource: undefined },
    { ...good, context: [] },
    { ...good, context: null },
    { ...good, context: { time: 5 } },
    { ...good, context: { sourceIp: 'x'.repeat(65) } },
    null,
    'text',
    [],
  ];
  for (const input of inputs) {
    const fast = wellFormed(input);
    const schema = AuthzRequestSchema.safeParse(input);
    if (fast !== undefined) assert.ok(schema.success, JSON.stringify(input));
    if (!schema.success) assert.equal(fast, undefined, JSON.stringify(input));
  }
});

describe('remembered decisions', () => {
  const blocks = [
    CI_DEPLOYER,
    `  svc:
    owner: data-team
    match: ["arn:aws:iam::123456789012:role/svc"]
    environments: [prod, staging]
    allow:
      - actions: ["s3:Get*", "s3:List*"]
        resources: ["arn:aws:s3:::data-*/in/*", "arn:aws:s3:::shared/*"]
      - actions: ["sqs:*Message"]
        resources: ["arn:aws:sqs:*:123456789012:q-?"]
    sources:
      networks: ["10.1.0.0/16", "192.0.2.8", "198.51.100.0/25"]
      regions: ["eu-*", "us-east-1"]
`,
    `  v6:
    owner: data-team
    allow:
      - actions: ["s3:GetObject"]
        resources: ["*"]
    sources:
      networks: ["2001:db8::/32"]
`,
    READER('s3:Get*'),
  ];
  const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const principals = ['ci-deployer', 'svc', 'arn:aws:iam::123456789012:role/svc', 'v6', 'reader', 'nobody'];
  const actions = [
    's3:GetObject',
    'S3:LISTBUCKET',
    's3:PutObject',
    'ecr:BatchGetImage',
    'vault:read',
    'sqs:SendMessage',
    'sqs:Purge',
    'iam:CreateAccessKey',
  ];
  const resources = [
    'arn:aws:s3:::acme-artifacts/app.zip',
    'arn:aws:s3:::data-7/in/x.csv',
    'arn:aws:s3:::data-7/out/x.csv',
    'arn:aws:s3:::shared/readme',
    'arn:aws:s3:::public/a',
    'arn:aws:sqs:eu-west-1:123456789012:q-1',
    'arn:aws:sqs:eu-west-1:123456789012:q-12',
    'secret/ci/db-1',
    'secret/ci/db-12',
    'arn:aws:s3:::data-\uD83D\uDE00/in/x',
  ];
  const ips = [
    '203.0.113.7',
    '10.1.200.3',
    '10.2.0.1',
    '192.0.2.8',
    '192.0.2.9',
    '198.51.100.127',
    '198.51.100.128',
    '2001:db8::1',
    '::ffff:10.1.0.1',
    'not-an-ip',
    undefined,
  ];
  const regions = ['eu-west-1', 'eu-central-1', 'us-east-1', 'us-west-2', undefined];
  const envs = ['prod', 'staging', 'dev', undefined];
  const times = ['2026-12-07T09:30:00Z', '2026-12-07T23:30:00Z', '2026-12-05T10:00:00Z', undefined];

  test('decide exactly as Cedar asked every time, on a mixed stream', async () => {
    const m = manifest(...blocks);
    const cached = createAuthorizer(m);
    const direct = createAuthorizer(m, { decisionCache: false });
    const rnd = createRandom(7);
    for (let k = 0; k < 3000; k++) {
      const context: Record<string, string> = {};
      for (const [name, pool] of [
        ['sourceIp', ips],
        ['region', regions],
        ['environment', envs],
        ['time', times],
      ] as const) {
        const v = pick(rnd, pool);
        if (v !== undefined) context[name] = v;
      }
      const r = { principal: pick(rnd, principals), action: pick(rnd, actions), resource: pick(rnd, resources), context };
      assert.deepEqual(await cached.authorize(r), await direct.authorize(r), JSON.stringify(r));
    }
    const c = cached.stats;
    const d = direct.stats;
    assert.equal(d.cacheHits, 0);
    assert.equal(c.cedarCalls + c.cacheHits, d.cedarCalls, 'both reached Cedar’s step equally often');
    assert.ok(c.cacheHits > d.cedarCalls / 4, `answers remembered (${c.cacheHits} of ${d.cedarCalls})`);
  });

  test('IPv6 networks, addresses Cedar alone reads and surrogates always go to Cedar', async () => {
    const a = createAuthorizer(manifest(...blocks));
    const uncached = [
      { principal: 'v6', action: 's3:GetObject', resource: 'x', context: { sourceIp: '2001:db8::1' } },
      {
        principal: 'reader',
        action: 's3:GetObject',
        resource: 'arn:aws:s3:::public/a',
        context: { sourceIp: '::ffff:10.1.0.1' },
      },
      { principal: 'reader', action: 's3:GetObject', resource: 'arn:aws:s3:::public/\uD83D\uDE00' },
    ];
    for (const r of uncached) {
      const first = await a.authorize(r);
      assert.deepEqual(await a.authorize(r), first);
    }
    assert.equal(a.stats.cacheHits, 0);
    assert.equal(a.stats.cedarCalls, 2 * uncached.length);
    const plain = {
      principal: 'reader',
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::public/b',
      context: { sourceIp: '10.9.9.9' },
    };
    await a.authorize(plain);
    await a.authorize({ ...plain, resource: 'arn:aws:s3:::public/c', context: { sourceIp: '10.9.9.10' } });
    assert.equal(a.stats.cacheHits, 1, 'an IPv4 request of the same shape is answered from memory');
  });

  test('a reload forgets every answer: the new policies decide', async () => {
    const a = createAuthorizer(manifest(READER('s3:Get*')));
    const r = { principal: 'reader', action: 's3:GetObject', resource: 'arn:aws:s3:::public/a' };
    assert.equal((await a.authorize(r)).decision, 'allow');
    assert.equal((await a.authorize(r)).decision, 'allow');
    assert.equal(a.stats.cacheHits, 1);
    a.load(manifest(READER('s3:List*')));
    assert.equal((await a.authorize(r)).decision, 'deny');
  });
});
