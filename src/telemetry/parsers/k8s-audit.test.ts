import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type IdentityEvent, IdentityEventSchema } from '../../model/identity-event.js';
import { createK8sAuditParser } from './k8s-audit.js';
import { sampleRecords } from './k8s-audit.samples.js';
import { dig, rfc3339Stamps } from './testing.js';
import { isoTime } from './util.js';

type Rec = Record<string, unknown>;

interface Run {
  events: IdentityEvent[];
  rejects: { line: number; reject: string; detail?: string | undefined }[];
  silent: number[];
}

function run(records: unknown[]): Run {
  const parser = createK8sAuditParser();
  const events: IdentityEvent[] = [];
  const rejects: Run['rejects'] = [];
  const silent: number[] = [];
  records.forEach((r, i) => {
    const out = parser.push(r, { file: 'audit.log', line: i + 1 });
    if (!Array.isArray(out)) rejects.push({ line: i + 1, ...out });
    else if (out.length === 0) silent.push(i + 1);
    else events.push(...out);
  });
  assert.deepEqual(parser.flush(), []);
  return { events, rejects, silent };
}

const records = sampleRecords();
const sample = run(records);
const byUri = (prefix: string) => records.filter((r) => String(dig(r, 'requestURI')).startsWith(prefix));
function event(pred: (e: IdentityEvent) => boolean): IdentityEvent {
  const e = sample.events.find(pred);
  assert.ok(e, 'no matching event');
  return e;
}
const completeOf = (uriPrefix: string, nth = 0) =>
  byUri(uriPrefix).filter((r) => dig(r, 'stage') === 'ResponseComplete' || dig(r, 'stage') === 'Panic')[nth] as Rec;

test('one schema-valid event per request; earlier stages are silent; bad records rejected with reasons', () => {
  for (const e of sample.events) IdentityEventSchema.parse(e);
  const ids = sample.events.map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length);
  // RequestReceived ×3 and ResponseStarted ×1 in the sample: no events, no rejections.
  const stages = sample.silent.map((line) => dig(records[line - 1], 'stage'));
  assert.deepEqual(stages.sort(), ['RequestReceived', 'RequestReceived', 'RequestReceived', 'ResponseStarted']);
  assert.deepEqual(
    sample.rejects.map((r) => r.reject),
    ['missing-time', 'not-k8s-audit', 'unknown-stage'],
  );
  const auditIds = new Set(
    records.flatMap((r) => (Array.isArray(dig(r, 'items')) ? (dig(r, 'items') as unknown[]) : [r])).map((r) => dig(r, 'auditID')),
  );
  auditIds.delete(undefined);
  // Every audit id except the two rejected records yields one event.
  assert.equal(sample.events.length, auditIds.size - 2);
});

test('a pod service account reading a Secret: SA identity, JTI credential, pod workload, node host, last source IP', () => {
  const rec = completeOf('/api/v1/namespaces/payments/secrets/db-credentials');
  const e = event((x) => x.id === rec.auditID);
  assert.deepEqual(e.identity, {
    id: 'system:serviceaccount:payments:payments-api',
    type: 'service-account',
    name: 'payments-api',
    scope: 'payments',
  });
  const extra = dig(rec, 'user', 'extra') as Rec;
  assert.deepEqual(e.credential, {
    key: (extra['authentication.kubernetes.io/credential-id'] as string[])[0],
    type: 'k8s-token',
    lifecycle: 'used',
  });
  assert.match(e.credential?.key ?? '', /^JTI=[0-9a-f-]{36}$/);
  assert.equal(e.client.workload, (extra['authentication.kubernetes.io/pod-name'] as string[])[0]);
  assert.equal(e.client.host, (extra['authentication.kubernetes.io/node-name'] as string[])[0]);
  assert.equal(e.client.ip, (rec.sourceIPs as string[]).at(-1));
  assert.equal(e.client.userAgent, rec.userAgent);
  assert.equal(e.action, 'k8s:get');
  assert.deepEqual(e.resource, { type: 'secrets', id: 'payments/db-credentials' });
  assert.deepEqual(e.tags, ['secret.read']);
  assert.equal(e.outcome, 'success');
  assert.equal(e.time, new Date(Date.parse(String(rec.stageTimestamp))).toISOString());
  assert.equal(e.raw.line, records.indexOf(rec) + 1);
  assert.equal(dig(e.raw.extra, 'annotations', 'authorization.k8s.io/decision'), 'allow');
});

test('a forbidden list fails with the status reason, and the namespace-wide target is ns/*', () => {
  const e = event((x) => x.resource?.id === 'kube-system/*');
  assert.equal(e.outcome, 'failure');
  assert.equal(e.reason, 'Forbidden');
  assert.deepEqual(e.tags, ['secret.read']);
  assert.equal(e.action, 'k8s:list');
});

