import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Alert } from '../../model/alert.js';
import { DetectConfigSchema } from '../../model/config.js';
import { type IdentityEvent, IdentityEventSchema } from '../../model/identity-event.js';
import { createDetector } from '../engine.js';
import { DETECTIONS } from './index.js';
import { detectionsDir, loadMeta } from './meta.js';

/*
 * Every detection folder's examples, run both ways: `examples/*.json`, each a sequence of events that
 * must fire the folder's detection ("expect": "fire", optionally at a "severity") or a look-alike that
 * must not ("expect": "quiet"). A sequence is a list of steps, each a partial IdentityEvent over the
 * file's "defaults" (identity and client merged field by field) placed in time by one of:
 *   "at": ISO time                                     one event
 *   "repeat": { "from", "count", "everySeconds" }      count events; "{i}" in any string is the index
 *   "baseline": { "from", "days", "hours": [a, b], "perHour" }   business hours, every day
 * Optional: "learnUntil" (ISO), "config" (warden.config.yaml's `detect` section).
 */

interface Step extends Record<string, unknown> {
  at?: string;
  repeat?: { from: string; count: number; everySeconds: number };
  baseline?: { from: string; days: number; hours: [number, number]; perHour: number };
}
interface Example {
  about: string;
  expect: 'fire' | 'quiet';
  severity?: Alert['severity'];
  learnUntil?: string;
  config?: unknown;
  defaults?: Record<string, unknown>;
  events: Step[];
}

const H = 3_600_000;

function fill(v: unknown, i: number): unknown {
  if (typeof v === 'string') return v.replaceAll('{i}', String(i));
  if (Array.isArray(v)) return v.map((x) => fill(x, i));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, i)]));
  return v;
}

function expand(ex: Example, file: string): IdentityEvent[] {
  const d = ex.defaults ?? {};
  const out: IdentityEvent[] = [];
  let n = 0;
  const make = (at: number, step: Record<string, unknown>, i: number) => {
    const { at: _a, repeat: _r, baseline: _b, ...over } = fill(step, i) as Record<string, unknown>;
    n++;
    // Each example event must be a valid IdentityEvent (a typo in a field name is an error, not ignored).
    const e = {
      id: `${file}#${n}`,
      time: new Date(at).toISOString(),
      source: 'cloudtrail',
      action: 's3:GetObject',
      outcome: 'success',
      tags: [],
      raw: {},
      ...d,
      ...over,
      identity: { ...(d.identity as object), ...(over.identity as object) },
      client: { ...(d.client as object), ...(over.client as object) },
    };
    out.push(IdentityEventSchema.strict().parse(e) as IdentityEvent);
  };
  for (const step of ex.events) {
    if (step.at !== undefined) make(Date.parse(step.at), step, 0);
    else if (step.repeat !== undefined) {
      const from = Date.parse(step.repeat.from);
      for (let i = 0; i < step.repeat.count; i++) make(from + i * step.repeat.everySeconds * 1000, step, i);
    } else if (step.baseline !== undefined) {
      const b = step.baseline;
      const from = Date.parse(b.from);
      let i = 0;
      for (let day = 0; day < b.days; day++) {
        for (let h = b.hours[0]; h < b.hours[1]; h++) {
          for (let k = 0; k < b.perHour; k++) make(from + day * 24 * H + h * H + (k * H) / b.perHour, step, i++);
        }
      }
    } else assert.fail(`${file}: a step needs "at", "repeat" or "baseline"`);
  }
  for (const e of out) assert.ok(!Number.isNaN(Date.parse(e.time)), `${file}: bad time in ${e.id}`);
  return out.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
}

function run(ex: Example, file: string): Alert[] {
  const detector = createDetector({
    sigma: false,
    config: DetectConfigSchema.parse(ex.config ?? {}),
    ...(ex.learnUntil ? { learnUntil: Date.parse(ex.learnUntil) } : {}),
  });
  const out: Alert[] = [];
  for (const e of expand(ex, file)) out.push(...detector.process(e));
  return [...out, ...detector.finish()];
}

const root = detectionsDir();
const folders = readdirSync(root, { withFileTypes: true })
  .filter((f) => f.isDirectory())
  .map((f) => f.name)
  .sort();

test('every built-in detection is one folder with its metadata and examples both ways, and every folder is listed', () => {
  const byFolder = new Map(folders.map((f) => [loadMeta(f).id as string, f]));
  assert.deepEqual([...byFolder.keys()].sort(), DETECTIONS.map((d) => d.meta.id).sort());
  for (const f of folders) {
    const files = existsSync(join(root, f, 'examples')) ? readdirSync(join(root, f, 'examples')) : [];
    const kinds = new Set(files.map((x) => (JSON.parse(readFileSync(join(root, f, 'examples', x), 'utf8')) as Example).expect));
    assert.deepEqual([...kinds].sort(), ['fire', 'quiet'], `${f}/examples needs sequences that fire and look-alikes that do not`);
  }
});

for (const folder of folders) {
  const id = loadMeta(folder).id;
  const dir = join(root, folder, 'examples');
  if (!existsSync(dir)) continue;
  describe(`${id} examples`, () => {
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()) {
      const ex = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Example;
      test(`${file}: ${ex.about}`, () => {
        const alerts = run(ex, `${folder}/${file}`);
        const mine = alerts.filter((a) => a.detectionId === id);
        const seen = alerts.map((a) => `${a.detectionId}:${a.severity}`).join(', ');
        if (ex.expect === 'quiet') assert.deepEqual(mine, [], `expected no ${id}, got: ${seen}`);
        else {
          assert.ok(mine.length > 0, `expected ${id}, got: ${seen || 'nothing'}`);
          if (ex.severity !== undefined)
            assert.ok(
              mine.some((a) => a.severity === ex.severity),
              `expected ${ex.severity}, got: ${seen}`,
            );
        }
      });
    }
  });
}
