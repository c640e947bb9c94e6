import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import safeRegex from 'safe-regex2';
import { createSecretScanner } from './engine.js';
import { createRandom, expandExample } from './examples.js';
import { loadSecretRules } from './load-rules.js';

// One data-driven test runs every rule's examples both ways, against the whole rule set, as a scan would.
const rules = loadSecretRules();
const scanner = createSecretScanner({ rules });
const SEEDS = [1, 2, 3];

describe('secret rules (data-driven)', () => {
  test('a rule limited to some files says nothing elsewhere', () => {
    const text = 'smtp_password: Tr0ub4dor&3x!Zq\n';
    const only = (path: string) => scanner.scanBuffer(Buffer.from(text), path).findings.map((f) => f.ruleId);
    assert.deepEqual(only('config/mail.yaml'), ['secret.generic.config-password']);
    assert.deepEqual(only('app/Mail.PROPERTIES'), ['secret.generic.config-password']);
    assert.deepEqual(only('src/types.ts'), []);
  });

  test('rule ids are unique and every rule has both kinds of example', () => {
    assert.equal(new Set(rules.map((r) => r.id)).size, rules.length);
    for (const r of rules) {
      assert.ok(r.examples.positive.length > 0 && r.examples.negative.length > 0, r.id);
    }
  });

  for (const rule of rules) {
    // A rule limited to some files (`paths`) is tried in a file it applies to.
    const file = rule.paths === undefined ? 'example.txt' : `example${rule.paths[0]!.replace(/^\*/, '')}`;
    test(`${rule.id}: positive examples are found, without leaking the secret`, () => {
      for (const seed of SEEDS) {
        for (const template of rule.examples.positive) {
          const generated: string[] = [];
          const text = expandExample(template, createRandom(seed), generated);
          const { findings } = scanner.scanBuffer(Buffer.from(text, 'latin1'), file);
          assert.ok(
            findings.some((f) => f.ruleId === rule.id),
            `${rule.id} missed positive example (seed ${seed}): ${template}\n got: ${findings.map((f) => f.ruleId).join(', ') || 'nothing'}`,
          );
          // The AWS access key id and a GCP key's private_key_id are identifiers the audit logs write in
          // clear: join keys, not secrets.
          const out = JSON.stringify(
            findings.map(({ credentialKey, ...f }) =>
              credentialKey?.type === 'aws-access-key-id' || credentialKey?.type === 'gcp-key-id' ? f : { ...f, credentialKey },
            ),
          );
          for (const g of generated) {
            if (g.length >= 8) assert.ok(!out.includes(g), `${rule.id}: a finding contains generated secret material`);
          }
        }
      }
    });

    test(`${rule.id}: negative examples are not reported by it`, () => {
      for (const seed of SEEDS) {
        for (const template of rule.examples.negative) {
          const text = expandExample(template, createRandom(seed));
          const { findings } = scanner.scanBuffer(Buffer.from(text, 'latin1'), file);
          assert.ok(
            !findings.some((f) => f.ruleId === rule.id),
            `${rule.id} flagged negative example (seed ${seed}): ${template}`,
          );
        }
      }
    });

    test(`${rule.id}: pattern has no nested quantifiers (backtracking safe)`, () => {
      assert.ok(safeRegex(rule.regex), `${rule.id}: pattern may backtrack catastrophically: ${rule.pattern}`);
    });
  }
});
