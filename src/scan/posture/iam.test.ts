// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings hold IAM policy variables, CloudFormation Fn::Sub and Terraform interpolations under test, not template placeholders
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  adminManagedPolicy,
  checkPolicy,
  IAM_RULES,
  isTrustStatement,
  isUnscopedResource,
  normalizePolicy,
  parseLenientJson,
  toText,
  toTexts,
} from './iam.js';
import { loadPostureRules } from './load-rules.js';

/** Rule ids a document raises, sorted and unique. */
function rulesOf(doc: unknown): string[] {
  const n = normalizePolicy(doc);
  assert.ok(n, 'a policy document');
  return [...new Set(checkPolicy(n).map((i) => i.ruleId))].sort();
}
const allow = (Action: unknown, Resource: unknown = '*', extra: object = {}) => ({
  Statement: [{ Effect: 'Allow', Action, Resource, ...extra }],
});
const trust = (Principal: unknown, Action: unknown = 'sts:AssumeRole', Condition?: object) => ({
  Statement: [{ Effect: 'Allow', Principal, Action, ...(Condition ? { Condition } : {}) }],
});
const github = (Condition?: object) =>
  trust(
    { Federated: 'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com' },
    'sts:AssumeRoleWithWebIdentity',
    Condition,
  );
const AUD = { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' };

describe('iam: values and normalisation', () => {
  test('CloudFormation intrinsics become text or placeholders, never wildcards', () => {
    assert.equal(toText({ Ref: 'Bucket' }), '${Bucket}');
    assert.equal(toText({ 'Fn::Sub': ['arn:aws:s3:::${B}/*', { B: 'x' }] }), 'arn:aws:s3:::${B}/*');
    assert.equal(toText({ 'Fn::Join': ['', ['arn:aws:s3:::', { Ref: 'B' }, '/*']] }), 'arn:aws:s3:::${B}/*');
    assert.equal(toText({ 'Fn::GetAtt': ['Role', 'Arn'] }), '${Fn::GetAtt}');
    assert.deepEqual(toTexts({ 'Fn::If': ['c', ['s3:GetObject'], { Ref: 'AWS::NoValue' }] }), ['s3:GetObject']);
  });

  test('statements may be one object or a list, fields a string or a list', () => {
    const n = normalizePolicy({ Statement: { Effect: 'Allow', Action: 's3:GetObject', Resource: ['a', 'b'] } });
    assert.equal(n?.statements.length, 1);
    assert.deepEqual(n?.statements[0]?.actions, ['s3:GetObject']);
    assert.deepEqual(n?.statements[0]?.resources, ['a', 'b']);
    assert.equal(normalizePolicy({ Version: '2012-10-17' }), undefined);
    assert.equal(normalizePolicy('not a policy'), undefined);
  });

  test('unscoped resources: everything of a kind, not one bucket or a name prefix', () => {
    for (const r of ['*', 'arn:aws:s3:::*', 'arn:aws:iam::123456789012:role/*', 'arn:aws:lambda:*:*:function:*']) {
      assert.ok(isUnscopedResource(r), r);
    }
    assert.ok(isUnscopedResource('arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*'));
    for (const r of ['arn:aws:s3:::bucket/*', 'arn:aws:iam::123456789012:role/app-*', '${aws_s3_bucket.b.arn}/*']) {
      assert.ok(!isUnscopedResource(r), r);
    }
  });

  test('managed policies: AdministratorAccess and IAMFullAccess, not ReadOnlyAccess or PowerUserAccess', () => {
    assert.equal(adminManagedPolicy('arn:aws:iam::aws:policy/AdministratorAccess'), 'AdministratorAccess');
    assert.equal(adminManagedPolicy('arn:aws-us-gov:iam::aws:policy/IAMFullAccess'), 'IAMFullAccess');
    assert.equal(adminManagedPolicy('arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess'), 'AdministratorAccess');
    assert.equal(adminManagedPolicy('AdministratorAccess'), 'AdministratorAccess');
    assert.equal(adminManagedPolicy('arn:aws:iam::aws:policy/ReadOnlyAccess'), undefined);
    assert.equal(adminManagedPolicy('arn:aws:iam::aws:policy/PowerUserAccess'), undefined);
    assert.equal(adminManagedPolicy('arn:aws:iam::123456789012:policy/AdministratorAccess-Amplify'), undefined);
  });

  test('every rule id this module reports is declared in rules/posture', () => {
    const rules = loadPostureRules();
    for (const id of Object.values(IAM_RULES)) assert.ok(rules.has(id), id);
  });
});

describe('iam: identity policies', () => {
  test('Action "*" on "*" is admin, and admin is said once (no escalation finding besides)', () => {
    assert.deepEqual(rulesOf(allow('*')), [IAM_RULES.adminEquivalent]);
  });

  test('Deny statements never raise allow rules', () => {
    assert.deepEqual(rulesOf({ Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] }), []);
    assert.deepEqual(rulesOf({ Statement: [{ Effect: 'Deny', NotAction: 'iam:*', NotResource: 'x' }] }), []);
  });

  test('service wildcards: high on "*" or for IAM, medium on scoped resources', () => {
    assert.deepEqual(rulesOf(allow('s3:*')), [IAM_RULES.wildcardAction]);
    // iam:* on one role is high; escalation needs the IAM write actions on every resource of their kind.
    assert.deepEqual(rulesOf(allow('iam:*', 'arn:aws:iam::1:role/x')), [IAM_RULES.wildcardAction]);
    assert.deepEqual(rulesOf(allow('iam:*')), [IAM_RULES.privilegeEscalation, IAM_RULES.wildcardAction].sort());
    assert.deepEqual(rulesOf(allow('logs:*', 'arn:aws:logs:us-east-1:1:log-group:/app:*')), [IAM_RULES.serviceWildcard]);
    // Partial wildcards such as Get* and Describe* are normal least-privilege shorthand.
    assert.deepEqual(rulesOf(allow(['s3:Get*', 's3:List*'], 'arn:aws:s3:::b/*')), []);
  });

  test('sensitive actions on "*" are medium; actions AWS only allows on "*" are not', () => {
    assert.deepEqual(rulesOf(allow('s3:PutObject')), [IAM_RULES.wildcardResource]);
    assert.deepEqual(rulesOf(allow('ssm:GetParameter*', 'arn:aws:ssm:*:*:parameter/*')), [IAM_RULES.wildcardResource]);
    assert.deepEqual(rulesOf(allow(['logs:CreateLogGroup', 'cloudwatch:PutMetricData', 'ec2:Describe*'])), []);
    assert.deepEqual(rulesOf(allow('s3:GetObject', 'arn:aws:s3:::bucket/*')), []);
    // A condition on the resource (tags) is a deliberate scope.
    const tagged = allow('s3:PutObject', '*', { Condition: { StringEquals: { 'aws:ResourceTag/app': 'x' } } });
    assert.deepEqual(rulesOf(tagged), []);
  });

  test('NotAction and NotResource with Allow', () => {
    assert.deepEqual(rulesOf({ Statement: [{ Effect: 'Allow', NotAction: 's3:*', Resource: 'arn:aws:s3:::b' }] }), [
      IAM_RULES.notAction,
    ]);
    assert.deepEqual(rulesOf({ Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', NotResource: 'arn:x' }] }), [
      IAM_RULES.notResource,
    ]);
    // NotAction on every resource leaves iam:* allowed: that is an escalation path too.
    const broad = rulesOf({ Statement: [{ Effect: 'Allow', NotAction: 's3:*', Resource: '*' }] });
    assert.deepEqual(broad, [IAM_RULES.notAction, IAM_RULES.privilegeEscalation].sort());
  });

  test('sts:AssumeRole on "*"', () => {
    assert.deepEqual(rulesOf(allow('sts:AssumeRole')), [IAM_RULES.assumeAnyRole]);
    assert.deepEqual(rulesOf(allow('sts:AssumeRole', 'arn:aws:iam::1:role/deployer')), []);
  });
});

describe('iam: privilege escalation', () => {
  const esc = (doc: unknown) => {
    const n = normalizePolicy(doc)!;
    return checkPolicy(n).find((i) => i.ruleId === IAM_RULES.privilegeEscalation);
  };

  test('single-permission methods on every resource', () => {
    for (const a of [
      'iam:CreatePolicyVersion',
      'iam:SetDefaultPolicyVersion',
      'iam:AttachUserPolicy',
      'iam:AttachGroupPolicy',
      'iam:AttachRolePolicy',
      'iam:PutUserPolicy',
      'iam:PutGroupPolicy',
      'iam:PutRolePolicy',
      'iam:AddUserToGroup',
      'iam:UpdateAssumeRolePolicy',
      'iam:CreateAccessKey',
      'iam:CreateLoginProfile',
      'iam:UpdateLoginProfile',
      'lambda:UpdateFunctionCode',
      'glue:UpdateDevEndpoint',
    ]) {
      assert.equal(esc(allow(a))?.evidence, a, a);
    }
  });

  test('a wildcard pattern that covers an escalating action counts', () => {
    assert.equal(esc(allow('iam:Put*Policy'))?.evidence, 'iam:PutUserPolicy');
  });

  test('user actions on ${aws:username}, or on a named role, are bounded', () => {
    assert.equal(esc(allow(['iam:CreateAccessKey', 'iam:UpdateLoginProfile'], 'arn:aws:iam::*:user/${aws:username}')), undefined);
    assert.equal(esc(allow('iam:PutRolePolicy', 'arn:aws:iam::1:role/app')), undefined);
  });

  test('PassRole combinations name every permission in the evidence', () => {
    const doc = {
      Statement: [
        { Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' },
        { Effect: 'Allow', Action: ['lambda:CreateFunction', 'lambda:CreateEventSourceMapping'], Resource: '*' },
      ],
    };
    const issue = esc(doc);
    assert.equal(issue?.evidence, 'iam:PassRole + lambda:CreateFunction + lambda:CreateEventSourceMapping');
    assert.match(issue?.message ?? '', /PassExistingRoleToNewLambdaThenTrigger/);
    assert.equal(issue?.statement, 0);
    for (const [svc, extra] of [
      ['ec2', ['ec2:RunInstances']],
      ['cloudformation', ['cloudformation:CreateStack']],
      ['glue', ['glue:CreateDevEndpoint']],
      ['datapipeline', ['datapipeline:CreatePipeline', 'datapipeline:PutPipelineDefinition']],
      ['codebuild', ['codebuild:CreateProject', 'codebuild:StartBuild']],
    ] as const) {
      const d = { Statement: [allow('iam:PassRole').Statement[0], allow([...extra], 'arn:aws:x:::y').Statement[0]] };
      assert.ok(esc(d), svc);
    }
  });

  test('PassRole scoped to one role, or to a service the policy cannot launch, is not escalation', () => {
    const compute = {
      Effect: 'Allow',
      Action: ['ec2:RunInstances', 'lambda:CreateFunction', 'lambda:InvokeFunction'],
      Resource: '*',
    };
    assert.equal(
      esc({ Statement: [compute, { Effect: 'Allow', Action: 'iam:PassRole', Resource: 'arn:aws:iam::1:role/app' }] }),
      undefined,
    );
    const toEcs = {
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: '*',
      Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    };
    assert.equal(esc({ Statement: [compute, toEcs] }), undefined);
    const toEc2 = { ...toEcs, Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } } };
    assert.equal(esc({ Statement: [compute, toEc2] })?.evidence, 'iam:PassRole + ec2:RunInstances');
  });

  test('an unconditional Deny removes the permission', () => {
    const doc = {
      Statement: [
        { Effect: 'Allow', Action: 'iam:CreatePolicyVersion', Resource: '*' },
        { Effect: 'Deny', Action: 'iam:*', Resource: '*' },
      ],
    };
    assert.equal(esc(doc), undefined);
  });
});

