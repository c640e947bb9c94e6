// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings hold GitHub expressions and shell variables, not template placeholders
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRandom, expandExample } from '../secrets/examples.js';
import { assertAgreement, fixtureSamples, variants } from './fast-path-agreement.js';
import { githubActionsAnalyzer, githubActionsExactAnalyzer } from './github-actions.js';
import { analyzePosture } from './index.js';

const sha = () => expandExample('@@x:40@@', createRandom(7));
const run = (path: string, text: string) => analyzePosture(path, text, { analyzers: [githubActionsAnalyzer] });
const ids = async (path: string, text: string) => (await run(path, text)).findings.map((f) => `${f.ruleId}@${f.line}`).sort();

describe('github-actions analyzer', () => {
  test('reads workflows and action metadata only', () => {
    assert.ok(githubActionsAnalyzer.accepts('.github/workflows/ci.yml', ''));
    assert.ok(githubActionsAnalyzer.accepts('sub/repo/.github/workflows/release.yaml', ''));
    assert.ok(githubActionsAnalyzer.accepts('.github/actions/setup/action.yml', ''));
    assert.ok(!githubActionsAnalyzer.accepts('.github/workflows/scripts/helper.sh', ''));
    assert.ok(!githubActionsAnalyzer.accepts('.github/dependabot.yml', ''));
    assert.ok(!githubActionsAnalyzer.accepts('deploy/ci.yml', ''));
  });

  test('places a script injection on the line inside the run block', async () => {
    const text = [
      'on: issues',
      'permissions: {}',
      'jobs:',
      '  t:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - run: |',
      '          echo start',
      '          echo "${{ github.event.issue.body }}"',
    ].join('\n');
    assert.deepEqual(await ids('.github/workflows/t.yml', text), ['posture.github-actions.script-injection@9']);
  });

  test('understands `on` under a YAML 1.1 directive, where it is the boolean true', async () => {
    const text = `%YAML 1.1\n---\non: pull_request\npermissions: {}\njobs:\n  gpu:\n    runs-on: [self-hosted, gpu]\n    steps:\n      - run: make\n`;
    assert.deepEqual(await ids('.github/workflows/gpu.yml', text), ['posture.github-actions.self-hosted-runner-fork-trigger@7']);
  });

  test('follows anchors and merge keys', async () => {
    const text = [
      'on: push',
      'permissions: { contents: read }',
      'x-aws: &aws',
      '  AWS_ACCESS_KEY_ID: ${{ secrets.AWS_ACCESS_KEY_ID }}',
      'jobs:',
      '  a:',
      '    runs-on: ubuntu-latest',
      '    env:',
      '      <<: *aws',
      '      REGION: eu-west-1',
      '    steps:',
      '      - run: aws s3 ls',
    ].join('\n');
    assert.deepEqual(await ids('.github/workflows/a.yml', text), ['posture.github-actions.static-cloud-credentials@4']);
  });

  test('a same-repository guard keeps forks off self-hosted runners and out of privileged checkouts', async () => {
    const text = [
      'on: [pull_request, pull_request_target]',
      'permissions: { contents: read }',
      'jobs:',
      '  a:',
      '    if: github.event.pull_request.head.repo.full_name == github.repository',
      '    runs-on: self-hosted',
      '    steps:',
      `      - uses: actions/checkout@${sha()}`,
      '        with:',
      '          ref: ${{ github.event.pull_request.head.sha }}',
      '      - run: make test',
      '        env:',
      '          TOKEN: ${{ secrets.TOKEN }}',
    ].join('\n');
    assert.deepEqual(await ids('.github/workflows/a.yml', text), []);
  });

  test('grades pinning by owner and reports each reference once', async () => {
    const text = [
      'on: push',
      'permissions: {}',
      'jobs:',
      '  a:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - uses: actions/checkout@v4',
      '      - uses: some-org/tool@main',
      '      - uses: some-org/tool@main',
      `      - uses: some-org/other@${sha()}`,
      '      - uses: ./local',
    ].join('\n');
    const { findings } = await run('.github/workflows/a.yml', text);
    assert.deepEqual(
      findings.map((f) => [f.ruleId, f.severity, f.line]),
      [
        ['posture.github-actions.unpinned-first-party-action', 'low', 7],
        ['posture.github-actions.unpinned-action', 'medium', 8],
      ],
    );
  });

  test('a write token without secrets is still a privileged checkout', async () => {
    const text = [
      'on: pull_request_target',
      'permissions: { contents: write }',
      'jobs:',
      '  a:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      `      - uses: actions/checkout@${sha()}`,
      '        with: { ref: "refs/pull/${{ github.event.number }}/merge" }',
      '      - run: npm test',
    ].join('\n');
    assert.deepEqual(await ids('.github/workflows/a.yml', text), ['posture.github-actions.untrusted-checkout-with-secrets@7']);
  });

  test('ignores workflow files that are empty or not workflows, and reports broken YAML as malformed', async () => {
    assert.deepEqual(await run('.github/workflows/empty.yml', ''), { findings: [], malformed: [] });
    assert.deepEqual((await run('.github/workflows/x.yml', 'name: only a name\n')).findings, []);
    assert.equal((await run('.github/workflows/x.yml', '- a\n- b\n')).malformed.length, 1);
    assert.equal((await run('.github/workflows/x.yml', 'jobs: {a: [\n')).malformed.length, 1);
  });

  test('the fast pass agrees with the full parse on every fixture and its variants', async () => {
    const samples = fixtureSamples('github-actions').flatMap(variants);
    const withFindings = await assertAgreement(githubActionsAnalyzer, githubActionsExactAnalyzer, samples);
    assert.ok(
      samples.length > 500 && withFindings > 150 && withFindings < samples.length - 150,
      `${withFindings}/${samples.length}`,
    );
  });

  test('the fast pass agrees on YAML where js-yaml and yaml could part ways', async () => {
    const clean = (jobs: string, head = 'on: push\npermissions: { contents: read }\n') =>
      `${head}jobs:\n${jobs || '  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n'}`;
    const texts = [
      clean(''),
      // Merge keys and aliases, which both trees follow.
      clean('', 'on: push\nx-perm: &p { contents: read }\npermissions:\n  <<: *p\n'),
      clean('  a: &job\n    runs-on: ubuntu-latest\n    steps: [{ run: make }]\n  b: *job\n'),
      clean('', 'on: push\nx: &w write-all\npermissions: *w\n'),
      // Keys that are not plain strings: quoted, numeric, null, complex, aliased.
      clean('  1:\n    runs-on: ubuntu-latest\n    steps: [{ run: make }]\n', '"on": push\n"permissions": {}\n'),
      clean('', 'on: push\n? [permissions]\n: {}\n'),
      clean('', 'on: push\nx: &k permissions\n*k : {}\n'),
      clean('', 'on: push\n~: x\npermissions: {}\n'),
      // `on` and booleans under YAML 1.1, tags, duplicates, several documents.
      clean('', '%YAML 1.1\n---\non: pull_request\npermissions: {}\n'),
      clean('', 'on: !!str push\npermissions: !!map {}\n'),
      clean('', 'on: push\npermissions: {}\npermissions: write-all\n'),
      `${clean('')}---\n${clean('')}`,
      'on: push\n',
      '',
      '# just a comment\n',
    ];
    await assertAgreement(
      githubActionsAnalyzer,
      githubActionsExactAnalyzer,
      texts.flatMap((text) => variants({ path: '.github/workflows/ci.yml', text })),
    );
  });
});
