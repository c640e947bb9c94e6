import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fakeGitHub, fakeIam, fakeKube, fakeVault, fakeWebhook, writeKubeconfig } from '../../test/providers.js';
import { tempDir } from '../../test/tmp.js';
import type { Alert } from '../model/alert.js';
import { WardenError } from '../model/errors.js';
import type { IdentityEvent } from '../model/identity-event.js';
import { parseManifest } from '../policy/index.js';
import { fingerprint } from '../scan/secrets/redact.js';
import { type ApplyOptions, applyResponse, planResponse } from './engine.js';
import { automaticForbiddenBy } from './manifest.js';
import { parsePlaybooks } from './playbook.js';
import type { AuditEntry, Incident, ResponseLedger, StepRecord } from './types.js';

/** Synthetic ids, assembled at run time (no credential-shaped literal in the repository). */
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const pick = (n: number, chars = ALNUM) => Array.from(randomBytes(n), (b) => chars[b % chars.length]).join('');
const awsKeyId = () => `AKIA${pick(16)}`;

function event(over: Partial<IdentityEvent>): IdentityEvent {
  return {
    id: randomUUID(),
    time: '2026-01-10T19:27:05.000Z',
    source: 'cloudtrail',
    identity: { id: 'arn:aws:iam::123456789012:user/svc-ci', type: 'iam-user', name: 'svc-ci' },
    action: 'sts:GetCallerIdentity',
    outcome: 'success',
    client: { ip: '203.0.113.9' },
    tags: [],
    raw: {},
    ...over,
  } as IdentityEvent;
}

function incident(alert: Partial<Alert>, over: Partial<Incident> = {}): Incident {
  const ev = alert.evidences ?? [
    event({
      ...(alert.credential ? { credential: { ...alert.credential, lifecycle: 'used' } } : {}),
      ...(alert.identity ? { identity: alert.identity } : {}),
    }),
  ];
  return {
    alert: {
      uid: randomUUID().replace(/-/g, ''),
      detectionId: 'runtime.credential.new-source',
      title: 'Credential used from a new source',
      severity: 'high',
      message: 'used from a new network',
      identity: { id: 'arn:aws:iam::123456789012:user/svc-ci', type: 'iam-user', name: 'svc-ci' },
      firstSeen: ev[0]!.time,
      lastSeen: ev[0]!.time,
      count: 1,
      evidences: ev,
      frameworks: [],
      attacks: [],
      ...alert,
    },
    identityNode: `identity:${alert.identity?.id ?? 'arn:aws:iam::123456789012:user/svc-ci'}`,
    exposure: 'leaked-in-use-unknown-source',
    riskBand: 'critical',
    credentialOf: [],
    policies: [],
    workloads: [],
    owners: ['platform-team'],
    leaks: [],
    review: async () => ({ subject: 'x', identities: [], credentials: [], permissions: [], truncated: false }),
    ...over,
  };
}

function memoryLedger() {
  const steps = new Map<string, StepRecord>();
  const trail: AuditEntry[] = [];
  const revoked: string[] = [];
  const ledger: ResponseLedger = {
    getStep: async (id) => steps.get(id),
    putStep: async (s) => void steps.set(s.id, structuredClone(s)),
    audit: async (e) => void trail.push(structuredClone(e)),
    revoked: async (k) => void revoked.push(k),
  };
  return { ledger, steps, trail, revoked };
}

// Generous per-attempt limits (a loaded machine is slow to sign the first AWS request); the time-out test sets its own.
const FAST = { timeoutMs: 5000, attempts: 4, backoffMs: 10, maxWaitMs: 1500 };

async function respond(
  inc: Incident,
  yaml: string,
  env: Record<string, string>,
  extra: Partial<ApplyOptions> = {},
  mem = memoryLedger(),
) {
  const playbooks = parsePlaybooks(yaml, 'warden.playbooks.yaml');
  const plan = await planResponse(inc, playbooks, { ledger: mem.ledger, env, cwd: extra.cwd ?? process.cwd() });
  const applied = await applyResponse(inc, plan, {
    ledger: mem.ledger,
    env,
    cwd: process.cwd(),
    actor: 'cli:test',
    approved: true,
    limits: FAST,
    ...extra,
  });
  return { plan, applied, ...mem };
}

