// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings hold GitHub expressions and shell variables, not template placeholders
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRandom, expandExample } from '../secrets/examples.js';
import { dockerfileAnalyzer } from './dockerfile.js';
import { analyzePosture } from './index.js';

const run = (path: string, text: string) => analyzePosture(path, text, { analyzers: [dockerfileAnalyzer] });
const found = async (text: string) => (await run('Dockerfile', text)).findings.map((f) => `${f.ruleId}@${f.line}`);

describe('dockerfile analyzer', () => {
  test('reads Dockerfiles and Containerfiles by name', () => {
    for (const p of [
      'Dockerfile',
      'app/dockerfile',
      'Dockerfile.prod',
      'api.Dockerfile',
      'Containerfile',
      'x/Containerfile.dev',
    ]) {
      assert.ok(dockerfileAnalyzer.accepts(p, ''), p);
    }
    for (const p of ['Dockerfile.md', '.dockerignore', 'Dockerfile.dockerignore', 'docs/dockerfile-guide.txt', 'Makefile']) {
      assert.ok(!dockerfileAnalyzer.accepts(p, ''), p);
    }
  });

  test('redacts the value and reports the line inside a continued ENV', async () => {
    const secret = expandExample('@@Aa0:32@@', createRandom(5));
    const text = `FROM alpine\nENV A=1 \\\n    # a comment inside the continuation\n    API_KEY="${secret}"\n`;
    const { findings } = await run('Dockerfile', text);
    assert.deepEqual(
      findings.map((f) => [f.ruleId, f.line]),
      [['posture.dockerfile.secret-in-env-arg', 4]],
    );
    assert.ok(!findings[0]!.preview.includes(secret.slice(6)), findings[0]!.preview);
  });

  test('honours the escape directive', async () => {
    const text =
      '# escape=`\nFROM mcr.microsoft.com/windows/servercore\nARG GH_TOKEN\nRUN git config --global `\n    url."https://${GH_TOKEN}@github.com/".insteadOf https://github.com/\n';
    assert.deepEqual(await found(text), ['posture.dockerfile.build-secret-baked@4']);
  });

  test('a secret-mounted variable and a token used without persisting it are fine', async () => {
    const text = [
      'FROM node:20',
      'ARG NPM_TOKEN',
      'RUN --mount=type=secret,id=npm,env=NODE_AUTH_TOKEN echo "//r/:_authToken=${NODE_AUTH_TOKEN}" > .npmrc && npm ci && rm .npmrc',
      'RUN curl -fsS -H "Authorization: Bearer $NPM_TOKEN" https://example.com/pkg.tgz -o /tmp/pkg.tgz',
      'RUN make 2>&1 > /dev/null',
      'ENV APP_VERSION=$VERSION',
    ].join('\n');
    assert.deepEqual(await found(text), []);
  });

  test('flags copies into credential locations, not public key material', async () => {
    assert.deepEqual(await found('FROM a\nCOPY npmrc /root/.npmrc\n'), ['posture.dockerfile.credential-file-copied@2']);
    assert.deepEqual(await found('FROM a\nCOPY ssh/ /root/.ssh/\n'), ['posture.dockerfile.credential-file-copied@2']);
    assert.deepEqual(await found('FROM a\nCOPY known_hosts /root/.ssh/known_hosts\nCOPY deploy.pub /root/.ssh/\n'), []);
    assert.deepEqual(await found('FROM a\nCOPY ca.pem chain.pem /etc/ssl/certs/\nCOPY server.crt /etc/nginx/\n'), []);
  });
});
