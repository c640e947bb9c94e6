// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings hold Terraform interpolations under test, not template placeholders
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRandom, expandExample } from '../secrets/examples.js';
import { createPostureContext } from './context.js';
import { IAM_RULES } from './iam.js';
import { loadPostureRules } from './load-rules.js';
import { terraformAnalyzer } from './terraform.js';

async function run(text: string, path = 'main.tf') {
  const r = createPostureContext(path, text, loadPostureRules());
  await terraformAnalyzer.analyze(r.ctx);
  return { ...r, at: (id: string) => r.findings.filter((f) => f.ruleId === id).map((f) => f.line) };
}

describe('terraform analyzer', () => {
  test('accepts .tf files only', () => {
    assert.ok(terraformAnalyzer.accepts('infra/main.tf', ''));
    assert.ok(!terraformAnalyzer.accepts('infra/main.tf.json', ''));
    assert.ok(!terraformAnalyzer.accepts('terragrunt.hcl', ''));
  });

  test('places findings on the offending line of a jsonencode policy', async () => {
    const text = [
      'resource "aws_iam_policy" "a" {', // 1
      '  policy = jsonencode({', // 2
      '    Statement = [', // 3
      '      { Effect = "Allow", Action = ["s3:GetObject"], Resource = "arn:aws:s3:::b/*" },', // 4
      '      {', // 5
      '        Effect   = "Allow"', // 6
      '        Action   = ["ec2:*"]', // 7
      '        Resource = "*"', // 8
      '      },', // 9
      '    ]', // 10
      '  })', // 11
      '}', // 12
    ].join('\n');
    const r = await run(text);
    assert.deepEqual(r.at(IAM_RULES.wildcardAction), [7]);
    assert.equal(r.findings[0]?.preview, 'Action: "ec2:*" on Resource: "*"');
  });

  test('reads aws_iam_policy_document statements, dynamic ones included', async () => {
    const text = [
      'data "aws_iam_policy_document" "d" {',
      '  statement {',
      '    actions   = ["s3:GetObject"]',
      '    resources = ["arn:aws:s3:::b/*"]',
      '  }',
      '  statement {',
      '    actions   = ["iam:CreatePolicyVersion"]',
      '    resources = ["*"]',
      '  }',
      '  dynamic "statement" {',
      '    for_each = var.extra',
      '    content {',
      '      actions   = ["*"]',
      '      resources = [statement.value]',
      '    }',
      '  }',
      '}',
    ].join('\n');
    const r = await run(text);
    assert.deepEqual(r.at(IAM_RULES.privilegeEscalation), [7]);
    assert.deepEqual(r.at(IAM_RULES.wildcardAction), [13]);
  });

  test('references are not wildcards, and self-scoped user actions are fine', async () => {
    const text = `resource "aws_iam_user_policy" "self" {
  policy = <<EOF
{"Statement": [
  {"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "arn:aws:iam::*:user/$\${aws:username}"},
  {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "\${aws_s3_bucket.b.arn}/*"},
  {"Effect": "Allow", "Action": \${jsonencode(var.actions)}, "Resource": "*"}
]}
EOF
}`;
    const r = await run(text);
    assert.deepEqual(r.findings, []);
    assert.deepEqual(r.malformed, []);
  });

  test('file() and templatefile() policies are left to the iam-json analyzer', async () => {
    const r = await run('resource "aws_iam_policy" "p" {\n  policy = templatefile("${path.module}/p.json", {})\n}\n');
    assert.deepEqual(r.findings, []);
    assert.deepEqual(r.malformed, []);
  });

  test('admin managed policies through modules and role arguments', async () => {
    const text = [
      'module "ci_role" {',
      '  source = "terraform-aws-modules/iam/aws//modules/iam-assumable-role"',
      '  custom_role_policy_arns = [',
      '    "arn:aws:iam::aws:policy/AdministratorAccess",',
      '  ]',
      '}',
      'resource "aws_iam_role" "r" {',
      '  assume_role_policy  = data.aws_iam_policy_document.t.json',
      '  managed_policy_arns = ["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/IAMFullAccess"]',
      '}',
    ].join('\n');
    const r = await run(text);
    assert.deepEqual(r.at(IAM_RULES.adminEquivalent).sort(), [4, 9]);
  });

  test('provider keys: evidence names the attributes, never the values', async () => {
    const text = expandExample(
      'provider "aws" {\n  access_key = "@@lit:AK|IA@@@@A0:16@@"\n  secret_key = "@@b64:40@@"\n}\n',
      createRandom(7),
    );
    const r = await run(text);
    assert.deepEqual(r.at(IAM_RULES.terraformProviderKeys), [2]);
    assert.equal(r.findings[0]?.preview, 'provider "aws": access_key, secret_key set');
    const clean = await run('provider "aws" {\n  region = "us-east-1"\n  access_key = ""\n}\n');
    assert.deepEqual(clean.findings, []);
  });

  test('broken HCL is malformed with a position, never a throw', async () => {
    const r = await run('resource "aws_iam_role" "x" {\n  name = \n');
    assert.equal(r.malformed.length, 1);
    assert.match(r.malformed[0]!, /^invalid HCL: main\.tf:\d+,\d+/);
  });

  test('files without anything IAM are not parsed (broken or not)', async () => {
    const r = await run('resource "aws_s3_bucket" "b" {\n  bucket = \n');
    assert.deepEqual(r.malformed, []);
  });

  test('deep nesting never reaches hcl2json (its runtime would abort the process)', async () => {
    const deep = await run(`resource "aws_iam_role" "x" {\n  a = ${'['.repeat(5000)}${']'.repeat(5000)}\n}\n`);
    assert.match(deep.malformed[0] ?? '', /nesting deeper than/);
    // The parser is still usable afterwards.
    const after = await run('resource "aws_iam_access_key" "k" {\n  user = "u"\n}\n');
    assert.deepEqual(after.at(IAM_RULES.accessKey), [1]);
  });

  test('huge and hostile input is capped', async () => {
    const huge = await run(`# aws_iam_\n${'#'.repeat(3 * 1024 * 1024)}\n`);
    assert.equal(huge.malformed.length, 1);
    // Many jsonencode expressions: sub-parses are capped, the analysis finishes quickly.
    const many = Array.from(
      { length: 300 },
      (_, i) =>
        `resource "aws_iam_policy" "p${i}" {\n  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }] })\n}`,
    ).join('\n');
    const t = performance.now();
    const r = await run(many);
    assert.ok(performance.now() - t < 10_000);
    assert.ok(r.findings.length > 0 && r.findings.length <= 200);
  });
});
