import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Alert } from '../model/alert.js';
import type { IdentityEvent } from '../model/identity-event.js';
import { attachRawRecord } from '../telemetry/raw-record.js';
import { createDetector, type DetectorOptions, type DetectorSnapshot } from './engine.js';
import { compileDocuments, type LoadedRules, readRuleDocuments } from './sigma/rule.js';
import { createSigmaRuleSet } from './sigma/ruleset.js';

const H = 3_600_000;
const START = Date.parse('2026-03-02T00:00:00Z');
const ROLE = 'arn:aws:iam::111122223333:role/app';
let seq = 0;

function ev(at: number, over: Partial<IdentityEvent> = {}): IdentityEvent {
  seq++;
  return {
    id: `s${seq}`,
    time: new Date(at).toISOString(),
    source: 'cloudtrail',
    identity: { id: ROLE, type: 'iam-role', name: 'app' },
    action: 's3:GetObject',
    outcome: 'success',
    tags: [],
    client: { ip: '10.1.2.3', region: 'us-east-1', userAgent: 'aws-sdk-go-v2/1.30.3' },
    raw: {},
    ...over,
  };
}

/** Three days of business-hours traffic, then a burst of calls and a failures-then-success run. */
function traffic(): { first: IdentityEvent[]; second: IdentityEvent[] } {
  const first: IdentityEvent[] = [];
  for (let d = 0; d < 3; d++)
    for (let h = 9; h < 17; h++) for (let i = 0; i < 4; i++) first.push(ev(START + d * 24 * H + h * H + i * 600_000));
  const at = START + 3 * 24 * H + 10 * H;
  const second: IdentityEvent[] = [];
  for (let i = 0; i < 200; i++) second.push(ev(at + i * 1000));
  for (let i = 0; i < 9; i++) second.push(ev(at + 250_000 + i * 1000, { outcome: 'failure', reason: 'AccessDenied' }));
  second.push(ev(at + 260_000, { client: { ip: '203.0.113.9', region: 'us-east-1' } }));
  return { first, second };
}

function runAll(events: readonly IdentityEvent[], options: DetectorOptions = {}): Alert[] {
  const d = createDetector({ sigma: false, ...options });
  const out: Alert[] = [];
  for (const e of events) out.push(...d.process(e));
  return [...out, ...d.finish()];
}

const summary = (alerts: Alert[]) => alerts.map((a) => `${a.detectionId}|${a.severity}|${a.count}`).sort();

/** A version-1 snapshot as the earlier engine wrote it: every field of every detection flat on the entry. */
function asVersion1(snap: DetectorSnapshot): DetectorSnapshot {
  const flat = ([key, o]: [string, object]): [string, object] => {
    const { slices, ...core } = o as Record<string, unknown> & { slices: Record<string, object> };
    return [key, Object.assign({}, core, ...Object.values(slices))];
  };
  return {
    version: 1,
    identities: snap.identities.map(flat),
    credentials: snap.credentials.map(flat),
    watermark: snap.watermark,
    ...(snap.episodes ? { episodes: snap.episodes } : {}),
    ...(snap.lastSweep !== undefined ? { lastSweep: snap.lastSweep } : {}),
  };
}

