import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, test } from 'node:test';
import { resolveRef } from '../../frameworks/index.js';
import type { Alert } from '../../model/alert.js';
import { packageRoot } from '../../model/package-root.js';
import { emptyTelemetryStats, normalizeRecords } from '../../telemetry/normalize.js';
import type { RawRecord } from '../../telemetry/read.js';
import { createDetector } from '../engine.js';
import { builtinRulesDir, createSigmaRuleSet, loadSigmaRules } from './index.js';

/**
 * The bundled NHI rule pack, run both ways: every example record beside a rule goes through the real
 * parsers and the detector with the whole pack loaded. Each positive (a record, or a list of records
 * for a correlation) must raise the rule's alert; each negative must not.
 */
const dir = builtinRulesDir();
const loaded = loadSigmaRules([dir], packageRoot());

interface Examples {
  rule: string;
  match: unknown[];
  nomatch: unknown[];
}

function exampleFiles(): string[] {
  const out: string[] = [];
  for (const sub of readdirSync(dir)) {
    const ex = join(dir, sub, 'examples');
    for (const f of readdirSync(ex)) if (f.endsWith('.json')) out.push(join(ex, f));
  }
  return out.sort();
}

async function alertsFor(records: unknown[]): Promise<Alert[]> {
  async function* raw(): AsyncGenerator<RawRecord> {
    let line = 0;
    for (const record of records) yield { record, origin: { file: 'example.json', line: ++line } } as RawRecord;
  }
  const stats = emptyTelemetryStats();
  const detector = createDetector({ detections: [], sigma: createSigmaRuleSet(loaded) });
  const out: Alert[] = [];
  for await (const e of normalizeRecords(raw(), {}, stats)) out.push(...detector.process(e));
  out.push(...detector.finish());
  assert.deepEqual(stats.rejected, {}, `records rejected by the parsers: ${JSON.stringify(stats.samples[0])}`);
  return out;
}

describe('the bundled NHI rule pack', () => {
  test('every rule loads, with status, level, ATT&CK tags and known framework references', () => {
    assert.deepEqual(loaded.unsupported, []);
    assert.ok(loaded.rules.length >= 30, `${loaded.rules.length} rules`);
    const sources = new Set(loaded.rules.map((r) => r.source));
    for (const s of ['cloudtrail', 'okta', 'github-audit', 'k8s-audit'] as const) assert.ok(sources.has(s), s);
    for (const r of [...loaded.rules.filter((x) => x.generate), ...loaded.correlations]) {
      assert.match(r.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, r.path);
      assert.ok(['test', 'stable', 'experimental'].includes(r.status), r.path);
      assert.ok(r.attacks.length > 0 && r.attacks.every((a) => a.tactic !== '' && a.name !== a.id), r.path);
      assert.ok(
        r.frameworks.some((f) => f.startsWith('owasp-nhi/')) && r.frameworks.some((f) => f.startsWith('nist-csf-2/')),
        r.path,
      );
      for (const f of r.frameworks) assert.ok(resolveRef(f), `${r.path}: unknown framework reference ${f}`);
    }
  });

  const files = exampleFiles();
  test('every alerting rule has examples beside it', () => {
    const withExamples = new Set(files.map((f) => (JSON.parse(readFileSync(f, 'utf8')) as Examples).rule));
    for (const r of [...loaded.rules.filter((x) => x.generate), ...loaded.correlations])
      assert.ok(withExamples.has(r.id), r.path);
  });

  for (const file of files) {
    const ex = JSON.parse(readFileSync(file, 'utf8')) as Examples;
    test(`${basename(file, '.json')}: fires on its positives, not on its negatives`, async () => {
      assert.ok(ex.match.length > 0 && ex.nomatch.length > 0);
      for (const [i, m] of ex.match.entries()) {
        const alerts = await alertsFor(Array.isArray(m) ? m : [m]);
        assert.ok(
          alerts.some((a) => a.detectionId === ex.rule),
          `positive ${i + 1} raised ${JSON.stringify(alerts.map((a) => a.title))}`,
        );
        const a = alerts.find((x) => x.detectionId === ex.rule)!;
        assert.ok(a.evidences.length > 0 && a.evidences.every((e) => e.id !== '' && e.raw.line !== undefined));
      }
      for (const [i, m] of ex.nomatch.entries()) {
        const alerts = await alertsFor(Array.isArray(m) ? m : [m]);
        assert.ok(!alerts.some((a) => a.detectionId === ex.rule), `negative ${i + 1} raised it`);
      }
    });
  }
});
