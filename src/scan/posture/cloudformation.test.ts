import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  cloudformationAnalyzer,
  cloudformationExactAnalyzer,
  parseJsonWithPositions,
  parseWithPositions,
} from './cloudformation.js';
import { createPostureContext } from './context.js';
import { assertAgreement, fixtureSamples, variants } from './fast-path-agreement.js';
import { IAM_RULES } from './iam.js';
import { loadPostureRules } from './load-rules.js';

async function run(text: string, path = 'template.yaml') {
  const r = createPostureContext(path, text, loadPostureRules());
  await cloudformationAnalyzer.analyze(r.ctx);
  return { ...r, at: (id: string) => r.findings.filter((f) => f.ruleId === id).map((f) => f.line) };
}

describe('cloudformation: parsing with positions', () => {
  test('short-form intrinsics become long form; lines are kept', () => {
    const r = parseWithPositions('A:\n  - !Ref X\n  - !GetAtt R.Arn\n  - !Join ["", [!Ref B, "/*"]]\nB: 012345678901\n');
    assert.ok(r.ok);
    const v = r.doc.value as Record<string, unknown>;
    // Objects are null-prototype (a `__proto__` key stays a key); compare their JSON.
    assert.deepEqual(JSON.parse(JSON.stringify(v.A)), [
      { Ref: 'X' },
      { 'Fn::GetAtt': ['R', 'Arn'] },
      { 'Fn::Join': ['', [{ Ref: 'B' }, '/*']] },
    ]);
    // An account id keeps its leading zero.
    assert.equal(v.B, '012345678901');
    assert.equal(r.doc.line(v.A, 2), 4);
    assert.equal(r.doc.line(v, 'B'), 5);
  });

  test('alias bombs stop at the node budget instead of expanding', () => {
    let text = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 9; i++)
      text += `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]\n`;
    const t = performance.now();
    const r = parseWithPositions(text);
    assert.ok(!r.ok);
    assert.ok(performance.now() - t < 5000);
  });

  test('syntax errors carry a line', () => {
    const r = parseWithPositions('a: [1, 2\nb: c\n');
    assert.ok(!r.ok);
    assert.match(r.reason, /^invalid YAML: .*line 2/);
  });
});

describe('cloudformation: JSON with positions', () => {
  test('values equal JSON.parse; keys and items have their lines', () => {
    const text = '{\n  "a": [\n    1,\n    {"b": "x\\n\\u00e9\\"y"}\n  ],\n  "c": -1.5e3, "d": true, "e": null, "a": 2\n}';
    const doc = parseJsonWithPositions(text);
    assert.deepEqual(JSON.parse(JSON.stringify(doc.value)), JSON.parse(text));
    const v = doc.value as Record<string, unknown>;
    assert.equal(doc.line(v, 'a'), 2);
    assert.equal(doc.line(v, 'c'), 6);
    assert.equal(doc.line(JSON.parse(text), 'a'), undefined);
  });

  test('array items keep their own lines', () => {
    const doc = parseJsonWithPositions('[\n"x",\n\n"y"]');
    assert.equal(doc.line(doc.value, 0), 2);
    assert.equal(doc.line(doc.value, 1), 4);
  });

  test('malformed or too deep input throws a SyntaxError, never hangs', () => {
    for (const bad of ['{"a": }', '[1 2]', '{"a": "b', '{"a": 1} x', '[' + '['.repeat(2000) + ']'.repeat(2001)]) {
      assert.throws(() => parseJsonWithPositions(bad), SyntaxError, bad.slice(0, 20));
    }
  });
});