test('TokenRequest: credential.issued naming the JTI the pod then uses; expiry at RequestResponse level', () => {
  const kubelet = event((x) => x.resource?.id === 'payments/payments-api');
  assert.equal(kubelet.identity.type, 'app');
  assert.equal(kubelet.identity.id.startsWith('system:node:'), true);
  assert.deepEqual(kubelet.tags, ['credential.issued']);
  assert.equal(kubelet.resource?.type, 'serviceaccounts/token');
  const podRead = event((x) => x.resource?.id === 'payments/db-credentials' && x.identity.type === 'service-account');
  assert.equal(kubelet.credential?.subject, podRead.credential?.key, 'issued JTI joins the later use');
  assert.equal(kubelet.credential?.lifecycle, 'issued');

  const ci = event((x) => x.resource?.id === 'deploy/deployer');
  const rec = completeOf('/api/v1/namespaces/deploy/serviceaccounts/deployer/token');
  assert.equal(ci.credential?.key, (dig(rec, 'user', 'extra', 'authentication.kubernetes.io/credential-id') as string[])[0]);
  assert.equal(ci.credential?.subject, dig(rec, 'annotations', 'authentication.kubernetes.io/issued-credential-id'));
  assert.equal(
    ci.credential?.expiresAt,
    new Date(String(dig(rec, 'responseObject', 'status', 'expirationTimestamp'))).toISOString(),
  );
  // Without the annotation (Kubernetes < 1.30) the subject is the service account.
  const old = structuredClone(rec);
  delete (old.annotations as Rec)['authentication.kubernetes.io/issued-credential-id'];
  const out = createK8sAuditParser().push(old, {});
  assert.ok(Array.isArray(out));
  assert.equal(out[0]!.credential?.subject, 'system:serviceaccount:deploy:deployer');
});

test('RBAC writes are privilege changes; the proxied client IP is the last sourceIP', () => {
  const crb = event((x) => x.resource?.type === 'clusterrolebindings');
  assert.deepEqual(crb.tags, ['privilege.change']);
  assert.deepEqual(crb.identity, { id: 'alice@example.com', type: 'user', name: 'alice@example.com' });
  const rec = completeOf('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings');
  const ips = rec.sourceIPs as string[];
  assert.equal(ips.length, 2);
  assert.equal(crb.client.ip, ips[1]);
  assert.deepEqual(crb.raw.extra?.sourceIPs, ips);
  assert.deepEqual(crb.resource, { type: 'clusterrolebindings', id: 'payments-oncall-admin' });

  const role = event((x) => x.resource?.type === 'roles');
  assert.deepEqual(role.tags, ['privilege.change']);
  assert.equal(role.action, 'k8s:patch');
  assert.equal(role.identity.scope, 'argocd');
  assert.equal(role.client.workload, 'argocd-application-controller-0');
});

test('a watch logged at three stages is one event; a panic is a failure', () => {
  const watches = sample.events.filter((x) => x.action === 'k8s:watch');
  assert.equal(watches.length, 1);
  assert.deepEqual(watches[0]!.resource, { type: 'secrets', id: '*' });
  assert.deepEqual(watches[0]!.tags, ['secret.read']);

  const panic = event((x) => x.resource?.id === 'payments/feature-flags');
  assert.equal(panic.outcome, 'failure');
  assert.equal(panic.reason, 'InternalError');
  const bare = structuredClone(completeOf('/api/v1/namespaces/payments/configmaps/feature-flags'));
  delete bare.responseStatus;
  const out = createK8sAuditParser().push(bare, {});
  assert.ok(Array.isArray(out));
  assert.equal(out[0]!.outcome, 'failure');
  assert.equal(out[0]!.reason, 'Panic');
});

test('failed authentication and anonymous access', () => {
  const unauth = event((x) => x.reason === 'Unauthorized');
  assert.deepEqual(unauth.identity, { id: 'system:unauthenticated', type: 'unknown' });
  assert.equal(unauth.credential, undefined);
  assert.match(unauth.client.ip ?? '', /^192\.0\.2\./);

  const anon = event((x) => x.identity.id === 'system:anonymous');
  assert.equal(anon.identity.type, 'unknown');
  assert.deepEqual(anon.resource, { type: 'non-resource-url', id: '/version' });
  assert.equal(anon.outcome, 'success');
});

test('impersonation keeps the authenticated caller and records whom it impersonated', () => {
  const e = event((x) => x.tags.includes('impersonation'));
  assert.equal(e.identity.id, 'alice@example.com');
  assert.equal(e.raw.extra?.impersonatedUser, 'system:serviceaccount:payments:payments-api');
  assert.deepEqual(e.tags, ['secret.read', 'impersonation']);
});

test('legacy token Secret creation is an issuance; exec and kubelet reads map their resource', () => {
  const legacy = event((x) => x.resource?.id === 'payments/payments-api-long-lived');
  assert.deepEqual(legacy.tags, ['credential.issued']);
  assert.equal(legacy.credential?.subject, 'payments/payments-api-long-lived');

  const exec = event((x) => x.resource?.type === 'pods/exec');
  assert.equal(exec.outcome, 'success');
  assert.deepEqual(exec.tags, []);

  const kubeletRead = event((x) => x.resource?.id === 'payments/tls-cert');
  assert.equal(kubeletRead.identity.type, 'app');
  assert.equal(kubeletRead.credential, undefined);
  assert.deepEqual(kubeletRead.tags, ['secret.read']);
});

