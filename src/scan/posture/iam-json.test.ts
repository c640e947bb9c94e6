import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPostureContext } from './context.js';
import { IAM_RULES } from './iam.js';
import { iamJsonAnalyzer } from './iam-json.js';
import { loadPostureRules } from './load-rules.js';

async function run(text: string, path = 'policy.json') {
  const r = createPostureContext(path, text, loadPostureRules());
  await iamJsonAnalyzer.analyze(r.ctx);
  return { ...r, at: (id: string) => r.findings.filter((f) => f.ruleId === id).map((f) => f.line) };
}

describe('iam-json analyzer', () => {
  test('accepts .json files whose head has a Statement, not CloudFormation templates', () => {
    assert.ok(iamJsonAnalyzer.accepts('iam/policy.json', '{\n  "Version": "2012-10-17",\n  "Statement": ['));
    assert.ok(!iamJsonAnalyzer.accepts('package.json', '{ "name": "x" }'));
    assert.ok(!iamJsonAnalyzer.accepts('t.json', '{"Resources": {"R": {"Properties": {"PolicyDocument": {"Statement": []}}}}}'));
    assert.ok(!iamJsonAnalyzer.accepts('policy.yaml', '"Statement": []'));
  });

  test('places findings on the offending value', async () => {
    const text = [
      '{', // 1
      '  "Version": "2012-10-17",', // 2
      '  "Statement": [', // 3
      '    {', // 4
      '      "Effect": "Allow",', // 5
      '      "Action": [', // 6
      '        "s3:GetObject",', // 7
      '        "s3:*"', // 8
      '      ],', // 9
      '      "Resource": "*"', // 10
      '    },', // 11
      '    { "Effect": "Allow", "Principal": { "AWS": "*" }, "Action": "sts:AssumeRole" }', // 12
      '  ]', // 13
      '}', // 14
    ].join('\n');
    const r = await run(text);
    assert.deepEqual(r.at(IAM_RULES.wildcardAction), [8]);
    assert.deepEqual(r.at(IAM_RULES.trustAnyPrincipal), [12]);
  });

  test('a top-level array or a JSON without Statement is not a policy', async () => {
    assert.deepEqual((await run('[{"Statement": []}]')).findings, []);
    assert.deepEqual((await run('{"Statementx": 1}')).malformed, []);
  });

  test('invalid JSON is malformed with a line', async () => {
    const r = await run('{\n  "Statement": [\n    {"Effect": "Allow",,}\n  ]\n}\n');
    assert.equal(r.malformed.length, 1);
    assert.match(r.malformed[0]!, /invalid JSON: .* at line 3$/);
  });

  test('deeply nested or oversized input is handled without a throw', async () => {
    const deep = `{"Statement": ${'['.repeat(5000)}${']'.repeat(5000)}}`;
    assert.deepEqual((await run(deep)).findings, []);
    const big = await run(`{"Statement": [], "pad": "${'x'.repeat(3 * 1024 * 1024)}"}`);
    assert.equal(big.malformed.length, 1);
  });
});