describe('cloudformation analyzer', () => {
  test('accepts templates by a cheap look at the head', () => {
    assert.ok(cloudformationAnalyzer.accepts('t.yaml', 'AWSTemplateFormatVersion: "2010-09-09"\n'));
    assert.ok(
      cloudformationAnalyzer.accepts('cdk.out/App.template.json', '{\n "Resources": {\n  "R": {\n   "Type": "AWS::IAM::Role"'),
    );
    assert.ok(cloudformationAnalyzer.accepts('t.yml', 'Transform: AWS::Serverless-2016-10-31\n'));
    assert.ok(!cloudformationAnalyzer.accepts('k8s.yaml', 'apiVersion: v1\nkind: Pod\nspec:\n  resources: {}\n'));
    assert.ok(!cloudformationAnalyzer.accepts('main.tf', 'AWSTemplateFormatVersion'));
  });

  test('places findings on the offending list item', async () => {
    const text = [
      'Resources:', // 1
      '  P:', // 2
      '    Type: AWS::IAM::ManagedPolicy', // 3
      '    Properties:', // 4
      '      PolicyDocument:', // 5
      '        Statement:', // 6
      '          - Effect: Allow', // 7
      '            Action:', // 8
      '              - s3:GetObject', // 9
      '              - iam:PassRole', // 10
      '              - lambda:CreateFunction', // 11
      '              - lambda:InvokeFunction', // 12
      '            Resource: "*"', // 13
    ].join('\n');
    const r = await run(text);
    assert.deepEqual(r.at(IAM_RULES.privilegeEscalation), [10]);
    assert.deepEqual(r.at(IAM_RULES.wildcardResource), [9]);
  });

  test('Fn::If statement branches are both checked', async () => {
    const text = [
      'AWSTemplateFormatVersion: "2010-09-09"',
      'Resources:',
      '  P:',
      '    Type: AWS::IAM::Policy',
      '    Properties:',
      '      PolicyDocument:',
      '        Statement:',
      '          - !If',
      '            - Wide',
      '            - Effect: Allow',
      '              Action: "*"',
      '              Resource: "*"',
      '            - !Ref AWS::NoValue',
    ].join('\n');
    const r = await run(text);
    assert.deepEqual(r.at(IAM_RULES.adminEquivalent), [11]);
  });

  test('inactive access keys and non-IAM resources raise nothing', async () => {
    const text =
      'Resources:\n  K:\n    Type: AWS::IAM::AccessKey\n    Properties:\n      Status: Inactive\n      UserName: u\n  B:\n    Type: AWS::S3::Bucket\n';
    assert.deepEqual((await run(text)).findings, []);
  });

  test('a YAML file that is not a template is ignored', async () => {
    const r = await run('Resources:\n  - cpu\n  - memory\n');
    assert.deepEqual(r.findings, []);
    assert.deepEqual(r.malformed, []);
  });

  test('JSON templates with keys YAML would refuse are read by the JSON parser', async () => {
    const longKey = 'K'.repeat(1100);
    const text = JSON.stringify({
      Resources: {
        [longKey]: {
          Type: 'AWS::IAM::Policy',
          Properties: { PolicyDocument: { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } },
        },
      },
    });
    const r = await run(text, 'big.template.json');
    assert.deepEqual(r.malformed, []);
    assert.deepEqual(r.at(IAM_RULES.adminEquivalent), [1]);
  });

  test('garbage and oversized input are malformed, never thrown', async () => {
    const bad = await run('AWSTemplateFormatVersion: x\n\u0000\u0001: [\n');
    assert.equal(bad.malformed.length, 1);
    const big = await run(`AWSTemplateFormatVersion: x\n#${'x'.repeat(9 * 1024 * 1024)}\n`);
    assert.match(big.malformed[0] ?? '', /larger than/);
  });
});

describe('cloudformation: the fast pass', () => {
  test('agrees with the full parse on every fixture and its variants', async () => {
    const samples = fixtureSamples('cloudformation').flatMap(variants);
    const withFindings = await assertAgreement(cloudformationAnalyzer, cloudformationExactAnalyzer, samples);
    assert.ok(
      samples.length > 250 && withFindings > 60 && withFindings < samples.length - 100,
      `${withFindings}/${samples.length}`,
    );
  });

  test('agrees on YAML where js-yaml and yaml could part ways', async () => {
    const role = (trust: string, extra = '') =>
      `AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n${extra}      AssumeRolePolicyDocument:\n        Statement:\n          - Effect: Allow\n            Action: sts:AssumeRole\n${trust}`;
    const texts = [
      role('            Principal: { Service: lambda.amazonaws.com }\n'),
      // Plain scalars keep their text: the account id's leading zero, `true`, `~`, numbers.
      role('            Principal: { AWS: 012345678901 }\n'),
      role(
        '            Principal: { AWS: arn:aws:iam::012345678901:root }\n            Condition: { Bool: { aws:MultiFactorAuthPresent: true } }\n',
      ),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation !Sub placeholder, not a template string
      role('            Principal: { AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root" }\n'),
      role('            Principal: { AWS: !Ref Account }\n'),
      role('            Principal: { AWS: !Ref }\n'),
      role('            Principal: !If [Prod, { AWS: "*" }, { Service: ec2.amazonaws.com }]\n'),
      role(
        '            Principal: { Service: lambda.amazonaws.com }\n',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation !Sub placeholder, not a template string
        '      ManagedPolicyArns: [!Sub "arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess"]\n',
      ),
      role(
        '            Principal: { Service: lambda.amazonaws.com }\n',
        '      ManagedPolicyArns: [!Join ["", ["arn:aws:iam::aws:policy/", Administrator, Access]]]\n',
      ),
      // Keys the two parsers spell differently, anchors, tags, duplicates.
      role('            Principal: { Service: lambda.amazonaws.com }\n            1.0: x\n            ~: y\n'),
      role('            Principal: &p { Service: lambda.amazonaws.com }\n'),
      role('            Principal: !!map { AWS: "*" }\n'),
      role('            Principal: { Service: lambda.amazonaws.com }\n            Principal: { AWS: "*" }\n'),
      role('            Principal: { Service: lambda.amazonaws.com }\n            NotPrincipal: !Unknown x\n'),
    ];
    await assertAgreement(
      cloudformationAnalyzer,
      cloudformationExactAnalyzer,
      texts.flatMap((text) => variants({ path: 'template.yaml', text })),
    );
  });
});
