import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IdentityEvent } from '../model/identity-event.js';
import { s3Read } from '../server/testing.js';
import { decodeQueueRow, queueRows } from '../store/queue-rows.js';
import { emptyTelemetryStats, normalizeRecords } from '../telemetry/normalize.js';
import { attachRawRecord, keepRawRecords, rawRecordOf } from '../telemetry/raw-record.js';
import { partitionOf } from './partition.js';
import { CARRIED_RECORD_KEY, COPY_KEY, eventJson, fromWire, isRevocationCopy } from './wire.js';

/** A successful revocation of `key` by `actor`. */
function revocation(actor: string, key: string, outcome: IdentityEvent['outcome'] = 'success'): IdentityEvent {
  return {
    ...s3Read(actor, 'rev'),
    action: 'iam:DeleteAccessKey',
    outcome,
    tags: outcome === 'success' ? ['credential.revoked'] : [],
    credential: { key: 'AKIAEXAMPLEACTOR0001', type: 'aws-access-key', lifecycle: 'revoked', subject: key },
  };
}

test('an event travels with its raw record and comes back holding it; the record never shows among its fields', () => {
  const e = s3Read('wire');
  const record = { eventName: 'GetObject', requestParameters: { bucketName: 'b', key: 'x"\n' } };
  attachRawRecord(e, record, true);
  const json = eventJson(e);
  const parsed = JSON.parse(json) as Record<string, unknown>;
  assert.deepEqual(parsed[CARRIED_RECORD_KEY], record);
  const back = fromWire(parsed as unknown as IdentityEvent);
  assert.deepEqual(rawRecordOf(back), record);
  assert.deepEqual(back, e, 'the fields are the event as it was');
  assert.equal(JSON.stringify(back), JSON.stringify(e));
  assert.equal(isRevocationCopy(back), false);
  // Without a record, an event's JSON is its own.
  const plain = s3Read('wire');
  assert.equal(eventJson(plain), JSON.stringify(plain));
});

test('a revocation copy is marked, carries no record, and its mark comes off', () => {
  const e = revocation('ops', 'AKIAEXAMPLEOWNER0001');
  attachRawRecord(e, { eventName: 'DeleteAccessKey' }, true);
  const parsed = JSON.parse(eventJson(e, true)) as Record<string, unknown>;
  assert.equal(parsed[COPY_KEY], true);
  assert.equal(parsed[CARRIED_RECORD_KEY], undefined);
  const back = fromWire(parsed as unknown as IdentityEvent);
  assert.equal(isRevocationCopy(back), true);
  assert.equal(COPY_KEY in back, false);
  assert.equal(rawRecordOf(back), undefined);
});

test('queue rows: a revocation goes to its own partition and a marked copy to every other; nothing else is copied', () => {
  const partitions = 4;
  const events = [
    s3Read('a'),
    revocation('ops', 'AKIAEXAMPLEOWNER0002'),
    s3Read('b'),
    revocation('ops', 'AKIAEXAMPLEOWNER0003', 'failure'),
  ];
  const rows = queueRows(events, partitions);
  assert.deepEqual(
    rows.map((r) => r.partition),
    [0, 1, 2, 3],
  );
  const home = partitionOf(events[1]!, partitions);
  let originals = 0;
  for (const r of rows) {
    const decoded = decodeQueueRow(r.events);
    assert.equal(decoded.length, r.count);
    const copies = decoded.filter(isRevocationCopy);
    assert.equal(copies.length, r.copies ?? 0);
    assert.equal(copies.length, r.partition === home ? 0 : 1, `partition ${r.partition}`);
    for (const c of copies) assert.equal(c.id, events[1]!.id);
    originals += decoded.length - copies.length;
  }
  // Each event once where it belongs; the failed revocation revoked nothing and is not copied.
  assert.equal(originals, events.length);
  assert.deepEqual(
    queueRows(events, 1).map((r) => [r.count, r.copies]),
    [[4, undefined]],
  );
});

test('keepRawRecords: only the records a rule needs stay, and a record several events share stays with the first', async () => {
  const single = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: 'a1',
    stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/x/pods/p/exec',
    verb: 'create',
    user: { username: 'system:serviceaccount:x:y', groups: ['system:serviceaccounts'] },
    sourceIPs: ['10.0.0.1'],
    objectRef: { resource: 'pods', subresource: 'exec', namespace: 'x', name: 'p', apiVersion: 'v1' },
    responseStatus: { code: 101 },
    requestReceivedTimestamp: '2026-03-02T10:00:00.000000Z',
    stageTimestamp: '2026-03-02T10:00:00.100000Z',
  };
  const other = {
    ...single,
    auditID: 'a2',
    verb: 'get',
    requestURI: '/api/v1/namespaces/x/pods',
    objectRef: { resource: 'pods', namespace: 'x', apiVersion: 'v1' },
  };
  async function* records() {
    yield { record: single, origin: { file: 'audit.log', line: 1 } };
    yield { record: other, origin: { file: 'audit.log', line: 2 } };
  }
  const events: IdentityEvent[] = [];
  for await (const e of normalizeRecords(records(), {}, emptyTelemetryStats())) events.push(e);
  assert.equal(events.length, 2);
  const asked: unknown[] = [];
  const kept = keepRawRecords(events, (_e, record) => {
    asked.push(record);
    return (record as { verb?: string }).verb === 'create';
  });
  assert.equal(kept, 1);
  assert.deepEqual(asked, [single, other]);
  assert.equal(rawRecordOf(events[0]!), single);
  assert.equal(rawRecordOf(events[1]!), undefined);

  // One record that became two events: asked once, kept on the first only.
  const shared = { eventName: 'x' };
  const a = s3Read('shared');
  const b = s3Read('shared');
  attachRawRecord(a, shared);
  attachRawRecord(b, shared);
  let asks = 0;
  assert.equal(
    keepRawRecords([a, b], () => {
      asks++;
      return true;
    }),
    1,
  );
  assert.equal(asks, 1);
  assert.equal(rawRecordOf(a), shared);
  assert.equal(rawRecordOf(b), undefined);
  // Held alone now: the copy that travels is matched once, with that event.
  assert.equal(JSON.parse(eventJson(a))[CARRIED_RECORD_KEY].eventName, 'x');
});

test('queue rows within a size: runs split in order, each row within maxChars, copies counted per row', () => {
  const partitions = 2;
  const events = Array.from({ length: 60 }, (_, i) =>
    i % 20 === 7 ? revocation('ops', `AKIAEXAMPLEOWNER${String(i).padStart(4, '0')}`) : s3Read(`svc-${i % 5}`),
  );
  const whole = queueRows(events, partitions);
  const limit = 2000;
  const split = queueRows(events, partitions, limit);
  assert.ok(split.length > whole.length, 'runs larger than the limit were split');
  for (const r of split) assert.ok(r.events.length <= limit, `${r.events.length} characters`);
  for (const p of [0, 1]) {
    const joined = split.filter((r) => r.partition === p).flatMap((r) => decodeQueueRow(r.events));
    const all = whole.filter((r) => r.partition === p).flatMap((r) => decodeQueueRow(r.events));
    assert.deepEqual(joined, all, `partition ${p}: the same events in the same order`);
    const copies = split.filter((r) => r.partition === p).reduce((n, r) => n + (r.copies ?? 0), 0);
    assert.equal(copies, all.filter(isRevocationCopy).length);
  }
  // One event larger than the limit still travels, alone.
  const big = queueRows([s3Read('x')], 1, 10);
  assert.equal(big.length, 1);
  assert.equal(big[0]!.count, 1);
});