const one = (action: string, withText = '') =>
  `playbooks:\n  - id: p\n    steps:\n      - action: ${action}\n${withText ? `        with: ${withText}\n` : ''}`;

describe('vault actions', async () => {
  const token = `hvs.${pick(24)}`;
  const accessor = pick(24).toLowerCase();
  const entity = randomUUID();
  const state: Parameters<typeof fakeVault>[0] = {
    accessors: new Set([accessor]),
    leases: new Set(['database/creds/ro/abc123']),
    entities: new Map([[entity, { name: 'ci', disabled: false }]]),
    token,
  };
  const vault = await fakeVault(state);
  after(() => vault.close());
  const env = { VAULT_ADDR: vault.url, VAULT_TOKEN: token };
  const vaultAlert = (key: string, type: string, id = entity) =>
    incident({
      identity: { id, type: 'vault-token' },
      credential: { key, type },
      evidences: [
        event({ source: 'vault', identity: { id, type: 'vault-token' }, credential: { key, type, lifecycle: 'used' } }),
      ],
    });

  test('revoke-accessor sends the accessor with X-Vault-Token, retries 429 (Retry-After) and a 500, and a second run is unchanged', async () => {
    vault.faults.push('429', '500');
    const inc = vaultAlert(accessor, 'vault-accessor');
    const r = await respond(inc, one('vault.revoke-accessor'), env);
    assert.equal(r.applied[0]!.outcome, 'done', r.applied[0]!.error);
    const calls = vault.requests.filter((q) => q.path === '/v1/auth/token/revoke-accessor');
    assert.equal(calls.length, 3);
    assert.deepEqual(JSON.parse(calls[2]!.body), { accessor });
    assert.equal(calls[2]!.headers['x-vault-token'], token);
    assert.deepEqual(r.revoked, [accessor]);
    const after = r.trail.find((e) => e.event === 'response.step.after')!;
    const retries = after.detail.retries as Array<{ waitMs: number }>;
    assert.equal(retries.length, 2);
    assert.equal(retries[0]!.waitMs, 1000, 'Retry-After: 1 was honoured');
    assert.ok(!JSON.stringify(r.trail).includes(token), 'the Vault token never enters the trail');
    // A fresh ledger (as after losing state): Vault says the accessor is gone, so nothing changes.
    const again = await respond(inc, one('vault.revoke-accessor'), env);
    assert.equal(again.applied[0]!.outcome, 'unchanged');
  });

  test('an HMAC-only accessor is a subject not found, with the way out', async () => {
    const r = await respond(
      vaultAlert(`hmac-sha256:${'ab'.repeat(32)}`, 'vault-accessor', 'token:x' as never),
      one('vault.revoke-accessor'),
      env,
    );
    assert.equal(r.plan.steps[0]!.status, 'subject-not-found');
    assert.match(r.plan.steps[0]!.reason!, /HMAC.*vault.disable-entity/);
    assert.equal(r.applied[0]!.outcome, 'subject-not-found');
  });

  test('revoke-lease PUTs the lease id; disable-entity reads, disables, records the undo, then is unchanged', async () => {
    const lease = incident({
      identity: { id: entity, type: 'vault-token' },
      credential: { key: 'database/creds/ro/abc123', type: 'vault-lease' },
    });
    const r = await respond(lease, one('vault.revoke-lease'), env);
    assert.equal(r.applied[0]!.outcome, 'done');
    assert.deepEqual(JSON.parse(vault.requests.at(-1)!.body), { lease_id: 'database/creds/ro/abc123' });
    assert.equal(vault.requests.at(-1)!.method, 'PUT');

    const d = await respond(vaultAlert(`hmac-sha256:${'cd'.repeat(32)}`, 'vault-accessor'), one('vault.disable-entity'), env);
    assert.equal(d.applied[0]!.outcome, 'done');
    assert.equal(state.entities.get(entity)!.disabled, true);
    assert.deepEqual(d.applied[0]!.undo![0]!.body, { disabled: false });
    const d2 = await respond(vaultAlert(`hmac-sha256:${'cd'.repeat(32)}`, 'vault-accessor'), one('vault.disable-entity'), env);
    assert.equal(d2.applied[0]!.outcome, 'unchanged');
    // A server that serves only the update: it is sent anyway.
    state.entities.get(entity)!.disabled = false;
    state.noRead = true;
    const d3 = await respond(vaultAlert(`hmac-sha256:${'cd'.repeat(32)}`, 'vault-accessor'), one('vault.disable-entity'), env);
    state.noRead = false;
    assert.equal(d3.applied[0]!.outcome, 'done', d3.applied[0]!.error);
    assert.equal(state.entities.get(entity)!.disabled, true);
  });

  test('a 403 is not retried; a server that never answers fails after the attempts; a reset connection is retried', async () => {
    const inc = vaultAlert(pick(24).toLowerCase(), 'vault-accessor');
    const before = vault.requests.length;
    const denied = await respond(inc, one('vault.revoke-accessor'), { VAULT_ADDR: vault.url, VAULT_TOKEN: 'wrong' });
    assert.equal(denied.applied[0]!.outcome, 'failed');
    assert.match(denied.applied[0]!.error!, /403: permission denied/);
    assert.equal(vault.requests.length - before, 1);

    vault.faults.push('hang', 'hang');
    const hung = await respond(inc, one('vault.revoke-accessor'), env, {
      limits: { timeoutMs: 300, attempts: 2, backoffMs: 10, maxWaitMs: 100 },
    });
    assert.match(hung.applied[0]!.error!, /timeout|aborted/i);
    assert.equal(hung.applied[0]!.outcome, 'failed');
    assert.equal(hung.steps.get(hung.applied[0]!.id)!.status, 'failed');

    state.accessors.add(inc.alert.credential!.key);
    vault.faults.push('reset');
    const reset = await respond(inc, one('vault.revoke-accessor'), env);
    assert.equal(reset.applied[0]!.outcome, 'done');
  });
});

