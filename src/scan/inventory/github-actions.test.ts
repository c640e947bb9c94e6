import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InventoryRelation } from '../../model/inventory.js';
import { githubActionsExtractor } from './github-actions.js';

const rows = (rs: InventoryRelation[]) => rs.map((r) => [r.line, r.kind, r.src.id, r.dst.id, r.props ?? {}]);

const WORKFLOW = `name: deploy
on: push
permissions:
  contents: read
  id-token: write
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: arn:aws:iam::111122223333:role/deploy
          aws-region: eu-west-1
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: \${{ secrets.ROLE }}
  lint:
    runs-on: ubuntu-latest
    permissions: write-all
    steps:
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: linter
      - run: echo hi
`;

test('github-actions: roles assumed by configure-aws-credentials and the token each job runs with', async () => {
  const wf = 'github-workflow:.github/workflows/deploy.yml';
  assert.deepEqual(rows(await githubActionsExtractor.extract('.github/workflows/deploy.yml', WORKFLOW)), [
    [
      3,
      'runs-as',
      wf,
      'github-actions:repo:.',
      { job: 'deploy', permissions: { contents: 'read', 'id-token': 'write' }, broad: false, oidc: true },
    ],
    [13, 'runs-as', wf, 'arn:aws:iam::111122223333:role/deploy', { job: 'deploy', via: 'aws-actions/configure-aws-credentials' }],
    [20, 'runs-as', wf, 'github-actions:repo:.', { job: 'lint', permissions: 'write-all', broad: true, oidc: true }],
    [24, 'runs-as', wf, 'arn:aws:iam::*:role/linter', { job: 'lint', via: 'aws-actions/configure-aws-credentials' }],
  ]);
});

test('github-actions: no permissions anywhere is the broad repository default', async () => {
  const text = 'on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps: [{ run: make }]\n';
  assert.deepEqual(rows(await githubActionsExtractor.extract('.github/workflows/ci.yml', text)), [
    [
      3,
      'runs-as',
      'github-workflow:.github/workflows/ci.yml',
      'github-actions:repo:.',
      { job: 'build', permissions: 'default', broad: true, oidc: true },
    ],
  ]);
});

test('github-actions: only workflow files; malformed ones give nothing, without throwing', async () => {
  assert.equal(githubActionsExtractor.accepts('.github/workflows/a.yml', ''), true);
  assert.equal(githubActionsExtractor.accepts('action.yml', ''), false);
  for (const text of ['jobs: [unclosed', 'jobs: 7', '- a\n- b\n', '', 'jobs:\n  a: 1\n  b: [1, 2]\n']) {
    assert.deepEqual(await githubActionsExtractor.extract('.github/workflows/x.yml', text), []);
  }
});
