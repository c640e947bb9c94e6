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

test('records are kept for exactly the sources Sigma rules read', async () => {
  const { SOURCE_OF_EVENT } = await import('../detect/sigma/ruleset.js');
  const { RAW_RECORD_SOURCES } = await import('./raw-record.js');
  assert.deepEqual([...RAW_RECORD_SOURCES].sort(), Object.keys(SOURCE_OF_EVENT).sort());
  // A Vault audit record (no Sigma log source) is not held by its event.
  const vault = {
    time: '2026-03-02T10:00:00Z',
    type: 'response',
    auth: { client_token: 'hmac-sha256:aa', accessor: 'hmac-sha256:bb', display_name: 'kubernetes-x-y', entity_id: 'e1' },
    request: { id: 'r1', operation: 'read', path: 'secret/data/x', remote_address: '10.0.0.1', client_token: 'hmac-sha256:aa' },
    response: {},
  };
  const events = [];
  for await (const e of normalizeRecords(records(vault), {}, emptyTelemetryStats())) events.push(e);
  assert.equal(events.length, 1);
  assert.equal(events[0]!.source, 'vault');
  assert.equal(rawRecordOf(events[0]!), undefined);
});