describe('aws actions (IAM Query API through @aws-sdk/client-iam)', async () => {
  const key = awsKeyId();
  const state = {
    keys: new Map([[key, { user: 'svc-ci', status: 'Active' as 'Active' | 'Inactive' }]]),
    attached: new Map([['svc-ci', new Set(['arn:aws:iam::123456789012:policy/deploy'])]]),
  };
  const iam = await fakeIam(state);
  after(() => iam.close());
  const env = {
    AWS_ENDPOINT_URL_IAM: iam.url,
    AWS_ACCESS_KEY_ID: awsKeyId(),
    AWS_SECRET_ACCESS_KEY: pick(40),
    AWS_REGION: 'us-east-1',
  };
  const inc = () =>
    incident(
      { credential: { key, type: 'aws-access-key' } },
      { policies: ['arn:aws:iam::123456789012:policy/deploy', 'ci-inline'] },
    );

  test('deactivate: UpdateAccessKey Status=Inactive for the key and its user, through 429 and 503, with the undo', async () => {
    iam.faults.push('429', '503');
    const r = await respond(inc(), one('aws.deactivate-access-key'), env);
    assert.equal(r.applied[0]!.outcome, 'done', r.applied[0]!.error);
    const sent = new URLSearchParams(iam.requests.at(-1)!.body);
    assert.equal(sent.get('Action'), 'UpdateAccessKey');
    assert.equal(sent.get('AccessKeyId'), key);
    assert.equal(sent.get('UserName'), 'svc-ci');
    assert.equal(sent.get('Status'), 'Inactive');
    assert.equal(state.keys.get(key)!.status, 'Inactive');
    assert.equal(iam.requests.length, 3);
    const retries = r.trail.find((e) => e.event === 'response.step.after')!.detail.retries as Array<{ waitMs: number }>;
    assert.equal(retries[0]!.waitMs, 1000, 'the 429 waited out its Retry-After');
    assert.equal((r.applied[0]!.undo![0]!.body as Record<string, string>).Status, 'Active');
    assert.deepEqual(r.revoked, [key]);
  });

  test('detach-policy detaches the managed policies the graph attaches; delete-access-key; both unchanged when already so', async () => {
    const d = await respond(inc(), one('aws.detach-policy'), env);
    assert.equal(d.plan.steps.length, 1, 'the inline policy name is not an ARN to detach');
    assert.equal(d.applied[0]!.outcome, 'done');
    assert.equal(state.attached.get('svc-ci')!.size, 0);
    assert.equal((await respond(inc(), one('aws.detach-policy'), env)).applied[0]!.outcome, 'unchanged');

    const del = await respond(inc(), one('aws.delete-access-key'), env);
    assert.equal(del.applied[0]!.outcome, 'done');
    assert.equal(state.keys.has(key), false);
    assert.equal((await respond(inc(), one('aws.delete-access-key'), env)).applied[0]!.outcome, 'unchanged');
  });

  test('a temporary key or a key with no user is a subject not found', async () => {
    const temp = await respond(
      incident({ credential: { key: `ASIA${pick(16)}`, type: 'aws-access-key' } }),
      one('aws.deactivate-access-key'),
      env,
    );
    assert.match(temp.plan.steps[0]!.reason!, /temporary/);
    const role = await respond(
      incident({
        identity: { id: 'arn:aws:iam::123456789012:role/ci', type: 'iam-role' },
        credential: { key: awsKeyId(), type: 'aws-access-key' },
      }),
      one('aws.deactivate-access-key'),
      env,
    );
    assert.match(role.plan.steps[0]!.reason!, /no IAM user owns/);
  });
});

