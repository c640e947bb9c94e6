import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type IdentityEvent, IdentityEventSchema } from '../../model/identity-event.js';
import type { EventParser } from '../types.js';
import { dig, rfc3339Stamps } from './testing.js';
import { isoTime } from './util.js';
import { createVaultParser } from './vault.js';
import { sampleRecords } from './vault.samples.js';

type Rec = Record<string, unknown>;

interface Run {
  events: IdentityEvent[];
  rejects: { line: number; reject: string; detail?: string | undefined }[];
  flushed: IdentityEvent[];
}

function run(records: unknown[], parser: EventParser = createVaultParser()): Run {
  const events: IdentityEvent[] = [];
  const rejects: Run['rejects'] = [];
  records.forEach((r, i) => {
    const out = parser.push(r, { file: 'audit.log', line: i + 1 });
    if (Array.isArray(out)) events.push(...out);
    else rejects.push({ line: i + 1, ...out });
  });
  const flushed = parser.flush();
  events.push(...flushed);
  return { events, rejects, flushed };
}

const records = sampleRecords();
const sample = run(records);
/** The sample entries (request first, then response, in log order) for one Vault path. */
const entries = (path: string) => records.filter((r) => dig(r, 'request', 'path') === path);
const responseOf = (path: string, nth = 0) => entries(path).filter((r) => dig(r, 'type') === 'response')[nth];
const eventsAt = (path: string) => sample.events.filter((e) => e.resource?.id === path);
function eventAt(path: string, nth = 0): IdentityEvent {
  const e = eventsAt(path)[nth];
  assert.ok(e, `no event for ${path}`);
  return e;
}