describe('iam: trust policies', () => {
  test('trust statements are recognised by sts:AssumeRole* with a Principal', () => {
    assert.ok(isTrustStatement(normalizePolicy(trust({ Service: 'ec2.amazonaws.com' }))!.statements[0]!));
    assert.ok(!isTrustStatement(normalizePolicy(allow('sts:AssumeRole'))!.statements[0]!));
  });

  test('any principal, unless a condition names the caller', () => {
    assert.deepEqual(rulesOf(trust('*')), [IAM_RULES.trustAnyPrincipal]);
    assert.deepEqual(rulesOf(trust({ AWS: ['*'] })), [IAM_RULES.trustAnyPrincipal]);
    assert.deepEqual(rulesOf(trust({ AWS: '*' }, 'sts:AssumeRole', { StringEquals: { 'aws:PrincipalOrgID': 'o-1' } })), []);
    assert.deepEqual(rulesOf(trust({ AWS: '*' }, 'sts:AssumeRole', { StringLike: { 'aws:PrincipalArn': '*' } })), [
      IAM_RULES.trustAnyPrincipal,
    ]);
    assert.deepEqual(rulesOf({ Statement: [{ Effect: 'Deny', Principal: '*', Action: 'sts:AssumeRole' }] }), []);
  });

  test('whole-account trust needs an external ID, a named principal or MFA', () => {
    assert.deepEqual(rulesOf(trust({ AWS: 'arn:aws:iam::123456789012:root' })), [IAM_RULES.trustAccount]);
    assert.deepEqual(rulesOf(trust({ AWS: '123456789012' })), [IAM_RULES.trustAccount]);
    assert.deepEqual(
      rulesOf(trust({ AWS: 'arn:aws:iam::123456789012:root' }, 'sts:AssumeRole', { StringEquals: { 'sts:ExternalId': 'x' } })),
      [],
    );
    assert.deepEqual(
      rulesOf(
        trust({ AWS: 'arn:aws:iam::123456789012:root' }, 'sts:AssumeRole', { Bool: { 'aws:MultiFactorAuthPresent': 'true' } }),
      ),
      [],
    );
    // The template's own account (a reference) is not cross-account.
    assert.deepEqual(rulesOf(trust({ AWS: 'arn:aws:iam::${AWS::AccountId}:root' })), []);
    assert.deepEqual(rulesOf(trust({ AWS: 'arn:aws:iam::123456789012:role/deployer' })), []);
  });

  test('GitHub OIDC: pinned repositories are clean', () => {
    for (const cond of [
      { StringEquals: { ...AUD, 'token.actions.githubusercontent.com:sub': 'repo:acme/app:ref:refs/heads/main' } },
      { StringEquals: AUD, StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:acme/app:*' } },
      {
        StringEquals: AUD,
        StringLike: { 'token.actions.githubusercontent.com:sub': ['repo:acme/app:environment:prod', 'repo:acme/web:*'] },
      },
      // StringEquals compares literally: "*" there matches only the string "*".
      { StringEquals: { ...AUD, 'token.actions.githubusercontent.com:sub': 'repo:acme/*' } },
      // STS's provider-specific claims pin the repository too.
      { StringEquals: { ...AUD, 'token.actions.githubusercontent.com:repository': 'acme/app' } },
      { StringEquals: AUD, StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:${Org}/${Repo}:*' } },
    ]) {
      assert.deepEqual(rulesOf(github(cond)), [], JSON.stringify(cond));
    }
  });

  test('GitHub OIDC: missing or wildcard sub lets other repositories in', () => {
    const sub = (v: string | string[]) =>
      github({ StringEquals: AUD, StringLike: { 'token.actions.githubusercontent.com:sub': v } });
    for (const v of [
      '*',
      'repo:*',
      'repo:acme/*',
      'repo:acme/*:*',
      'repo:acme/app-*:ref:refs/heads/main',
      ['repo:acme/app:*', 'repo:*'],
    ]) {
      const issues = checkPolicy(normalizePolicy(sub(v))!);
      assert.deepEqual(
        issues.map((i) => i.ruleId),
        [IAM_RULES.githubAnyRepo],
        JSON.stringify(v),
      );
      assert.match(issues[0]!.evidence, /^sub: /);
    }
    assert.deepEqual(rulesOf(github({ StringEquals: AUD })), [IAM_RULES.githubAnyRepo]);
    assert.deepEqual(rulesOf(github()), [IAM_RULES.githubAnyRepo, IAM_RULES.githubNoAudience].sort());
    // Org-wide claims do not pin one repository.
    assert.deepEqual(
      rulesOf(github({ StringEquals: { ...AUD, 'token.actions.githubusercontent.com:repository_owner': 'acme' } })),
      [IAM_RULES.githubAnyRepo],
    );
  });

  test('GitHub OIDC: a pinned sub without aud is low only', () => {
    const cond = { StringEquals: { 'token.actions.githubusercontent.com:sub': 'repo:acme/app:ref:refs/heads/main' } };
    assert.deepEqual(rulesOf(github(cond)), [IAM_RULES.githubNoAudience]);
  });

  test('other OIDC providers and service principals are out of scope', () => {
    assert.deepEqual(rulesOf(trust({ Service: ['lambda.amazonaws.com'] })), []);
    assert.deepEqual(rulesOf(trust({ Federated: 'cognito-identity.amazonaws.com' }, 'sts:AssumeRoleWithWebIdentity')), []);
  });
});

describe('iam: lenient JSON', () => {
  test('valid JSON is exact', () => {
    assert.deepEqual(parseLenientJson('\uFEFF{"a": 1}'), { ok: true, value: { a: 1 }, exact: true });
  });

  test('Terraform interpolations outside strings are quoted', () => {
    const r = parseLenientJson(
      '{"Resource": ${jsonencode(var.arns)}, "Action": "${var.a}", "X": ${merge({"a" = "}"}, local.b)}}',
    );
    assert.ok(r.ok);
    assert.equal(r.exact, false);
    assert.deepEqual(r.value, { Resource: '${jsonencode(var.arns)}', Action: '${var.a}', X: '${merge({"a" = "}"}, local.b)}' });
  });

  test('broken JSON and template directives give a reason without file text', () => {
    const r = parseLenientJson('{"secret": tru}');
    assert.ok(!r.ok);
    assert.doesNotMatch(r.reason, /secret/);
    assert.ok(!parseLenientJson('{"a": [%{ for x in y }"${x}",%{ endfor }]}').ok);
    assert.ok(!parseLenientJson('{"a": ${unclosed').ok);
  });
});
