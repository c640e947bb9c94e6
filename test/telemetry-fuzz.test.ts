import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IdentityEventSchema } from '../src/model/identity-event.js';
import { createRandom } from '../src/scan/secrets/examples.js';
import * as agentTrace from '../src/telemetry/parsers/agent-trace.samples.js';
import { aksAudit, azureActivity, entraAudit, entraSignIn } from '../src/telemetry/parsers/azure.samples.js';
import * as cloudtrail from '../src/telemetry/parsers/cloudtrail.samples.js';
import { gcpAudit, gkeAudit } from '../src/telemetry/parsers/gcp-audit.samples.js';
import * as githubAudit from '../src/telemetry/parsers/github-audit.samples.js';
import { PARSERS } from '../src/telemetry/parsers/index.js';
import * as k8sAudit from '../src/telemetry/parsers/k8s-audit.samples.js';
import * as ocsf from '../src/telemetry/parsers/ocsf.samples.js';
import * as okta from '../src/telemetry/parsers/okta.samples.js';
import * as openaiAudit from '../src/telemetry/parsers/openai-audit.samples.js';
import { paths } from '../src/telemetry/parsers/testing.js';
import * as vault from '../src/telemetry/parsers/vault.samples.js';

const SAMPLES: Record<string, { sampleRecords: (seed?: number) => unknown[] }> = {
  vault,
  cloudtrail,
  'k8s-audit': k8sAudit,
  'github-audit': githubAudit,
  okta,
  'agent-trace': agentTrace,
  ocsf,
  'gcp-audit': gcpAudit,
  'gke-audit': gkeAudit,
  'azure-activity': azureActivity,
  'entra-signin': entraSignIn,
  'entra-audit': entraAudit,
  'aks-audit': aksAudit,
  'openai-audit': openaiAudit,
};

const MUTATIONS_PER_FORMAT = Number(process.env.WARDEN_FUZZ_RECORDS ?? 100_000);

function mutate(record: unknown, rnd: () => number): unknown {
  if (rnd() < 0.1) {
    // Text-level damage: truncation or a flipped character, then whatever JSON.parse makes of it.
    const text = JSON.stringify(record);
    const at = Math.floor(rnd() * text.length);
    const damaged =
      rnd() < 0.5 ? text.slice(0, at) : text.slice(0, at) + String.fromCharCode(32 + Math.floor(rnd() * 90)) + text.slice(at + 1);
    try {
      return JSON.parse(damaged);
    } catch {
      return damaged;
    }
  }
  const copy = structuredClone(record);
  const all = paths(copy);
  const n = 1 + Math.floor(rnd() * 3);
  const replacements = [
    null,
    0,
    -1,
    1e308,
    '',
    'x'.repeat(100_000),
    [],
    {},
    true,
    '2026-13-45T99:99:99Z',
    [null],
    { a: { b: [] } },
    '\u0000\ud800',
  ];
  for (let i = 0; i < n && all.length > 0; i++) {
    const path = all[Math.floor(rnd() * all.length)]!;
    let parent = copy as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) {
      const next = parent?.[key];
      if (next === null || typeof next !== 'object') break;
      parent = next as Record<string | number, unknown>;
    }
    const last = path[path.length - 1]!;
    if (parent === null || typeof parent !== 'object') continue;
    if (rnd() < 0.3) delete parent[last];
    else parent[last] = structuredClone(replacements[Math.floor(rnd() * replacements.length)]);
  }
  return copy;
}

describe('parsers under fuzzing', () => {
  for (const [source, factory] of PARSERS) {
    test(`${source}: ${MUTATIONS_PER_FORMAT} mutated records never throw and give valid events or reasons`, () => {
      const samples = SAMPLES[source]!.sampleRecords(1);
      assert.ok(samples.length > 0);
      const rnd = createRandom(source.length * 7919);
      const parser = factory();
      const others = PARSERS.map(([, f]) => f());
      let events = 0;
      let rejected = 0;
      for (let i = 0; i < MUTATIONS_PER_FORMAT; i++) {
        const record = mutate(samples[i % samples.length], rnd);
        for (const p of others) p.detect(record); // detection must not throw either
        const out = parser.push(record, { file: 'fuzz', line: i + 1 });
        if (Array.isArray(out)) {
          events += out.length;
          // Validating every event would dominate the run; every 97th is a fair sample.
          if (i % 97 === 0)
            for (const e of out) assert.ok(IdentityEventSchema.safeParse(e).success, JSON.stringify(e).slice(0, 500));
        } else {
          rejected++;
          assert.equal(typeof out.reject, 'string');
          assert.ok(out.reject.length > 0);
        }
      }
      for (const e of parser.flush()) assert.ok(IdentityEventSchema.safeParse(e).success);
      assert.ok(events > 0, 'some mutated records still make events');
      assert.ok(rejected > 0, 'some mutated records are rejected');
    });
  }

  test('the untouched samples of every format become valid events, claimed by their own parser alone', () => {
    for (const [source, factory] of PARSERS) {
      const parser = factory();
      const all = PARSERS.map(([s, f]) => [s, f()] as const);
      const samples = SAMPLES[source]!.sampleRecords(2);
      let rejected = 0;
      for (const record of samples) {
        const claimed = all.filter(([, p]) => p.detect(record)).map(([s]) => s);
        // Never claimed by another format: the normaliser tries the last parser that matched first,
        // so a record two parsers claim could be read as the wrong format.
        assert.ok(
          claimed.every((c) => c === source),
          `${source} sample claimed by ${claimed.join(', ')}`,
        );
        const out = parser.push(record, { file: 's', line: 1 });
        if (!Array.isArray(out)) {
          // Some sample sets carry a few deliberately bad records for the parsers' own tests.
          rejected++;
          continue;
        }
        assert.deepEqual(claimed, [source], `${source} sample that parses must be detected as ${source}`);
        for (const e of out) {
          const r = IdentityEventSchema.safeParse(e);
          assert.ok(r.success, `${source}: ${r.success ? '' : r.error.message}`);
          assert.equal(e.source, source);
        }
      }
      assert.ok(rejected <= samples.length * 0.2, `${source}: ${rejected} of ${samples.length} samples rejected`);
    }
  });
});
