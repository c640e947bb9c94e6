import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../src/model/package-root.js';

// DESIGN.md: model ← frameworks ← (scan, telemetry, policy) ← (detect, correlate) ← respond ←
// (store, bus, report) ← (server, cli). A module may import its own layer or lower ones only.
const LAYER: Record<string, number> = {
  model: 0,
  frameworks: 1,
  scan: 2,
  telemetry: 2,
  policy: 2,
  // The synthetic estate for the demo and the benches: vendor-format records from the model alone.
  scenario: 2,
  detect: 3,
  correlate: 3,
  respond: 4,
  store: 5,
  bus: 5,
  report: 5,
  server: 6,
  cli: 6,
};

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* sources(p);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) yield p;
  }
}

test('imports point down the module layers of DESIGN.md', () => {
  const src = join(packageRoot(), 'src');
  const violations: string[] = [];
  for (const file of sources(src)) {
    const rel = relative(src, file);
    const from = rel.split('/')[0]!;
    if (!(from in LAYER)) continue; // src/index.ts is the public surface and may import anything
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/from '(\.[^']+)'/g)) {
      const target = relative(src, join(file, '..', m[1]!)).split('/')[0]!;
      if (target in LAYER && LAYER[target]! > LAYER[from]!)
        violations.push(`${rel} imports ${m[1]} (${target} is above ${from})`);
    }
  }
  assert.deepEqual(violations, []);
});
