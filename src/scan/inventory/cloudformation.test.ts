import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InventoryRelation } from '../../model/inventory.js';
import { cloudformationExtractor } from './cloudformation.js';

const rows = (rs: InventoryRelation[]) => rs.map((r) => [r.line, r.kind, r.src.id, r.dst.id, r.props ?? {}]);

const TEMPLATE = `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  AppRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: app-role
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Service: ecs-tasks.amazonaws.com
              AWS: !Sub arn:aws:iam::\${AWS::AccountId}:role/ci
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/ReadOnlyAccess
        - !Ref SharedPolicy
      Policies:
        - PolicyName: queue
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [sqs:SendMessage, sqs:ReceiveMessage]
                Resource: !Sub arn:aws:sqs:\${AWS::Region}:\${AWS::AccountId}:jobs
      Tags:
        - Key: team
          Value: Orders
  SharedPolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      ManagedPolicyName: shared
      PolicyDocument:
        Statement:
          - Effect: Allow
            Action: "*"
            Resource: "*"
      Users:
        - ops-bot
  Bot:
    Type: AWS::IAM::User
    Properties:
      UserName: ops-bot
`;

test('cloudformation: role trust, inline and managed policies, tags, policy users', async () => {
  const role = 'arn:aws:iam::*:role/app-role';
  assert.deepEqual(rows(await cloudformationExtractor.extract('cfn/stack.yaml', TEMPLATE)), [
    [13, 'assumes', 'arn:aws:iam::*:role/ci', role, { actions: ['sts:AssumeRole'] }],
    [12, 'runs-as', 'aws-service:ecs-tasks.amazonaws.com', role, { actions: ['sts:AssumeRole'] }],
    [24, 'can-access', role, 'arn:aws:sqs:*:*:jobs', { actions: ['sqs:SendMessage', 'sqs:ReceiveMessage'], admin: false }],
    [16, 'has-policy', role, 'aws-policy:ReadOnlyAccess', { admin: false }],
    [17, 'has-policy', role, 'aws-policy:shared', { admin: false }],
    [27, 'owned-by', role, 'orders', { key: 'team' }],
    [36, 'can-access', 'aws-policy:shared', '*', { actions: ['*'], admin: true }],
    [38, 'has-policy', 'arn:aws:iam::*:user/ops-bot', 'aws-policy:shared', {}],
  ]);
});

test('cloudformation: JSON templates, GetAtt principals and GitHub OIDC trust', async () => {
  const json = `{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Resources": {
    "Deployer": {
      "Type": "AWS::IAM::Role",
      "Properties": {
        "AssumeRolePolicyDocument": {
          "Statement": [
            {
              "Effect": "Allow",
              "Action": "sts:AssumeRoleWithWebIdentity",
              "Principal": { "Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com" },
              "Condition": { "StringLike": { "token.actions.githubusercontent.com:sub": "repo:acme/*:*" } }
            },
            { "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": { "AWS": { "Fn::GetAtt": ["Runner", "Arn"] } } }
          ]
        },
        "ManagedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]
      }
    },
    "Runner": { "Type": "AWS::IAM::Role", "Properties": { "RoleName": "runner" } }
  }
}
`;
  const role = 'arn:aws:iam::*:role/Deployer';
  assert.deepEqual(rows(await cloudformationExtractor.extract('cfn/deploy.json', json)), [
    [
      13,
      'assumes',
      'github-actions:repo:acme/*',
      role,
      { actions: ['sts:AssumeRoleWithWebIdentity'], sub: ['repo:acme/*:*'], provider: 'token.actions.githubusercontent.com' },
    ],
    [15, 'assumes', 'arn:aws:iam::*:role/runner', role, { actions: ['sts:AssumeRole'] }],
    [18, 'has-policy', role, 'aws-policy:AdministratorAccess', { admin: true }],
    [18, 'can-access', 'aws-policy:AdministratorAccess', '*', { actions: ['*'], admin: true, managed: true }],
  ]);
});

test('cloudformation: malformed templates give nothing, without throwing', async () => {
  for (const [path, text] of [
    ['t.yaml', 'AWSTemplateFormatVersion: x\nResources:\n  A: [AWS::IAM::Role\n'],
    ['t.json', '{"AWSTemplateFormatVersion": "x", "Resources": {"A": {"Type": "AWS::IAM::Role",'],
    ['t.yaml', 'AWSTemplateFormatVersion: x\nResources: AWS::IAM::Role\n'],
    ['t.yaml', 'AWSTemplateFormatVersion: x\nResources:\n  A:\n    Type: AWS::IAM::Role\n    Properties: 7\n'],
  ]) {
    assert.deepEqual(await cloudformationExtractor.extract(path!, text!), []);
  }
});
