import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InventoryRelation } from '../../model/inventory.js';
import { iamJsonExtractor } from './iam-json.js';

const rows = (rs: InventoryRelation[]) => rs.map((r) => [r.line, r.kind, r.src.id, r.dst.id, r.props ?? {}]);

test('iam-json: a policy file is a policy node; resource policies grant their principals', async () => {
  const text = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["logs:GetLogEvents", "logs:FilterLogEvents"],
      "Resource": [
        "arn:aws:logs:*:*:log-group:app",
        "arn:aws:logs:*:*:log-group:app:*"
      ]
    },
    {
      "Effect": "Allow",
      "Principal": { "AWS": ["arn:aws:iam::111122223333:role/auditor", "222233334444"] },
      "Action": "s3:GetObject",
      "Resource": "arn:aws:s3:::audit/*"
    },
    { "Effect": "Deny", "Action": "*", "Resource": "*" },
    { "Effect": "Allow", "NotAction": "iam:*", "Resource": "*", "Condition": { "Bool": { "aws:MultiFactorAuthPresent": "true" } } },
    { "Effect": "Allow", "Action": "*:*", "Resource": "*" }
  ]
}
`;
  const p = 'aws-policy:read-logs';
  assert.deepEqual(rows(await iamJsonExtractor.extract('iam/read-logs.json', text)), [
    [
      8,
      'can-access',
      p,
      'arn:aws:logs:*:*:log-group:app',
      { actions: ['logs:GetLogEvents', 'logs:FilterLogEvents'], admin: false },
    ],
    [
      9,
      'can-access',
      p,
      'arn:aws:logs:*:*:log-group:app:*',
      { actions: ['logs:GetLogEvents', 'logs:FilterLogEvents'], admin: false },
    ],
    [
      16,
      'can-access',
      'arn:aws:iam::111122223333:role/auditor',
      'arn:aws:s3:::audit/*',
      { actions: ['s3:GetObject'], admin: false },
    ],
    [16, 'can-access', 'arn:aws:iam::222233334444:root', 'arn:aws:s3:::audit/*', { actions: ['s3:GetObject'], admin: false }],
    [19, 'can-access', p, '*', { actions: [], admin: false, notActions: ['iam:*'], conditional: true }],
    [20, 'can-access', p, '*', { actions: ['*:*'], admin: true }],
  ]);
});

test('iam-json: trust policies and malformed files give nothing, without throwing', async () => {
  const trust = '{"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}';
  for (const text of [
    trust,
    '{"Statement": [',
    '{"Statement": 7}',
    '[]',
    '{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": {"x": 1}}]}',
  ]) {
    assert.deepEqual(await iamJsonExtractor.extract('iam/trust.json', text), []);
  }
});