test('every sample call becomes exactly one schema-valid event; bad records are rejected with reasons', () => {
  for (const e of sample.events) IdentityEventSchema.parse(e);
  const ids = sample.events.map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length, 'one event per request id');
  // Every request id in the log yields one event, whether its pair was complete, reversed or half.
  const rejected = new Set(sample.rejects.map((r) => r.line));
  const requestIds = new Set(records.filter((_, i) => !rejected.has(i + 1)).map((r) => dig(r, 'request', 'id')));
  assert.equal(sample.events.length, requestIds.size);
  assert.deepEqual(
    sample.rejects.map((r) => r.reject),
    ['not-vault-audit', 'missing-time', 'missing-request-id'],
  );
  for (const e of sample.events) assert.match(e.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

test('Kubernetes-auth login: service-account identity, new accessor issued with expiry, request time and both lines', () => {
  const e = eventAt('auth/kubernetes/login');
  const [req, res] = entries('auth/kubernetes/login');
  const newAuth = dig(res, 'response', 'auth') as Rec;
  assert.equal(e.id, dig(req, 'request', 'id'));
  assert.deepEqual(e.identity, {
    id: newAuth.entity_id,
    type: 'service-account',
    name: 'kubernetes-payments-payments-api',
    scope: 'root',
    via: 'system:serviceaccount:payments:payments-api',
  });
  assert.equal(e.credential?.lifecycle, 'issued');
  assert.equal(e.credential?.subject, newAuth.accessor);
  assert.equal(e.credential?.key, newAuth.accessor);
  assert.equal(e.credential?.type, 'vault-accessor');
  assert.equal(e.credential?.expiresAt, new Date(Date.parse(String(newAuth.token_issue_time)) + 3600_000).toISOString());
  assert.deepEqual(e.tags, ['auth.login', 'credential.issued']);
  assert.equal(e.outcome, 'success');
  assert.equal(e.action, 'vault:update');
  assert.equal(e.time, new Date(Date.parse(String(dig(req, 'time')))).toISOString());
  assert.equal(e.client.ip, dig(req, 'request', 'remote_address'));
  assert.equal(e.client.userAgent, 'Go-http-client/1.1');
  const line = records.indexOf(res) + 1;
  assert.equal(e.raw.line, line);
  assert.equal(e.raw.file, 'audit.log');
  assert.equal(e.raw.extra?.requestLine, records.indexOf(req) + 1);
  assert.equal(e.raw.extra?.mount_type, 'kubernetes');
  assert.deepEqual(e.raw.extra?.policies, ['default', 'payments-read']);
});

test('KV v2 and v1 reads are secret.read on the vault path, the caller accessor used', () => {
  const login = dig(responseOf('auth/kubernetes/login'), 'response', 'auth', 'accessor');
  const kv2 = eventAt('secret/data/payments/db');
  assert.deepEqual(kv2.tags, ['secret.read']);
  assert.deepEqual(kv2.resource, { type: 'vault-path', id: 'secret/data/payments/db' });
  const { issuedAt, expiresAt, ...kv2Credential } = kv2.credential ?? { key: '', type: '', lifecycle: 'used' };
  assert.deepEqual(kv2Credential, { key: login, type: 'vault-accessor', lifecycle: 'used' });
  // A token in use says when it was issued and when it expires (token_issue_time + token_ttl).
  assert.ok(issuedAt !== undefined && expiresAt !== undefined && Date.parse(expiresAt) > Date.parse(issuedAt));
  assert.equal(kv2.action, 'vault:read');
  assert.equal(kv2.client.userAgent, 'vault-agent/1.17.2');

  const kv1 = eventAt('kv/backups/s3');
  assert.deepEqual(kv1.tags, ['secret.read']);
  assert.equal(kv1.identity.id, 'token-nightly-backup', 'a token with no entity is named by its display name');
  assert.equal(kv1.identity.type, 'vault-token');
  assert.equal(kv1.credential?.key, dig(responseOf('auth/token/create'), 'response', 'auth', 'accessor'));
});

test('dynamic database credentials: the lease is issued and the read is a secret read', () => {
  const e = eventAt('database/creds/payments-ro');
  const lease = dig(responseOf('database/creds/payments-ro'), 'response', 'secret', 'lease_id');
  assert.deepEqual(e.tags, ['secret.read', 'credential.issued']);
  assert.equal(e.credential?.lifecycle, 'issued');
  assert.equal(e.credential?.subject, lease);
  assert.equal(e.raw.extra?.mount_type, 'database');
});

test('AppRole login, token create, wrapped token create and secret-id generation are issuances', () => {
  const login = eventAt('auth/approle/login');
  assert.equal(login.identity.type, 'vault-token');
  assert.equal(login.identity.name, 'approle');
  assert.deepEqual(login.tags, ['auth.login', 'credential.issued']);
  const ciAccessor = dig(responseOf('auth/approle/login'), 'response', 'auth', 'accessor');
  assert.equal(login.credential?.subject, ciAccessor);

  const [create, wrapped] = eventsAt('auth/token/create');
  assert.ok(create && wrapped);
  assert.equal(create.credential?.key, ciAccessor, 'the creator presents its own token');
  assert.equal(create.credential?.subject, dig(responseOf('auth/token/create'), 'response', 'auth', 'accessor'));
  assert.equal(create.credential?.lifecycle, 'issued');
  assert.ok(create.credential?.expiresAt);
  assert.deepEqual(create.tags, ['credential.issued']);
  assert.equal(wrapped.credential?.subject, dig(responseOf('auth/token/create', 1), 'response', 'wrap_info', 'wrapped_accessor'));
  assert.equal(wrapped.credential?.expiresAt, undefined, 'the wrapping TTL is not the token TTL');

  const secretId = eventAt('auth/approle/role/ci-deployer/secret-id');
  assert.deepEqual(secretId.tags, ['credential.issued']);
  assert.equal(
    secretId.credential?.subject,
    dig(responseOf('auth/approle/role/ci-deployer/secret-id'), 'response', 'data', 'secret_id_accessor'),
  );
});

test('revocations name the revoked credential: by accessor, by token (mapped to its accessor), by lease, self', () => {
  const backupAccessor = dig(responseOf('auth/token/create'), 'response', 'auth', 'accessor');
  const byAccessor = eventAt('auth/token/revoke-accessor');
  assert.deepEqual(byAccessor.tags, ['credential.revoked']);
  assert.equal(byAccessor.credential?.lifecycle, 'revoked');
  assert.equal(byAccessor.credential?.subject, backupAccessor);

  // The body names the token's HMAC; the parser saw that token with its accessor and reports the accessor.
  const byToken = eventAt('auth/token/revoke');
  assert.equal(byToken.credential?.subject, dig(responseOf('auth/kubernetes/login'), 'response', 'auth', 'accessor'));

  const leaseBody = eventAt('sys/leases/revoke');
  assert.equal(leaseBody.credential?.subject, dig(entries('sys/leases/revoke')[0], 'request', 'data', 'lease_id'));
  const lease = String(dig(responseOf('database/creds/payments-ro'), 'response', 'secret', 'lease_id'));
  const leasePath = eventAt(`sys/leases/revoke/${lease}`);
  assert.equal(leasePath.credential?.subject, lease, 'the path form names the lease as issued');

  const self = eventAt('auth/token/revoke-self');
  assert.equal(self.credential?.subject, self.credential?.key);
  assert.equal(self.credential?.subject, dig(responseOf('auth/approle/login'), 'response', 'auth', 'accessor'));
});

test('the token → accessor joins outlive a parser: remembered, saved as JSON and recalled by another', () => {
  const login = entries('auth/kubernetes/login');
  const revoke = entries('auth/token/revoke');
  const accessor = dig(responseOf('auth/kubernetes/login'), 'response', 'auth', 'accessor');
  const first = createVaultParser();
  run(login, first);
  const saved = JSON.parse(JSON.stringify(first.memory?.())) as unknown;
  // A parser that never saw the login cannot name the revoked token's accessor; one that recalled the joins can.
  const blank = run(revoke).events.find((e) => e.resource?.id === 'auth/token/revoke');
  assert.notEqual(blank?.credential?.subject, accessor);
  const second = createVaultParser();
  second.recall?.(saved);
  second.recall?.('not a list');
  second.recall?.([[1, 2], ['only-one']]);
  const joined = run(revoke, second).events.find((e) => e.resource?.id === 'auth/token/revoke');
  assert.equal(joined?.credential?.subject, accessor);
  // The recalled joins come first (oldest), then what the revocations taught it; nothing malformed.
  const memory = second.memory?.() as unknown[];
  assert.deepEqual(memory.slice(0, (saved as unknown[]).length), saved);
  assert.ok(memory.every((pair) => Array.isArray(pair) && pair.every((x) => typeof x === 'string')));
});

test('policy write logged response-first: one event, privilege.change, the late request dropped', () => {
  const [res, req] = entries('sys/policies/acl/payments-admin');
  assert.equal(dig(res, 'type'), 'response');
  assert.equal(dig(req, 'type'), 'request');
  const all = eventsAt('sys/policies/acl/payments-admin');
  assert.equal(all.length, 1);
  const e = all[0]!;
  assert.deepEqual(e.tags, ['privilege.change']);
  assert.equal(e.outcome, 'success');
  assert.equal(e.identity.name, 'userpass-alice');
  assert.equal(e.raw.line, records.indexOf(res) + 1);
  assert.ok(!sample.flushed.some((f) => f.id === e.id));
});

test('a denied read fails with the error as reason and keeps secret.read', () => {
  const e = eventAt('secret/data/prod/root-creds');
  assert.equal(e.outcome, 'failure');
  assert.equal(e.reason, '1 error occurred:\n\t* permission denied\n\n');
  assert.deepEqual(e.tags, ['secret.read']);
  assert.equal(e.credential?.lifecycle, 'used');
});

test('a failed login has no token: unauthenticated identity, the client address, no credential', () => {
  const failed = eventsAt('auth/approle/login').find((e) => e.outcome === 'failure');
  assert.ok(failed);
  assert.deepEqual(failed.identity, { id: 'unauthenticated', type: 'unknown', scope: 'root' });
  assert.equal(failed.credential, undefined);
  assert.equal(failed.reason, 'invalid role or secret ID');
  assert.deepEqual(failed.tags, ['auth.login']);
  assert.match(failed.client.ip ?? '', /^192\.0\.2\./);
});

test('root token, batch token in a namespace', () => {
  const root = eventAt('secret/data/platform/tls');
  assert.equal(root.identity.type, 'root');
  assert.equal(root.identity.id, 'root');

  const batch = eventAt('secret/data/reports/warehouse');
  const token = dig(entries('secret/data/reports/warehouse')[0], 'auth', 'client_token');
  assert.deepEqual(
    { key: batch.credential?.key, type: batch.credential?.type, lifecycle: batch.credential?.lifecycle },
    { key: token, type: 'vault-token', lifecycle: 'used' },
  );
  assert.equal(batch.identity.scope, 'analytics/');
  assert.equal(batch.identity.type, 'service-account');
  assert.equal(batch.raw.extra?.token_type, 'batch');
});

test('a response with no request in the log still becomes an event; an unanswered request is flushed as unknown', () => {
  const orphan = eventAt('kv/backups/gcs');
  assert.equal(orphan.outcome, 'success');
  assert.equal(orphan.raw.extra?.requestLine, undefined);
  assert.equal(orphan.id, dig(entries('kv/backups/gcs')[0], 'request', 'id'));

  assert.equal(sample.flushed.length, 1);
  const pending = sample.flushed[0]!;
  assert.equal(pending.resource?.id, 'secret/data/payments/stripe');
  assert.equal(pending.outcome, 'unknown');
  assert.deepEqual(pending.tags, ['secret.read']);
  assert.equal(pending.raw.line, records.indexOf(entries('secret/data/payments/stripe')[0]) + 1);
});

test('interleaved pairs are matched by request id', () => {
  const parser = createVaultParser();
  const [aReq, aRes] = entries('kv/backups/s3');
  const [bReq, bRes] = entries('secret/data/payments/db');
  const out = [aReq, bReq, bRes, aRes].flatMap((r, i) => {
    const o = parser.push(r, { line: i + 1 });
    return Array.isArray(o) ? o : [];
  });
  assert.deepEqual(
    out.map((e) => [e.resource?.id, e.outcome, e.raw.line, e.raw.extra?.requestLine]),
    [
      ['secret/data/payments/db', 'success', 3, 2],
      ['kv/backups/s3', 'success', 4, 1],
    ],
  );
  assert.deepEqual(parser.flush(), []);
});

test('held requests are bounded: the oldest is emitted as unknown when the cap is passed', () => {
  const parser = createVaultParser({ maxHeldRequests: 2 });
  const reqs = records.filter(
    (r) => dig(r, 'type') === 'request' && typeof dig(r, 'request', 'id') === 'string' && dig(r, 'time'),
  );
  assert.deepEqual(parser.push(reqs[0], { line: 1 }), []);
  assert.deepEqual(parser.push(reqs[1], { line: 2 }), []);
  const out = parser.push(reqs[2], { line: 3 });
  assert.ok(Array.isArray(out));
  assert.equal(out.length, 1);
  assert.equal(out[0]!.id, dig(reqs[0], 'request', 'id'));
  assert.equal(out[0]!.outcome, 'unknown');
  assert.deepEqual(
    parser.flush().map((e) => e.raw.line),
    [2, 3],
  );
});

test('a request read twice is held once', () => {
  const parser = createVaultParser();
  const [req, res] = entries('secret/data/payments/db');
  parser.push(req, { line: 1 });
  assert.deepEqual(parser.push(structuredClone(req), { line: 2 }), []);
  const out = parser.push(res, { line: 3 });
  assert.ok(Array.isArray(out) && out.length === 1);
  assert.equal(out[0]!.raw.extra?.requestLine, 1);
  assert.deepEqual(parser.flush(), []);
});

test('a failed revocation is not a revocation', () => {
  const [, res] = entries('auth/token/revoke-accessor');
  const failed = { ...(res as Rec), error: '1 error occurred:\n\t* permission denied\n\n' };
  const out = createVaultParser().push(failed, {});
  assert.ok(Array.isArray(out));
  assert.equal(out[0]!.outcome, 'failure');
  assert.deepEqual(out[0]!.tags, []);
  assert.equal(out[0]!.credential?.lifecycle, 'used');
  assert.equal(out[0]!.credential?.subject, undefined);
});

test('a login whose response entry keeps the caller auth empty takes the identity from response.auth', () => {
  const [, res] = entries('auth/kubernetes/login');
  const older = { ...(res as Rec), auth: { token_type: 'default' } };
  const out = createVaultParser().push(older, {});
  assert.ok(Array.isArray(out));
  const e = out[0]!;
  assert.equal(e.identity.type, 'service-account');
  assert.equal(e.identity.id, dig(res, 'response', 'auth', 'entity_id'));
  assert.equal(e.credential?.key, dig(res, 'response', 'auth', 'accessor'));
  assert.equal(e.credential?.lifecycle, 'issued');
});

test('a response without a request id gets a stable id; an AppRole role write is a privilege change', () => {
  const [, res] = entries('secret/data/payments/db');
  const noId = structuredClone(res) as Rec;
  delete (noId.request as Rec).id;
  const a = createVaultParser().push(noId, {});
  const b = createVaultParser().push(structuredClone(noId), {});
  assert.ok(Array.isArray(a) && Array.isArray(b));
  assert.match(a[0]!.id, /^vault:[0-9a-f]{32}$/);
  assert.equal(a[0]!.id, b[0]!.id);

  const role = structuredClone(res) as Rec;
  Object.assign(role.request as Rec, { path: 'auth/kubernetes/role/payments', operation: 'update' });
  const out = createVaultParser().push(role, {});
  assert.ok(Array.isArray(out));
  assert.deepEqual(out[0]!.tags, ['privilege.change']);
});

test('rejections carry reasons', () => {
  const p = createVaultParser();
  const reasons = [
    null,
    42,
    'text',
    [],
    {},
    { time: '2025-06-05T16:10:22Z', msg: 'x' },
    { type: 'audit', request: { id: 'a' }, time: '2025-06-05T16:10:22Z' },
    { type: 'request', time: '2025-06-05T16:10:22Z' },
    { type: 'request', request: { id: 'a' } },
    { type: 'request', request: { id: 'a' }, time: 'yesterday' },
    { type: 'request', request: { path: 'sys/health' }, time: '2025-06-05T16:10:22Z' },
  ].map((r) => {
    const out = p.push(r, {});
    return Array.isArray(out) ? 'events' : out.reject;
  });
  assert.deepEqual(reasons, [
    'not-vault-audit',
    'not-vault-audit',
    'not-vault-audit',
    'not-vault-audit',
    'not-vault-audit',
    'not-vault-audit',
    'not-vault-audit',
    'not-vault-audit',
    'missing-time',
    'missing-time',
    'missing-request-id',
  ]);
});

test('detect: Vault entries yes, other formats and junk no', () => {
  assert.ok(records.slice(0, 10).every((r) => createVaultParser().detect(r)));
  const p = createVaultParser();
  for (const r of [
    null,
    undefined,
    1,
    'request',
    [],
    {},
    { type: 'request' },
    { kind: 'Event', apiVersion: 'audit.k8s.io/v1' },
  ]) {
    assert.equal(p.detect(r), false);
  }
});

test('hostile values anywhere in a record never throw', () => {
  const hostile: unknown[] = [null, 0, -1, 1e308, Number.NaN, true, '', 'x'.repeat(100_000), [], [null], {}, { a: 1 }];
  const p = createVaultParser({ maxHeldRequests: 50 });
  let n = 0;
  // Replace each field (at every depth) of a few records, one at a time, with each hostile value.
  const mutateEach = (root: Rec, node: Rec) => {
    for (const k of Object.keys(node)) {
      const saved = node[k];
      for (const h of hostile) {
        node[k] = h;
        const out = p.push(root, { line: n++ });
        assert.ok(Array.isArray(out) || typeof out.reject === 'string');
        for (const e of Array.isArray(out) ? out : []) IdentityEventSchema.parse(e);
      }
      node[k] = saved;
      if (typeof saved === 'object' && saved !== null && !Array.isArray(saved)) mutateEach(root, saved as Rec);
    }
  };
  for (const path of ['auth/kubernetes/login', 'auth/token/revoke', 'database/creds/payments-ro']) {
    for (const r of entries(path)) mutateEach(structuredClone(r) as Rec, structuredClone(r) as Rec);
    for (const r of entries(path)) {
      const root = structuredClone(r) as Rec;
      mutateEach(root, root);
    }
  }
  for (const e of p.flush()) IdentityEventSchema.parse(e);
  // A token TTL past Date's range yields no expiry rather than a RangeError.
  const [, res] = entries('auth/kubernetes/login');
  const huge = structuredClone(res) as Rec;
  ((huge.response as Rec).auth as Rec).token_ttl = 1e300;
  (huge.auth as Rec).client_token = undefined;
  const out = createVaultParser().push(huge, {});
  assert.ok(Array.isArray(out));
  assert.equal(out[0]!.credential?.expiresAt, undefined);
});

test('samples are deterministic per seed and differ across seeds', () => {
  assert.deepEqual(sampleRecords(3), sampleRecords(3));
  assert.notDeepEqual(sampleRecords(3), sampleRecords(4));
  const text = JSON.stringify(sampleRecords(5));
  for (const m of text.matchAll(/hmac-sha256:([^"]*)/g)) assert.match(m[1]!, /^[0-9a-f]{64}$/);
});

test('event time: the RFC 3339 fast path agrees with isoTime on valid, odd and invalid stamps', () => {
  const p = createVaultParser();
  for (const t of rfc3339Stamps()) {
    const out = p.push(
      { type: 'response', time: t, request: { id: 'x', path: 'sys/health', operation: 'read' }, response: {} },
      {},
    );
    const expected = isoTime(t);
    if (expected === undefined) assert.ok(!Array.isArray(out) && out.reject === 'missing-time', t);
    else assert.equal(Array.isArray(out) ? out[0]?.time : out.reject, expected, t);
  }
});
