import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRandom, expandExample } from '../secrets/examples.js';
import { assertAgreement, fixtureSamples, variants } from './fast-path-agreement.js';
import { gitlabCiAnalyzer, gitlabCiExactAnalyzer } from './gitlab-ci.js';
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

  test('the fast pass agrees with the full parse on every fixture and its variants', async () => {
    const samples = fixtureSamples('gitlab-ci').flatMap(variants);
    const withFindings = await assertAgreement(gitlabCiAnalyzer, gitlabCiExactAnalyzer, samples);
    assert.ok(
      samples.length > 100 && withFindings > 40 && withFindings < samples.length - 40,
      `${withFindings}/${samples.length}`,
    );
  });

  test('the fast pass agrees on YAML where js-yaml and yaml could part ways', async () => {
    const key = expandExample('@@b64:40@@', createRandom(5));
    const texts = [
      'build:\n  script: [make]\n',
      // `!reference` scripts stay unresolved in both passes; anchors and merge keys are followed.
      '.setup:\n  script: [echo $API_TOKEN]\nbuild:\n  script:\n    - !reference [.setup, script]\n    - make\n',
      `.vars: &v\n  AWS_SECRET_ACCESS_KEY: "${key}"\nbuild:\n  variables: { <<: *v }\n  script: [make]\n`,
      '.s: &s [echo $DB_PASSWORD]\nbuild:\n  script: [*s, make]\n',
      '.s: &s echo $DB_PASSWORD\nbuild:\n  script: [*s]\n',
      // Non-string scalars in scripts and variables, YAML 1.1 booleans, other tags, several documents.
      'variables:\n  CI_DEBUG_TRACE: TRUE\nbuild:\n  script: [1, true, ~]\n',
      '%YAML 1.1\n---\nvariables:\n  CI_DEBUG_TRACE: yes\nbuild:\n  script: [make]\n',
      'build:\n  script: !!seq [echo $PASSWORD]\n',
      'build:\n  script: !custom [echo $PASSWORD]\n',
      'spec:\n  inputs: { stage: { default: test } }\n---\nbuild:\n  script: [make]\n',
      '---\n- a\n---\nbuild:\n  script: [printenv]\n',
      'build:\n  script: [make]\nbuild:\n  script: [printenv]\n',
      '',
    ];
    await assertAgreement(
      gitlabCiAnalyzer,
      gitlabCiExactAnalyzer,
      texts.flatMap((text) => variants({ path: '.gitlab-ci.yml', text })),
    );
  });
});
