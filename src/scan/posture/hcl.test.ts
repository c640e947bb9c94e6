import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostileNesting, MAX_HCL_NESTING, nestingDepth, parseHcl } from './hcl.js';
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

test('YAML and JSON nested deep enough to overflow their parsers are reported malformed, never parsed', async () => {
  // In this order, in one process, these once aborted Node ("RegExpCompiler Allocation failed").
  let indented = '';
  for (let i = 0; i < 1200; i++) indented += `${' '.repeat(i)}k${i}:\n`;
  const cases: Array<[string, string, RegExp]> = [
    ['.github/workflows/a.yml', '{'.repeat(5000), /nesting deeper than 200 levels/],
    ['.github/workflows/b.yml', '- '.repeat(3000), /more than 64 sequences opened on one line/],
    ['k8s/pod.yaml', `apiVersion: v1\nkind: Pod\nx: ${'['.repeat(5000)}`, /nesting deeper/],
    ['.github/workflows/c.yml', indented, /indented deeper than 1000 columns/],
  ];
  for (const [path, text, reason] of cases) {
    const r = await analyzePosture(path, text);
    assert.equal(r.findings.length, 0);
    assert.ok(
      r.malformed.length > 0 && r.malformed.every((m) => reason.test(m) && m.endsWith('not parsed')),
      `${path}: ${r.malformed}`,
    );
  }
  // Ordinary manifests pass the guard.
  assert.equal(hostileNesting('jobs:\n  build:\n    steps:\n      - run: make\n'), undefined);
  assert.equal(hostileNesting('{"Statement": [{"Action": ["s3:GetObject"]}]}'), undefined);
});