describe('github.revoke-credential', async () => {
  const revoked: string[] = [];
  const gh = await fakeGitHub(revoked);
  const tmp = tempDir();
  after(async () => {
    await gh.close();
    tmp.cleanup();
  });

  test('re-reads the leaked token where the scan found it, sends it once, and stores only its fingerprint', async () => {
    const token = `ghp_${pick(36, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}`;
    writeFileSync(join(tmp.dir, 'ci.env'), `# deploy\nGITHUB_TOKEN=${token}\n`);
    const inc = incident(
      { identity: { id: 'octo-bot', type: 'user' }, credential: { key: 'hashed', type: 'github-token' } },
      { credentialNode: `credential:sha256:${fingerprint(token)}`, leaks: [{ repository: 'acme/app', path: 'ci.env', line: 2 }] },
    );
    gh.faults.push('500');
    const r = await respond(
      inc,
      one('github.revoke-credential', '{ checkout: "." }'),
      { GITHUB_API_URL: gh.url, GITHUB_TOKEN: `ghp_${pick(36)}` },
      { cwd: tmp.dir },
    );
    assert.equal(r.applied[0]!.outcome, 'done', r.applied[0]!.error);
    assert.deepEqual(revoked, [token]);
    const req = gh.requests.at(-1)!;
    assert.equal(req.headers.accept, 'application/vnd.github+json');
    assert.equal(req.headers['x-github-api-version'], '2022-11-28');
    const everything = JSON.stringify([
      r.plan.steps.map((s) => ({ ...s, subject: s.subject?.key, calls: s.calls })),
      r.trail,
      [...r.steps.values()],
    ]);
    assert.ok(!everything.includes(token), 'the token is in no plan, step or audit entry');
    assert.ok(everything.includes(fingerprint(token)));
  });

  test('no leak location, or a file that no longer holds it: subject not found', async () => {
    const none = await respond(incident({ credential: { key: 'h', type: 'github-token' } }), one('github.revoke-credential'), {
      GITHUB_API_URL: gh.url,
    });
    assert.match(none.plan.steps[0]!.reason!, /only given the token itself/);
    const gone = await respond(
      incident(
        { credential: { key: 'h', type: 'github-token' } },
        { leaks: [{ repository: 'acme/app', path: 'missing.env', line: 1 }] },
      ),
      one('github.revoke-credential'),
      { GITHUB_API_URL: gh.url },
    );
    assert.match(gone.plan.steps[0]!.reason!, /no GitHub token matching/);
  });
});

