import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { assertRefsResolve } from '../src/frameworks/index.js';
import { packageRoot } from '../src/model/package-root.js';
import { ANALYZERS, analyzePosture, loadPostureRules } from '../src/scan/posture/index.js';
import { createRandom, expandExample } from '../src/scan/secrets/examples.js';

/**
 * Posture fixtures are data: test/fixtures/posture/<domain>/cases.yaml lists files, the path each is
 * analyzed as, and exactly which rules it must raise ([] for a clean, well-configured file). Fixture
 * text may use @@generators@@ so no credential-shaped value is committed.
 */
const CaseSchema = z
  .object({
    file: z.string(),
    path: z.string().optional(),
    expect: z.array(z.string()),
    malformed: z.boolean().default(false),
    note: z.string().optional(),
  })
  .strict();

const root = join(packageRoot(), 'test', 'fixtures', 'posture');
const rules = loadPostureRules();
const domains = existsSync(root) ? readdirSync(root).filter((d) => existsSync(join(root, d, 'cases.yaml'))) : [];
const covered = new Set<string>();

describe('posture analyzers (data-driven fixtures)', () => {
  for (const domain of domains) {
    const cases = z.array(CaseSchema).parse(parseYaml(readFileSync(join(root, domain, 'cases.yaml'), 'utf8')));
    test(`${domain}: has a clean fixture that raises nothing`, () => {
      assert.ok(
        cases.some((c) => c.expect.length === 0 && !c.malformed),
        `${domain} needs a clean fixture`,
      );
    });
    for (const c of cases) {
      for (const id of c.expect) covered.add(id);
      test(`${domain}/${c.file}: ${c.expect.length ? c.expect.join(', ') : 'clean'}${c.malformed ? ' (malformed)' : ''}`, async () => {
        for (const id of c.expect) assert.ok(rules.has(id), `fixture expects undeclared rule ${id}`);
        const text = expandExample(readFileSync(join(root, domain, c.file), 'utf8'), createRandom(1));
        const result = await analyzePosture(c.path ?? c.file, text);
        const got = [...new Set(result.findings.map((f) => f.ruleId))].sort();
        assert.deepEqual(
          got,
          [...new Set(c.expect)].sort(),
          `findings: ${JSON.stringify(result.findings.map((f) => [f.ruleId, f.line, f.preview]))}`,
        );
        assert.equal(result.malformed.length > 0, c.malformed, `malformed: ${result.malformed.join('; ')}`);
        for (const f of result.findings) {
          assert.ok(f.line >= 1 && f.line <= text.split('\n').length, `${f.ruleId} line ${f.line} is inside the file`);
          assert.equal(f.kind, 'posture');
        }
      });
    }
  }

  test('every posture rule has a positive fixture, resolvable framework refs and a remediation', () => {
    const missing = [...rules.keys()].filter((id) => !covered.has(id));
    assert.deepEqual(missing, [], 'rules without a fixture that raises them');
    assert.doesNotThrow(() => assertRefsResolve([...rules.values()]));
  });

  test('analyzer ids are unique', () => {
    assert.equal(new Set(ANALYZERS.map((a) => a.id)).size, ANALYZERS.length);
  });
});
