import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Alert } from '../model/alert.js';
import { DetectConfigSchema } from '../model/config.js';
import type { IdentityEvent } from '../model/identity-event.js';
import { parseManifest } from '../policy/load.js';
import { createDetector } from './engine.js';
import { manifestDetectorOptions } from './policy-violation.js';

/*
 * Changes declared in the policy manifest reach the detector the way `warden detect --policy`,
 * `warden serve --policy` and `warden worker --policy` build it: a new source of a declared identity
 * inside a declared change is a notice, not an alert; outside it (time, network, other owner) it alerts.
 */

const HOUR = 3_600_000;
const DAY0 = Date.parse('2026-04-06T00:00:00Z');
const MOVE = DAY0 + 4 * 24 * HOUR + 11 * HOUR;

const MANIFEST = `version: 1
identities:
  billing-app:
    owner: payments
    match: ["arn:aws:iam::*:role/billing-app"]
  report-app:
    owner: analytics
    match: ["arn:aws:iam::*:role/report-app"]
changes:
  - reason: CHG-88 egress moves to the new NAT range
    from: "${new Date(MOVE - 2 * HOUR).toISOString()}"
    to: "${new Date(MOVE + 2 * HOUR).toISOString()}"
    identities: [billing-app]
    networks: ["203.0.113.0/24"]
  - reason: analytics weekend migration
    from: "${new Date(MOVE + 24 * HOUR).toISOString()}"
    to: "${new Date(MOVE + 48 * HOUR).toISOString()}"
    owner: analytics
`;

let n = 0;
function call(role: string, at: number, ip: string): IdentityEvent {
  n++;
  return {
    id: `m${n}`,
    time: new Date(at).toISOString(),
    source: 'cloudtrail',
    action: 's3:GetObject',
    outcome: 'success',
    tags: [],
    raw: { file: 'trail.json', line: n },
    identity: { id: `arn:aws:iam::444455556666:role/${role}`, type: 'iam-role', name: role },
    client: { ip, region: 'eu-west-1', userAgent: 'aws-sdk-java/2.25.1' },
  } as IdentityEvent;
}

/** Four weeks-days of office-hours calls from the usual private range, then one call from `ip` at `at`. */
function replay(role: string, at: number, ip: string, withManifest: boolean): Alert[] {
  const r = parseManifest(MANIFEST, 'warden.policy.yaml');
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.issues));
  const declared = manifestDetectorOptions(withManifest ? r.value : undefined, DetectConfigSchema.parse({}));
  const d = createDetector({
    config: declared.config,
    expectations: [],
    ownerOf: declared.ownerOf,
    nameOf: declared.nameOf,
    sigma: false,
  });
  const out: Alert[] = [];
  for (let day = 0; day < 4; day++)
    for (let h = 8; h < 18; h++) out.push(...d.process(call(role, DAY0 + day * 24 * HOUR + h * HOUR, `10.40.${day}.${h}`)));
  out.push(...d.process(call(role, at, ip)));
  out.push(...d.finish());
  return out.filter(
    (a) => a.detectionId === 'runtime.credential.new-source' || a.detectionId === 'runtime.fleet.infrastructure-change',
  );
}

const kinds = (alerts: Alert[]) => alerts.map((a) => `${a.detectionId.split('.').at(-1)} ${a.severity}`);

test('a change declared for an identity by its manifest name turns its move into a notice citing the reason', () => {
  const alerts = replay('billing-app', MOVE, '203.0.113.40', true);
  assert.deepEqual(kinds(alerts), ['infrastructure-change low']);
  assert.match(alerts[0]!.message, /CHG-88/);
  // The same move with no manifest is an alert: the notice came from the declaration.
  assert.deepEqual(kinds(replay('billing-app', MOVE, '203.0.113.40', false)), ['new-source medium']);
});

test('outside the declared network, outside its time, or for an identity it does not name, the move alerts', () => {
  assert.deepEqual(kinds(replay('billing-app', MOVE, '198.51.100.40', true)), ['new-source medium']);
  assert.deepEqual(kinds(replay('billing-app', MOVE + 5 * HOUR, '203.0.113.40', true)), ['new-source medium']);
  assert.deepEqual(kinds(replay('report-app', MOVE, '203.0.113.40', true)), ['new-source medium']);
});

test('a change declared for an owner covers every identity the manifest gives that owner', () => {
  const alerts = replay('report-app', MOVE + 30 * HOUR, '198.51.100.40', true);
  assert.deepEqual(kinds(alerts), ['infrastructure-change low']);
  assert.match(alerts[0]!.message, /weekend migration/);
  assert.deepEqual(kinds(replay('billing-app', MOVE + 30 * HOUR, '198.51.100.40', true)), ['new-source medium']);
});