describe('kubernetes actions (@kubernetes/client-node with a kubeconfig)', async () => {
  const state: Parameters<typeof fakeKube>[0] = {
    namespace: 'prod',
    secrets: new Map([
      ['api-token-x7k2p', { sa: 'api' }],
      ['other-token-aaaaa', { sa: 'other' }],
    ]),
    deployments: new Map([['api', { replicas: 3, labels: { app: 'api' } }]]),
    policies: new Map<string, unknown>(),
  };
  const kube = await fakeKube(state);
  const tmp = tempDir();
  after(async () => {
    await kube.close();
    tmp.cleanup();
  });
  const env = () => ({ KUBECONFIG: writeKubeconfig(tmp.dir, kube.url) });
  const sa = 'system:serviceaccount:prod:api';
  const inc = () =>
    incident({
      identity: { id: sa, type: 'service-account' },
      credential: { key: `JTI=${randomUUID()}`, type: 'k8s-token' },
      evidences: [
        event({
          source: 'k8s-audit',
          identity: { id: sa, type: 'service-account' },
          client: { ip: '10.0.0.9', workload: 'api-7d9f8b6c5d-x2x4z' },
        }),
      ],
    });

  test('delete-token-secret deletes only the service account token Secrets, through a 429', async () => {
    kube.faults.push('429');
    const r = await respond(inc(), one('k8s.delete-token-secret'), env());
    assert.equal(r.applied[0]!.outcome, 'done', r.applied[0]!.error);
    assert.deepEqual([...state.secrets.keys()], ['other-token-aaaaa']);
    assert.equal((await respond(inc(), one('k8s.delete-token-secret'), env())).applied[0]!.outcome, 'unchanged');
  });

  test('scale-to-zero reads the scale, sets 0 and keeps the old count as the undo; deny-all policy selects the pods', async () => {
    kube.faults.push('reset');
    const s = await respond(inc(), one('k8s.scale-to-zero'), env());
    assert.equal(s.applied[0]!.outcome, 'done', s.applied[0]!.error);
    assert.equal(state.deployments.get('api')!.replicas, 0);
    const patch = kube.requests.filter((q) => q.path.endsWith('/scale')).at(-1)!;
    assert.equal(patch.method, 'PATCH');
    assert.equal(patch.headers['content-type'], 'application/merge-patch+json');
    assert.deepEqual(s.applied[0]!.undo![0]!.body, { spec: { replicas: 3 } });
    assert.equal((await respond(inc(), one('k8s.scale-to-zero'), env())).applied[0]!.outcome, 'unchanged');

    const n = await respond(inc(), one('k8s.deny-all-network-policy'), env());
    assert.equal(n.applied[0]!.outcome, 'done', n.applied[0]!.error);
    const policy = state.policies.get('warden-deny-all-api') as {
      spec: { podSelector: unknown; policyTypes: string[]; ingress?: unknown };
    };
    assert.deepEqual(policy.spec.podSelector, { matchLabels: { app: 'api' } });
    assert.deepEqual(policy.spec.policyTypes, ['Ingress', 'Egress']);
    assert.equal(policy.spec.ingress, undefined);
    assert.equal((await respond(inc(), one('k8s.deny-all-network-policy'), env())).applied[0]!.outcome, 'unchanged');
  });

  test('a server without the scale subresource: the Deployment is read and patched instead', async () => {
    state.deployments.set('api', { replicas: 2, labels: { app: 'api' } });
    state.noScale = true;
    const s = await respond(inc(), one('k8s.scale-to-zero'), env());
    state.noScale = false;
    assert.equal(s.applied[0]!.outcome, 'done', s.applied[0]!.error);
    assert.equal(state.deployments.get('api')!.replicas, 0);
    assert.deepEqual(s.applied[0]!.undo![0]!.body, { spec: { replicas: 2 } });
    const patch = kube.requests.at(-1)!;
    assert.deepEqual([patch.method, patch.path], ['PATCH', '/apis/apps/v1/namespaces/prod/deployments/api']);
  });

  test('no workload named: subject not found', async () => {
    const r = await respond(incident({}), one('k8s.scale-to-zero'), env());
    assert.equal(r.plan.steps[0]!.status, 'subject-not-found');
  });
});

