import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { tempDir } from '../../test/tmp.js';
import { DETECTION_IDS } from '../model/alert.js';
import type { IdentityEvent } from '../model/identity-event.js';
import { emptyTelemetryStats, normalizeRecords, replayFiles } from '../telemetry/normalize.js';
import type { RawRecord } from '../telemetry/read.js';
import { generateScenario, type Scenario, writeScenario } from './generate.js';

const PARAMS = { seed: 7, identities: 20, days: 4, start: '2025-06-06' } as const;

/** Normalises the in-memory lines, each with its file and line, and returns the events and stats. */
async function normalise(s: Scenario) {
  async function* records(): AsyncGenerator<RawRecord> {
    for (const f of s.files)
      for (const [i, line] of f.lines.entries()) yield { record: JSON.parse(line), origin: { file: f.name, line: i + 1 } };
  }
  const stats = emptyTelemetryStats();
  const events: IdentityEvent[] = [];
  for await (const e of normalizeRecords(records(), {}, stats)) events.push(e);
  return { events, stats };
}

function digest(s: Scenario): string {
  const h = createHash('sha256');
  for (const f of s.files) h.update(`${f.name}\n${f.lines.join('\n')}\n`);
  return h.update(JSON.stringify(s.truth)).update(JSON.stringify(s.identities)).digest('hex');
}

