import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertRefsResolve } from '../frameworks/index.js';
import { loadPolicyRules, POLICY_RULE_IDS } from './rules.js';

test('every policy rule is declared once, with framework references that resolve', () => {
  const rules = loadPolicyRules();
  assert.deepEqual([...rules.keys()].sort(), [...POLICY_RULE_IDS].sort());
  assert.doesNotThrow(() => assertRefsResolve([...rules.values()]));
});