describe('notify, review, playbooks and approval', async () => {
  const received: unknown[] = [];
  const hook = await fakeWebhook(received);
  after(() => hook.close());

  test('notify.webhook posts a Slack-compatible message once; apply again skips every done step', async () => {
    const yaml = `playbooks:\n  - id: p\n    steps:\n      - action: notify.webhook\n        with: { url: "${hook.url}/services/T0/B0" }\n      - action: review.related-identities\n`;
    const inc = incident({});
    const mem = memoryLedger();
    const first = await respond(inc, yaml, {}, {}, mem);
    assert.deepEqual(
      first.applied.map((s) => s.outcome),
      ['done', 'done'],
    );
    const msg = received[0] as { text: string; blocks: Array<{ type: string }> };
    assert.match(msg.text, /HIGH Credential used from a new source for svc-ci/);
    assert.equal(msg.blocks[0]!.type, 'header');
    const second = await respond(inc, yaml, {}, {}, mem);
    assert.deepEqual(
      second.applied.map((s) => s.outcome),
      ['already-done', 'already-done'],
    );
    assert.equal(received.length, 1);
    assert.ok(!JSON.stringify(mem.trail).includes('/services/T0/B0'), 'the webhook path (its secret) is not in the trail');
  });

  test('a step left running by a crash runs again; a done one does not', async () => {
    const yaml = `playbooks:\n  - id: p\n    steps:\n      - action: notify.webhook\n        with: { url: "${hook.url}/h" }\n      - action: review.related-identities\n`;
    const inc = incident({});
    const mem = memoryLedger();
    const plan = await planResponse(inc, parsePlaybooks(yaml, 'f'), { ledger: mem.ledger, env: {}, cwd: '.' });
    await mem.ledger.putStep({
      id: plan.steps[0]!.id,
      alertUid: inc.alert.uid,
      playbookId: 'p',
      position: 0,
      action: 'notify.webhook',
      subject: plan.steps[0]!.subject!.key,
      status: 'done',
      approvedBy: 'cli:x',
      updatedAt: 1,
    });
    await mem.ledger.putStep({
      id: plan.steps[1]!.id,
      alertUid: inc.alert.uid,
      playbookId: 'p',
      position: 1,
      action: 'review.related-identities',
      subject: plan.steps[1]!.subject!.key,
      status: 'running',
      approvedBy: 'cli:x',
      updatedAt: 1,
    });
    const n = received.length;
    const applied = await applyResponse(inc, plan, { ledger: mem.ledger, env: {}, cwd: '.', actor: 'cli:x', approved: true });
    assert.deepEqual(
      applied.map((s) => s.outcome),
      ['already-done', 'done'],
    );
    assert.equal(received.length, n);
  });

  test('approval: required refuses without approval; automatic runs; triggers say why a playbook does not match', async () => {
    const inc = incident({});
    const req = parsePlaybooks(one('review.related-identities'), 'f');
    const mem = memoryLedger();
    const plan = await planResponse(inc, req, { ledger: mem.ledger, env: {}, cwd: '.' });
    await assert.rejects(
      applyResponse(inc, plan, { ledger: mem.ledger, env: {}, cwd: '.', actor: 'automatic', approved: false }),
      (e: unknown) => e instanceof WardenError && e.code === 'WARDEN_APPROVAL_REQUIRED',
    );
    const auto = parsePlaybooks(`${one('review.related-identities')}    approval: automatic\n`, 'f');
    const autoPlan = await planResponse(inc, auto, { ledger: mem.ledger, env: {}, cwd: '.' });
    assert.equal(
      (await applyResponse(inc, autoPlan, { ledger: mem.ledger, env: {}, cwd: '.', actor: 'automatic', approved: false }))[0]!
        .outcome,
      'done',
    );
    const forbidden = await planResponse(inc, auto, {
      ledger: mem.ledger,
      env: {},
      cwd: '.',
      automaticForbidden: () => 'svc-ci forbids automatic response',
    });
    assert.equal(forbidden.playbook!.approval, 'required');

    const picky = parsePlaybooks(
      `playbooks:\n  - id: crit\n    when: { minSeverity: critical }\n    steps: [{ action: review.related-identities }]\n  - id: vault\n    when: { detections: [runtime.credential.reuse-after-revocation], exposure: leaked-revoked }\n    steps: [{ action: review.related-identities }]\n`,
      'f',
    );
    const none = await planResponse(inc, picky, { ledger: mem.ledger, env: {}, cwd: '.' });
    assert.equal(none.playbook, undefined);
    assert.deepEqual(
      none.considered.map((c) => c.reason),
      [
        'severity high is below critical',
        'detection runtime.credential.new-source is not one of runtime.credential.reuse-after-revocation',
      ],
    );
  });

  test('a manifest identity with response.automatic false turns its automatic playbooks into approval required', async () => {
    const parsed = parseManifest(
      'version: 1\nidentities:\n  svc-ci:\n    owner: platform-team\n    match: ["arn:aws:iam::123456789012:user/svc-ci"]\n    response: { automatic: false }\n',
      'warden.policy.yaml',
    );
    assert.ok(parsed.ok);
    const inc = incident({});
    const mem = memoryLedger();
    const auto = parsePlaybooks(`${one('review.related-identities')}    approval: automatic\n`, 'f');
    const plan = await planResponse(inc, auto, {
      ledger: mem.ledger,
      env: {},
      cwd: '.',
      automaticForbidden: automaticForbiddenBy(parsed.value, inc),
    });
    assert.equal(plan.playbook!.approval, 'required');
    assert.equal(plan.playbook!.automaticForbidden, 'svc-ci forbids automatic response (warden.policy.yaml:6)');
    await assert.rejects(
      applyResponse(inc, plan, { ledger: mem.ledger, env: {}, cwd: '.', actor: 'automatic', approved: false }),
      (e: unknown) => e instanceof WardenError && e.code === 'WARDEN_APPROVAL_REQUIRED' && /forbids automatic/.test(e.message),
    );
  });

  test('playbook errors carry file:line: unknown action, unknown key, bad YAML, duplicate id', () => {
    const bad = (text: string) => {
      try {
        parsePlaybooks(text, 'warden.playbooks.yaml');
      } catch (e) {
        assert.ok(e instanceof WardenError && e.code === 'WARDEN_PLAYBOOK_INVALID');
        return e.issues.map((i) => `${i.path} ${i.message}`);
      }
      assert.fail('accepted');
    };
    const unknown = bad('playbooks:\n  - id: p\n    steps:\n      - action: aws.nuke-account\n');
    assert.match(
      unknown[0]!,
      /^warden\.playbooks\.yaml:4 playbooks\.0\.steps\.0\.action unknown action \(known: vault\.revoke-accessor/,
    );
    assert.match(
      bad('playbooks:\n  - id: p\n    when:\n      severity: high\n    steps: [{ action: notify.webhook }]\n')[0]!,
      /^warden\.playbooks\.yaml:4 playbooks\.0\.when Unrecognized key: "severity"/,
    );
    assert.match(bad('playbooks:\n  - id: p\n   steps: [\n')[0]!, /^warden\.playbooks\.yaml:\d+ /);
    assert.match(
      bad(
        'playbooks:\n  - id: p\n    steps: [{ action: notify.webhook }]\n  - id: p\n    steps: [{ action: notify.webhook }]\n',
      )[0]!,
      /:4 playbooks\.1\.id duplicate id p/,
    );
    assert.match(
      bad('playbooks:\n  - id: p\n    when: { detections: [runtime.nope] }\n    steps: [{ action: notify.webhook }]\n')[0]!,
      /unknown detection/,
    );
    // The policy check and Sigma rules (by their id) are detections a playbook may answer too.
    const sigmaId = '93b50ff7-edfb-5028-81fb-d3eeb275e78c';
    const ok = parsePlaybooks(
      `playbooks:\n  - id: p\n    when: { detections: [runtime.policy.violation, ${sigmaId}, runtime.credential.new-source] }\n    steps: [{ action: notify.webhook }]\n`,
      'warden.playbooks.yaml',
    );
    assert.deepEqual(ok[0]!.when.detections, ['runtime.policy.violation', sigmaId, 'runtime.credential.new-source']);
  });
});