describe('detector snapshots', () => {
  test('version 2 keeps the shared core flat and each detection slice under its id', () => {
    const { first } = traffic();
    const d = createDetector({ sigma: false });
    for (const e of first) d.process(e);
    const snap = JSON.parse(JSON.stringify(d.snapshot())) as DetectorSnapshot;
    assert.equal(snap.version, 2);
    const [, identity] = snap.identities.find(([id]) => id === ROLE)! as [string, Record<string, unknown>];
    assert.equal(identity.events, first.length);
    const slices = identity.slices as Record<string, Record<string, unknown>>;
    assert.ok((slices['runtime.identity.rate-spike']!.closedBuckets! as number) > 0);
    assert.equal((slices['runtime.access.off-hours']!.hours as number[]).length, 168);
    assert.equal(identity.peak, undefined, 'no detection field sits on the core');
  });

  test('a snapshot restores to the same alerts as one continuous run, in version 2 and in the flat version 1', () => {
    const { first, second } = traffic();
    const continuous = summary(runAll([...first, ...second]));
    assert.ok(
      continuous.some((a) => a.startsWith('runtime.identity.rate-spike')),
      continuous.join(),
    );
    assert.ok(
      continuous.some((a) => a.startsWith('runtime.auth.failures-then-success')),
      continuous.join(),
    );
    const d = createDetector({ sigma: false });
    for (const e of first) d.process(e);
    const v2 = JSON.parse(JSON.stringify(d.snapshot())) as DetectorSnapshot;
    assert.deepEqual(summary(runAll(second, { initial: v2 })), continuous);
    assert.deepEqual(summary(runAll(second, { initial: asVersion1(v2) })), continuous);
  });

  test('a hand-written version-1 entry: each slice takes its own fields by name', () => {
    const key = 'AKIAAAAAAAAAAAAAAAA9';
    const user = { id: 'arn:aws:iam::111122223333:user/ci', type: 'iam-user' as const, name: 'ci' };
    const v1: DetectorSnapshot = {
      version: 1,
      identities: [
        [
          user.id,
          {
            first: START,
            last: START + 4 * 24 * H,
            events: 500,
            peak: 7,
            closedBuckets: 40,
            bucketStart: START,
            failBurstPeak: 2,
            workloads: [],
          },
        ],
      ],
      credentials: [
        [
          key,
          {
            first: START,
            last: START + H,
            identities: [[user.id, START + H]],
            workloads: [],
            addresses: [],
            alias: '',
            holder: user,
            revokedAt: START + 2 * H,
            usedDays: 3,
            usedMinutes: 9,
            idleAlertedDay: 0,
          },
        ],
      ],
      watermark: START + 4 * 24 * H,
    };
    const d = createDetector({ sigma: false, initial: v1 });
    const out = d.process(
      ev(START + 5 * 24 * H, { identity: user, credential: { key, type: 'aws-access-key', lifecycle: 'used' } }),
    );
    out.push(...d.finish());
    assert.deepEqual(
      out.map((a) => a.detectionId),
      ['runtime.credential.reuse-after-revocation'],
    );
    const snap = d.snapshot();
    const identity = snap.identities.find(([id]) => id === user.id)![1] as Record<
      string,
      Record<string, Record<string, unknown>>
    >;
    // The event closed the open bucket: one more than was saved.
    assert.equal(identity.slices!['runtime.identity.rate-spike']!.closedBuckets, 41);
    assert.equal(identity.slices!['runtime.auth.failures-then-success']!.failBurstPeak, 2);
    const credential = snap.credentials.find(([k]) => k === key)![1] as Record<string, unknown> & {
      slices: Record<string, Record<string, unknown>>;
    };
    assert.equal(credential.revokedAt, START + 2 * H);
    assert.equal(credential.slices['runtime.credential.long-lived-idle']!.usedMinutes, 10);
    assert.equal(credential.usedDays, 4);
  });
});

function load(yaml: string): LoadedRules {
  const out: LoadedRules = { rules: [], correlations: [], unsupported: [] };
  const docs = readRuleDocuments(yaml, 'test.yml', out.unsupported).map((doc) => ({ doc, path: 'test.yml' }));
  for (const d of docs) delete d.doc.__where;
  compileDocuments(docs, out);
  assert.deepEqual(out.unsupported, []);
  return out;
}

describe('Sigma state in snapshots', () => {
  const base = (id: string, action: string, extra = '') =>
    `title: ${id}\nid: ${id}\nname: ${id}\nlevel: high\n${extra}logsource:\n  product: github\n  service: audit\ndetection:\n  sel:\n    action: ${action}\n  condition: sel\n`;
  const yaml = [
    base('clone', 'git.clone'),
    base('deploy-key', 'public_key.create'),
    'title: clone burst\nid: burst\ncorrelation:\n  type: event_count\n  rules: [clone]\n  group-by: [actor]\n  timespan: 1h\n  condition:\n    gte: 3\nlevel: high\n',
  ].join('---\n');
  const gh = (n: number, action: string) => {
    const e = ev(START + n * 60_000, { source: 'github-audit', identity: { id: 'svc-build', type: 'user' }, action });
    attachRawRecord(e, { action, actor: 'svc-build' });
    return e;
  };
  const restart = (d: ReturnType<typeof createDetector>) =>
    createDetector({ detections: [], sigma: createSigmaRuleSet(load(yaml)), initial: JSON.parse(JSON.stringify(d.snapshot())) });

  test('an open correlation window survives a restart', () => {
    const d1 = createDetector({ detections: [], sigma: createSigmaRuleSet(load(yaml)) });
    d1.process(gh(1, 'git.clone'));
    d1.process(gh(2, 'git.clone'));
    const snap = JSON.parse(JSON.stringify(d1.snapshot())) as DetectorSnapshot;
    assert.equal(snap.sigma?.[0]?.[0], 'burst');
    const d2 = restart(d1);
    const out = [...d2.process(gh(3, 'git.clone')), ...d2.finish()];
    const burst = out.find((a) => a.detectionId === 'burst');
    assert.ok(burst, out.map((a) => a.detectionId).join());
    assert.equal(burst.evidences.length, 3);
  });

  test('an open Sigma episode is continued after a restart, not dropped', () => {
    const d1 = createDetector({ detections: [], sigma: createSigmaRuleSet(load(yaml)) });
    assert.deepEqual(d1.process(gh(1, 'public_key.create')), []);
    const d2 = restart(d1);
    d2.process(gh(2, 'public_key.create'));
    const out = d2.finish();
    assert.deepEqual(
      out.map((a) => [a.detectionId, a.title, a.count]),
      [['deploy-key', 'deploy-key', 2]],
    );
  });
});
