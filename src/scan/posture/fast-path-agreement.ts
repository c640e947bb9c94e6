import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { packageRoot } from '../../model/package-root.js';
import { createRandom, expandExample } from '../secrets/examples.js';
import { createPostureContext } from './context.js';
import { loadPostureRules } from './load-rules.js';
import type { PostureAnalyzer } from './types.js';

/**
 * Test support for the YAML analyzers' fast pass (yaml-fast.ts): an analyzer with the fast pass must
 * give exactly what the same analyzer gives without it (same findings, lines, messages, malformed
 * reasons) on every posture fixture and on variants of them built to reach the fast pass's corners:
 * each line deleted in turn (broken YAML, lost fields, dangling structure), a Helm expression added,
 * and each `false` turned `true`.
 */

export interface Sample {
  path: string;
  text: string;
}

/** The fixtures of one domain of test/fixtures/posture, as analyzePosture receives them in test/posture.test.ts. */
export function fixtureSamples(domain: string): Sample[] {
  const dir = join(packageRoot(), 'test', 'fixtures', 'posture', domain);
  if (!existsSync(join(dir, 'cases.yaml'))) return [];
  const cases = parseYaml(readFileSync(join(dir, 'cases.yaml'), 'utf8')) as Array<{ file: string; path?: string }>;
  return cases.map((c) => ({
    path: c.path ?? c.file,
    text: expandExample(readFileSync(join(dir, c.file), 'utf8'), createRandom(1)),
  }));
}

/** The sample itself and its variants: one line deleted (each in turn), a `{{ }}` comment appended, `false` → `true`. */
export function variants(sample: Sample): Sample[] {
  const lines = sample.text.split('\n');
  const out: Sample[] = [sample, { path: sample.path, text: `${sample.text}\n# {{ .Values.helm }}\n` }];
  for (let i = 0; i < lines.length; i++) {
    out.push({ path: sample.path, text: [...lines.slice(0, i), ...lines.slice(i + 1)].join('\n') });
  }
  for (let i = 0; i < lines.length; i++) {
    if (/\bfalse\b/.test(lines[i]!)) {
      const flipped = [...lines];
      flipped[i] = lines[i]!.replace(/\bfalse\b/, 'true');
      out.push({ path: sample.path, text: flipped.join('\n') });
    }
  }
  return out;
}

interface Outcome {
  findings: Array<[string, number, string, string]>;
  malformed: string[];
}

async function outcome(analyzer: PostureAnalyzer, sample: Sample): Promise<Outcome> {
  const run = createPostureContext(sample.path, sample.text, loadPostureRules());
  try {
    await analyzer.analyze(run.ctx);
  } catch (err) {
    // analyzePosture turns a throw into a malformed reason; the two passes must agree on that too.
    run.malformed.push(`threw: ${(err as Error).message}`);
  }
  return { findings: run.findings.map((f) => [f.ruleId, f.line, f.preview, f.message]), malformed: run.malformed };
}

/**
 * Asserts that `fast` and `exact` agree on every sample; returns how many samples had findings, so a
 * test can also check that the variants did reach both outcomes.
 * @example await assertAgreement(kubernetesAnalyzer, kubernetesExactAnalyzer, fixtureSamples('kubernetes').flatMap(variants))
 */
export async function assertAgreement(fast: PostureAnalyzer, exact: PostureAnalyzer, samples: Sample[]): Promise<number> {
  let withFindings = 0;
  for (const s of samples) {
    const want = await outcome(exact, s);
    const got = await outcome(fast, s);
    assert.deepEqual(got, want, `${s.path}: fast pass differs on\n${s.text}`);
    if (want.findings.length > 0) withFindings++;
  }
  return withFindings;
}
