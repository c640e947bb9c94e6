import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyTelemetryStats, normalizeRecords } from './normalize.js';
import { rawRecordOf } from './raw-record.js';
import type { RawRecord } from './read.js';

function audit(verb: string, n: number): Record<string, unknown> {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `a${n}`,
    stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/x/pods',
    verb,
    user: { username: 'system:serviceaccount:x:y', groups: ['system:serviceaccounts'] },
    sourceIPs: ['10.0.0.1'],
    objectRef: { resource: 'pods', namespace: 'x', apiVersion: 'v1' },
    responseStatus: { code: 200 },
    requestReceivedTimestamp: `2026-03-02T10:00:0${n}.000000Z`,
    stageTimestamp: `2026-03-02T10:00:0${n}.100000Z`,
  };
}

async function* records(...rs: unknown[]): AsyncGenerator<RawRecord> {
  let line = 0;
  for (const record of rs) yield { record, origin: { file: 'audit.log', line: ++line } };
}

test('each event keeps the record it was parsed from; an EventList item is its own record', async () => {
  const single = audit('get', 1);
  const list = { kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [audit('list', 2), audit('watch', 3)] };
  const events = [];
  for await (const e of normalizeRecords(records(single, list), {}, emptyTelemetryStats())) events.push(e);
  assert.equal(events.length, 3);
  assert.equal(rawRecordOf(events[0]!), single);
  assert.equal(rawRecordOf(events[1]!), list.items[0]);
  assert.equal(rawRecordOf(events[2]!), list.items[1]);
  // A copy of an event (as from the store or the bus) has none.
  assert.equal(rawRecordOf({ ...events[0]! }), undefined);
});