test('an EventList yields its items; an all-rejected list is rejected', () => {
  const list = records.find((r) => dig(r, 'kind') === 'EventList') as Rec;
  const line = records.indexOf(list) + 1;
  const fromList = sample.events.filter((e) => e.raw.line === line);
  assert.equal(fromList.length, 2);
  assert.deepEqual(
    fromList.map((e) => e.resource),
    [
      { type: 'configmaps', id: '*' },
      { type: 'non-resource-url', id: '/metrics' },
    ],
  );
  const bad = createK8sAuditParser().push(
    { kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [1, { kind: 'Event' }] },
    {},
  );
  assert.deepEqual(bad, { reject: 'not-k8s-audit', detail: '2 of 2 items rejected' });
  assert.deepEqual(createK8sAuditParser().push({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [] }, {}), []);
});

test('event time prefers stageTimestamp, then requestReceivedTimestamp; failures of lifecycle calls issue nothing', () => {
  const rec = structuredClone(completeOf('/api/v1/namespaces/payments/serviceaccounts/payments-api/token'));
  delete rec.stageTimestamp;
  let out = createK8sAuditParser().push(rec, {});
  assert.ok(Array.isArray(out));
  assert.equal(out[0]!.time, new Date(String(rec.requestReceivedTimestamp)).toISOString());
  rec.responseStatus = { metadata: {}, status: 'Failure', reason: 'Forbidden', code: 403 };
  out = createK8sAuditParser().push(rec, {});
  assert.ok(Array.isArray(out));
  assert.deepEqual(out[0]!.tags, []);
  assert.equal(out[0]!.credential, undefined);
  assert.equal(out[0]!.outcome, 'failure');
});

test('rejections carry reasons; detect tells audit events from other records', () => {
  const p = createK8sAuditParser();
  const reasons = [
    null,
    'x',
    [],
    {},
    { kind: 'Pod' },
    { kind: 'Event', auditID: 'a', stage: 'ResponseComplete' },
    { kind: 'Event', stage: 7 },
  ]
    .map((r) => p.push(r, {}))
    .map((o) => (Array.isArray(o) ? 'events' : o.reject));
  assert.deepEqual(reasons, [
    'not-k8s-audit',
    'not-k8s-audit',
    'not-k8s-audit',
    'not-k8s-audit',
    'not-k8s-audit',
    'missing-time',
    'unknown-stage',
  ]);
  assert.ok(records.slice(0, 5).every((r) => p.detect(r)));
  for (const r of [null, 1, {}, { kind: 'Event', apiVersion: 'v1' }, { type: 'request', request: {} }])
    assert.equal(p.detect(r), false);
  assert.equal(p.detect({ auditID: 'x', stage: 'ResponseComplete' }), true);
});

test('hostile values anywhere in a record never throw', () => {
  const hostile: unknown[] = [null, 0, 1e308, Number.NaN, true, '', 'x'.repeat(100_000), [], [null], [1, 2], {}, { a: 1 }];
  const p = createK8sAuditParser();
  const mutateEach = (root: Rec, node: Rec) => {
    for (const k of Object.keys(node)) {
      const saved = node[k];
      for (const h of hostile) {
        node[k] = h;
        const out = p.push(root, {});
        assert.ok(Array.isArray(out) || typeof out.reject === 'string');
        for (const e of Array.isArray(out) ? out : []) IdentityEventSchema.parse(e);
      }
      node[k] = saved;
      if (typeof saved === 'object' && saved !== null && !Array.isArray(saved)) mutateEach(root, saved as Rec);
    }
  };
  for (const prefix of [
    '/api/v1/namespaces/payments/secrets/db-credentials',
    '/api/v1/namespaces/deploy/serviceaccounts',
    '/apis/rbac',
  ]) {
    const root = structuredClone(completeOf(prefix));
    mutateEach(root, root);
  }
});

test('samples are deterministic per seed and differ across seeds', () => {
  assert.deepEqual(sampleRecords(3), sampleRecords(3));
  assert.notDeepEqual(sampleRecords(3), sampleRecords(4));
});

test('event time: the RFC 3339 fast path agrees with isoTime on valid, odd and invalid stamps', () => {
  const p = createK8sAuditParser();
  for (const t of rfc3339Stamps()) {
    const out = p.push(
      { kind: 'Event', apiVersion: 'audit.k8s.io/v1', auditID: 'x', stage: 'ResponseComplete', stageTimestamp: t },
      {},
    );
    const expected = isoTime(t);
    if (expected === undefined) assert.ok(!Array.isArray(out) && out.reject === 'missing-time', t);
    else assert.equal(Array.isArray(out) ? out[0]?.time : out.reject, expected, t);
  }
});
