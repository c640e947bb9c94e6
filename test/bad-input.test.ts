import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseConfig } from '../src/model/config.js';
import { runScan } from '../src/scan/index.js';
import { CONFIG_QUEUE } from '../src/scan/pipeline.js';
import { scanOneItem } from '../src/scan/scan-item.js';
import { createSecretScanner } from '../src/scan/secrets/engine.js';
import { createRandom } from '../src/scan/secrets/examples.js';
import { loadSecretRules } from '../src/scan/secrets/load-rules.js';
import { fakeSecrets, tempDir } from './helpers.js';

const scanner = createSecretScanner({ rules: loadSecretRules() });
const token = fakeSecrets(5).githubPat;
const found = (text: string | Buffer) =>
  scanner
    .scanBuffer(Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1'), 'f')
    .findings.some((f) => f.ruleId === 'secret.github.classic-pat');

describe('hostile and malformed input', () => {
  test('a minified file with a multi-megabyte line and keywords everywhere', () => {
    const r = createRandom(9);
    const parts: string[] = [];
    for (let i = 0; i < 40_000; i++) {
      parts.push(`var key${i}="${Math.floor(r() * 1e12).toString(36)}",token=a.secret||b.password;`);
    }
    parts.splice(20_000, 0, `var gh="${token}";`);
    const line = parts.join('');
    assert.ok(line.length > 2_000_000);
    assert.ok(found(line));
  });

  // Inputs shaped to make a careless pattern backtrack: long runs of a rule's own character class
  // after its keyword with no terminator. Windows bound what any pattern sees and patterns have no
  // nested quantifiers, so each returns; the token after the bait must still be found.
  const baits: Array<[string, string]> = [
    ['unterminated quote after password', `password = "${'a1!'.repeat(200_000)}`],
    ['private key header with no end', `-----BEGIN RSA PRIVATE KEY-----\n${'QUJD'.repeat(300_000)}`],
    ['credentials URL with endless user info', `postgres://${'a:'.repeat(200_000)}`],
    ['repeated token prefixes', 'ghp_'.repeat(250_000)],
    ['JWT-like dots', `eyJ${'a.'.repeat(300_000)}`],
    ['base64 wall after a keyword', `secret: ${'A'.repeat(1_000_000)}`],
    ['many keywords', 'key token secret password api_key '.repeat(50_000)],
  ];
  for (const [name, bait] of baits) {
    test(`backtracking bait: ${name}`, () => {
      assert.ok(found(`${bait}\nx = "${token}"\n`), 'the secret after the bait is still found');
    });
  }

  test('a NUL ratio marks a file binary, one NUL does not hide the secrets after it; a vanished file is unreadable', async () => {
    const nul = await scanOneItem(scanner, { path: 'n', data: Buffer.from(`a\0b ${token}\n${'text line\n'.repeat(20)}`) }, 1e6);
    assert.equal(nul.skip, undefined);
    assert.ok(nul.findings.some((f) => f.ruleId === 'secret.github.classic-pat'));
    const r = createRandom(4);
    const noise = Buffer.from(Array.from({ length: 4000 }, () => Math.floor(r() * 256)));
    const bin = await scanOneItem(scanner, { path: 'b', data: Buffer.concat([noise, Buffer.from(token)]) }, 1e6);
    assert.equal(bin.skip?.reason, 'binary');
    const utf16 = await scanOneItem(scanner, { path: 'u', data: Buffer.from(`hello ${token}`, 'utf16le') }, 1e6);
    assert.equal(utf16.skip?.reason, 'binary');
    const gone = await scanOneItem(scanner, { path: 'g', absPath: '/nonexistent/warden/file' }, 1e6);
    assert.equal(gone.skip?.reason, 'unreadable');
    assert.equal(gone.skip?.detail, 'ENOENT');
  });
});

describe('worker pool', () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);

  test('gives the same findings on one thread and on a pool, in the same order', async () => {
    for (let i = 0; i < 300; i++) {
      mkdirSync(join(dir, `d${i % 7}`), { recursive: true });
      const body = i % 10 === 0 ? `const t = "${fakeSecrets(100 + i).githubPat}";\n` : `const n${i} = ${i}; // token key\n`;
      writeFileSync(join(dir, `d${i % 7}`, `f${i}.js`), body.repeat(1 + (i % 5)));
    }
    const config = parseConfig({});
    const one = await runScan({ root: dir, mode: 'tree', config, threads: 1 });
    const pool = await runScan({ root: dir, mode: 'tree', config, threads: 2, eagerWorkers: true });
    assert.equal(one.summary.files, 300);
    assert.equal(pool.summary.threads, 2);
    // Every tenth file holds one token (its body is not repeated, since i % 5 === 0 there).
    assert.equal(one.findings.filter((f) => f.ruleId === 'secret.github.classic-pat').length, 30);
    assert.deepEqual(pool.findings, one.findings);
    // By default workers take batches only once started; whoever scans what, the report is the same.
    const gated = await runScan({ root: dir, mode: 'tree', config, threads: 2 });
    assert.deepEqual(gated.findings, one.findings);
    assert.equal(gated.summary.files, 300);
  });

  test('more configuration files than the calling thread keeps: workers take a share, the report is the same', async () => {
    const root = join(dir, 'manifests');
    const n = CONFIG_QUEUE + 300;
    for (let i = 0; i < n; i++) {
      mkdirSync(join(root, `ns${i % 9}`), { recursive: true });
      // Every 50th grants everything (a finding), every 70th is broken YAML (malformed), the rest are quiet.
      const rules = i % 50 === 0 ? '["*"]' : '["get"]';
      const broken = i % 70 === 0 ? 'STRAY LINE WITHOUT A KEY\n' : '';
      writeFileSync(
        join(root, `ns${i % 9}`, `role-${i}.yaml`),
        `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r${i}\n${broken}rules:\n  - apiGroups: [""]\n    resources: ${rules}\n    verbs: ${rules}\n`,
      );
    }
    const config = parseConfig({});
    const one = await runScan({ root, mode: 'tree', config, threads: 1 });
    const pool = await runScan({ root, mode: 'tree', config, threads: 2, eagerWorkers: true });
    assert.equal(one.summary.files, n);
    assert.equal(pool.summary.files, n);
    const wildcard = one.findings.filter((f) => f.kind === 'posture').length;
    assert.ok(wildcard >= Math.floor(n / 50) - Math.floor(n / 350) - 1, `${wildcard} posture findings`);
    assert.deepEqual(pool.findings, one.findings);
    const malformed = (r: typeof one) => r.summary.skippedFiles.filter((s) => s.reason === 'malformed');
    assert.equal(malformed(one).length, Math.ceil(n / 70));
    assert.deepEqual(malformed(pool), malformed(one));
  });
});
