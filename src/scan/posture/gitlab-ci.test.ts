import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRandom, expandExample } from '../secrets/examples.js';
import { gitlabCiAnalyzer } from './gitlab-ci.js';
import { analyzePosture } from './index.js';

const run = (path: string, text: string) => analyzePosture(path, text, { analyzers: [gitlabCiAnalyzer] });

describe('gitlab-ci analyzer', () => {
  test('reads pipeline files and included templates', () => {
    for (const p of ['.gitlab-ci.yml', 'ci/deploy.gitlab-ci.yml', '.gitlab/ci/build.yml', 'sub/.gitlab-ci.yaml']) {
      assert.ok(gitlabCiAnalyzer.accepts(p, ''), p);
    }
    for (const p of ['gitlab-ci.md', '.github/workflows/ci.yml', 'ci.yml']) assert.ok(!gitlabCiAnalyzer.accepts(p, ''), p);
  });

  test('redacts a literal key and names the variable, following merge keys', async () => {
    const secret = expandExample('@@b64:40@@', createRandom(3));
    const text = `.aws: &aws\n  AWS_SECRET_ACCESS_KEY: "${secret}"\ndeploy:\n  variables:\n    <<: *aws\n  script: [aws s3 ls]\n`;
    const { findings } = await run('.gitlab-ci.yml', text);
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.ruleId, 'posture.gitlab-ci.static-cloud-credentials');
    assert.equal(findings[0]!.line, 2);
    assert.ok(!findings[0]!.preview.includes(secret.slice(8)), findings[0]!.preview);
  });

  test('documentation keys and variable references are not literal credentials', async () => {
    const text = [
      'variables:',
      // AWS's documentation key, split so the repository holds no key-shaped literal.
      `  AWS_ACCESS_KEY_ID: ${['AKIA', 'IOSFODNN7EXAMPLE'].join('')}`,
      '  AWS_SECRET_ACCESS_KEY: $PROD_SECRET',
      'job:',
      '  script: [make]',
    ].join('\n');
    assert.deepEqual((await run('.gitlab-ci.yml', text)).findings, []);
  });

  test('analyzes every document of a CI/CD component (spec, then jobs)', async () => {
    const text = 'spec:\n  inputs:\n    stage: {}\n---\nbuild:\n  script:\n    - printenv\n';
    const { findings, malformed } = await run('templates/build.gitlab-ci.yml', text);
    assert.deepEqual(malformed, []);
    assert.deepEqual(
      findings.map((f) => [f.ruleId, f.line]),
      [['posture.gitlab-ci.secret-in-log', 7]],
    );
  });

  test('a piped or redirected secret is not printed', async () => {
    const text = [
      'job:',
      '  script:',
      '    - echo "$CI_REGISTRY_PASSWORD" | docker login -u "$CI_REGISTRY_USER" --password-stdin',
      '    - echo "$SSH_PRIVATE_KEY" > ~/.ssh/id_ed25519',
      '    - echo "token file at $TOKEN_FILE"',
    ].join('\n');
    assert.deepEqual((await run('.gitlab-ci.yml', text)).findings, []);
  });
});
