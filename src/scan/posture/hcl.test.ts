import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_HCL_NESTING, nestingDepth, parseHcl } from './hcl.js';
import { analyzePosture } from './index.js';

test('nesting depth counts brackets of every kind', () => {
  assert.equal(nestingDepth('a { b = [ (1) ] }'), 3);
  assert.equal(nestingDepth('}}}'), 0);
});

test('input nested deep enough to crash the parser is refused before it reaches it', async () => {
  const deep = `x = ${'['.repeat(MAX_HCL_NESTING + 1)}${']'.repeat(MAX_HCL_NESTING + 1)}`;
  await assert.rejects(parseHcl('a.tf', deep), /nesting deeper/);
  // Both HCL analyzers report such a file as malformed, and the process lives on to parse the next.
  const tf = await analyzePosture('deep.tf', `resource "aws_iam_policy" "p" {\n  ${deep}\n}\n`);
  assert.equal(tf.malformed.length, 1);
  const vault = await analyzePosture('policy.hcl', `path "secret/*" {\n  capabilities = ["read"]\n}\n${deep}\n`);
  assert.equal(vault.malformed.length, 1);
  assert.deepEqual(await parseHcl('ok.tf', 'a = 1'), { a: 1 });
});