describe('generateScenario', () => {
  let s: Scenario;
  let events: IdentityEvent[];
  let stats: ReturnType<typeof emptyTelemetryStats>;
  before(async () => {
    s = generateScenario(PARAMS);
    ({ events, stats } = await normalise(s));
  });

  test('is deterministic for a seed, and another seed gives other traffic', () => {
    assert.equal(digest(generateScenario(PARAMS)), digest(s));
    assert.notEqual(digest(generateScenario({ ...PARAMS, seed: 8 })), digest(s));
  });

  test('every line normalises with no rejection: one event or more per record, one per Vault request/response pair', () => {
    assert.deepEqual(stats.rejected, {});
    assert.equal(
      stats.records,
      s.files.reduce((n, f) => n + f.lines.length, 0),
    );
    const perLine = new Map<string, number>();
    for (const e of events) perLine.set(`${e.raw.file}:${e.raw.line}`, (perLine.get(`${e.raw.file}:${e.raw.line}`) ?? 0) + 1);
    for (const f of s.files) {
      f.lines.forEach((line, i) => {
        const n = perLine.get(`${f.name}:${i + 1}`) ?? 0;
        // Vault writes each call twice; the event points at the response entry, which holds everything.
        if (f.format === 'vault' && (JSON.parse(line) as { type: string }).type === 'request') return;
        assert.ok(n >= 1, `${f.name}:${i + 1} gave no event`);
      });
    }
    const outcomes = events.filter((e) => e.source === 'vault' && e.outcome === 'unknown');
    assert.equal(outcomes.length, 0, 'every Vault request met its response');
  });

  test('the files on disk (CloudTrail as gzip Records documents) replay to the same events', async () => {
    const tmp = tempDir();
    try {
      const manifest = writeScenario(tmp.dir, s);
      const st = emptyTelemetryStats();
      let n = 0;
      for await (const _ of replayFiles(
        manifest.files.map((f) => join(tmp.dir, f)),
        {},
        st,
        (async function* () {})(),
      ))
        n++;
      assert.deepEqual(st.rejected, {});
      assert.equal(n, events.length);
    } finally {
      tmp.cleanup();
    }
  });

  test('covers every format, many identities each with their own volume, and weekly/diurnal shape', () => {
    const sources = new Set(events.map((e) => e.source));
    for (const f of ['cloudtrail', 'vault', 'k8s-audit', 'github-audit', 'okta', 'agent-trace'] as const)
      assert.ok(sources.has(f), f);
    const primary = s.identities.filter((p) => p.support !== true);
    assert.equal(primary.length, PARAMS.identities);
    const perIdentity = new Map<string, number>();
    for (const e of events) perIdentity.set(e.identity.id, (perIdentity.get(e.identity.id) ?? 0) + 1);
    for (const p of s.identities) assert.ok((perIdentity.get(p.id) ?? 0) > 0, `${p.kind} ${p.id} has no events`);
  });

  test('every detection id has at least one labelled episode, inside the attack window', () => {
    // Notices are not attacks: no episode expects one.
    for (const id of DETECTION_IDS.filter((d) => d !== 'runtime.fleet.infrastructure-change'))
      assert.ok(
        s.truth.some((ep) => ep.detections.includes(id)),
        id,
      );
    const attackFrom = Date.parse(PARAMS.start) + (PARAMS.days - s.params.attackDays) * 86_400_000;
    const end = Date.parse(PARAMS.start) + PARAMS.days * 86_400_000;
    for (const ep of s.truth) {
      assert.ok(Date.parse(ep.start) >= attackFrom && Date.parse(ep.end) < end, `${ep.id} ${ep.start}..${ep.end}`);
      assert.ok(ep.eventIds.length > 0, ep.id);
    }
    assert.equal(new Set(s.truth.map((ep) => ep.id)).size, s.truth.length);
  });

  test('attack events carry the identity or credential keys the truth names, within the episode window', () => {
    const byId = new Map(events.map((e) => [e.id, e]));
    for (const ep of s.truth) {
      for (const id of ep.eventIds) {
        const e = byId.get(id);
        assert.ok(e !== undefined, `${ep.id}: event ${id} not found`);
        const keyed = e.credential !== undefined && ep.credentials.includes(e.credential.key);
        assert.ok(e.identity.id === ep.identity || keyed, `${ep.id}: ${e.identity.id} / ${e.credential?.key}`);
        assert.equal(e.source, ep.source, ep.id);
        const t = Date.parse(e.time);
        assert.ok(t >= Date.parse(ep.start) && t <= Date.parse(ep.end), `${ep.id}: ${e.time}`);
      }
      // The identity exists in the normalised stream as the truth spells it.
      assert.ok(
        events.some((e) => e.identity.id === ep.identity),
        `${ep.id}: no event of ${ep.identity}`,
      );
      for (const id of ep.contextEventIds) assert.ok(byId.has(id), `${ep.id}: context event ${id} not found`);
    }
  });

  test('set-up steps are logged as the lifecycle they are: the revocation and the key rotation', () => {
    const byId = new Map(events.map((e) => [e.id, e]));
    const vault = s.truth.find((ep) => ep.variant === 'reuse-after-revocation.vault-token')!;
    const revoke = vault.contextEventIds.map((id) => byId.get(id)!).find((e) => e.tags.includes('credential.revoked'))!;
    assert.ok(vault.credentials.includes(revoke.credential!.subject!), 'revoked accessor is the episode credential');
    const deleted = s.truth.find((ep) => ep.variant === 'reuse-after-revocation.aws-deleted-key')!;
    const steps = deleted.contextEventIds.map((id) => byId.get(id)!);
    assert.deepEqual(
      steps.map((e) => e.action),
      ['iam:CreateAccessKey', 'iam:UpdateAccessKey', 'iam:DeleteAccessKey'],
    );
    assert.equal(steps[2]!.credential!.subject, deleted.credentials[0]);
    // After the rotation the workload presents the new key only.
    const user = deleted.identity;
    const after = events.filter(
      (e) => e.identity.id === user && Date.parse(e.time) > Date.parse(steps[1]!.time) && !deleted.eventIds.includes(e.id),
    );
    assert.ok(after.every((e) => e.credential?.key !== deleted.credentials[0]));
  });

  test('benign traffic never presents a credential after its revocation or deactivation, nor before its issuance', () => {
    const attack = new Set(s.truth.flatMap((ep) => ep.eventIds));
    const ordered = [...events].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    const ended = new Map<string, number>();
    const issued = new Map<string, number>();
    const firstUse = new Map<string, IdentityEvent>();
    for (const e of ordered) {
      const c = e.credential;
      if (c === undefined) continue;
      const t = Date.parse(e.time);
      if ((c.lifecycle === 'revoked' || c.lifecycle === 'deactivated') && c.subject !== undefined) ended.set(c.subject, t);
      if (c.lifecycle === 'issued' && c.subject !== undefined && !issued.has(c.subject)) issued.set(c.subject, t);
      if (attack.has(e.id) || c.lifecycle !== 'used') continue;
      const end = ended.get(c.key);
      assert.ok(end === undefined || t <= end || e.outcome === 'failure', `${e.id} ${e.action} uses ${c.key} after it ended`);
      if (!firstUse.has(c.key)) firstUse.set(c.key, e);
    }
    for (const [key, e] of firstUse) {
      const at = issued.get(key);
      assert.ok(at === undefined || at <= Date.parse(e.time), `${e.id} uses ${key} before it was issued`);
    }
  });

  test('attacks can be narrowed to some detections, or left out', () => {
    const some = generateScenario({ ...PARAMS, attacks: ['runtime.access.off-hours'] });
    assert.ok(some.truth.length > 0 && some.truth.every((ep) => ep.detections.includes('runtime.access.off-hours')));
    assert.deepEqual(generateScenario({ ...PARAMS, attacks: [] }).truth, []);
  });
});
