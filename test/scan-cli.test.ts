import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { packageRoot } from '../src/model/package-root.js';
import { cli, fakeSecrets, tempDir } from './helpers.js';

const s = fakeSecrets();
const { dir, cleanup } = tempDir();

function write(rel: string, content: string | Buffer): void {
  mkdirSync(join(dir, rel, '..'), { recursive: true });
  writeFileSync(join(dir, rel), content);
}

/** Every raw secret planted in this test's tree: none may ever appear in any output. */
const planted = [s.githubPat, s.awsSecret, s.stripeLive, s.password, s.privateKey.split('\n')[3]!];
function assertNoLeak(text: string): void {
  for (const secret of planted) assert.ok(!text.includes(secret), 'output contains a raw secret');
}

before(() => {
  write('app/config.py', `# settings\nGITHUB_TOKEN = "${s.githubPat}"\nDEBUG = True\n`);
  write('.env', `AWS_ACCESS_KEY_ID=${s.awsKeyId}\nAWS_SECRET_ACCESS_KEY=${s.awsSecret}\n`);
  write('deploy/key.pem', `${s.privateKey}\n`);
  write('src/pay.js', `const stripe = require('stripe')('${s.stripeLive}');\n`);
  write('src/db.ts', `export const db_password = "${s.password}";\n`);
  // Noise the scanner must not report.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} placeholder is the point.
  write('docs/example.md', 'Use `aws_access_key_id = AKIAIOSFODNN7EXAMPLE` and `token: ${GITHUB_TOKEN}`.\n');
  write('src/ignored.js', `const t = "${fakeSecrets(99).githubPat}"; // warden:ignore\n`);
  // Passed over by default, each for its own reason.
  write('node_modules/pkg/index.js', `const t = "${fakeSecrets(11).githubPat}";\n`);
  write('package-lock.json', `{"integrity": "sha512-${'a'.repeat(40)}", "t": "${fakeSecrets(12).githubPat}"}\n`);
  write('build/out.txt', `token ${fakeSecrets(13).githubPat}\n`);
  write('.gitignore', 'build/\n');
  write('secret-notes/todo.txt', `${fakeSecrets(14).githubPat}\n`);
  write('.wardenignore', 'secret-notes/\n');
  write('img/logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]));
  write('data/blob.dat2', Buffer.concat([Buffer.from(`x ${fakeSecrets(15).githubPat}`), Buffer.alloc(16)]));
  // A sparse multi-GB file: skipped by size without being read.
  write('big/huge.log', '');
  truncateSync(join(dir, 'big/huge.log'), 3 * 1024 ** 3);
  // Links never followed: a loop, and a link to a file with a secret.
  mkdirSync(join(dir, 'loop'));
  symlinkSync('..', join(dir, 'loop/up'));
  symlinkSync(join(dir, 'app/config.py'), join(dir, 'link-to-config.py'));
});
after(cleanup);

describe('warden scan on a directory', () => {
  test('finds each planted secret once, with rule, line and credential key; exits 1', async () => {
    const r = await cli(['scan', dir, '--format', 'json']);
    assert.equal(r.code, 1, r.stderr);
    assertNoLeak(r.stdout + r.stderr);
    const report = JSON.parse(r.stdout);
    const byPath = new Map<string, string[]>();
    for (const f of report.findings) byPath.set(f.path, [...(byPath.get(f.path) ?? []), f.ruleId]);
    assert.deepEqual([...byPath.keys()].sort(), ['.env', 'app/config.py', 'deploy/key.pem', 'src/db.ts', 'src/pay.js']);
    const gh = report.findings.find((f: { path: string }) => f.path === 'app/config.py');
    assert.equal(gh.ruleId, 'secret.github.classic-pat');
    assert.equal(gh.line, 2);
    assert.equal(gh.column, 17);
    assert.match(gh.fingerprint, /^[0-9a-f]{64}$/);
    assert.equal(gh.credentialKey.type, 'github-hashed-token');
    // GitHub's audit log hashed_token: base64 SHA-256 of the token.
    const { createHash } = await import('node:crypto');
    assert.equal(gh.credentialKey.value, createHash('sha256').update(s.githubPat).digest('base64'));
    const aws = report.findings.find((f: { path: string }) => f.path === '.env');
    assert.equal(byPath.get('.env')!.length, 1, 'key id and secret are one finding');
    assert.equal(aws.severity, 'critical');
    assert.deepEqual(aws.credentialKey, { type: 'aws-access-key-id', value: s.awsKeyId });
    assert.equal(aws.fingerprint, createHash('sha256').update(s.awsSecret).digest('hex'));
  });

  test('counts what it skipped, and why', async () => {
    const r = await cli(['scan', dir, '--format', 'json']);
    const { summary } = JSON.parse(r.stdout);
    const reasonOf = (p: string) => summary.skippedFiles.find((f: { path: string }) => f.path === p)?.reason;
    assert.equal(reasonOf('node_modules/'), 'excluded');
    assert.equal(reasonOf('package-lock.json'), 'excluded');
    assert.equal(reasonOf('build/'), 'ignored');
    assert.equal(reasonOf('secret-notes/'), 'ignored');
    assert.equal(reasonOf('img/logo.png'), 'excluded');
    assert.equal(reasonOf('data/blob.dat2'), 'binary');
    assert.equal(reasonOf('big/huge.log'), 'too-large');
    assert.equal(reasonOf('loop/up'), 'symlink');
    assert.equal(reasonOf('link-to-config.py'), 'symlink');
    assert.equal(summary.suppressedInline, 1);
  });

  test('--no-default-excludes scans vendored and lock files too', async () => {
    const r = await cli(['scan', dir, '--format', 'json', '--no-default-excludes']);
    const paths = new Set(JSON.parse(r.stdout).findings.map((f: { path: string }) => f.path));
    assert.ok(paths.has('node_modules/pkg/index.js'));
    assert.ok(paths.has('package-lock.json'));
  });

  test('--fail-on gates the exit code; --rule and --skip-rule filter', async () => {
    assert.equal((await cli(['scan', join(dir, 'src/db.ts'), '--fail-on', 'critical'])).code, 0);
    assert.equal((await cli(['scan', join(dir, 'src/db.ts'), '--fail-on', 'medium'])).code, 1);
    const only = await cli(['scan', dir, '-f', 'json', '--rule', 'secret.github.*']);
    assert.deepEqual(
      [...new Set(JSON.parse(only.stdout).findings.map((f: { ruleId: string }) => f.ruleId))],
      ['secret.github.classic-pat'],
    );
    const skip = await cli(['scan', dir, '-f', 'json', '--skip-rule', 'secret.github.*']);
    assert.ok(!JSON.parse(skip.stdout).findings.some((f: { ruleId: string }) => f.ruleId.startsWith('secret.github.')));
  });

  test('table output groups by file and never shows a secret', async () => {
    const r = await cli(['scan', dir]);
    assert.equal(r.code, 1);
    assertNoLeak(r.stdout + r.stderr);
    assert.match(r.stdout, /^app\/config\.py$/m);
    assert.match(r.stdout, /CRITICAL/);
    assert.match(r.stdout, /5 findings/);
    assert.match(r.stdout, /Skipped: .*too-large/);
  });

  test('jsonl streams one finding per line', async () => {
    const r = await cli(['scan', dir, '--format', 'jsonl']);
    assertNoLeak(r.stdout + r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 5);
    for (const l of lines) assert.ok(JSON.parse(l).ruleId.startsWith('secret.'));
  });

  test('SARIF output is valid SARIF 2.1.0 with relative paths and fingerprints', async () => {
    const out = join(dir, '..', `${dir.split('/').pop()}.sarif`);
    const r = await cli(['scan', dir, '--format', 'sarif', '-o', out]);
    assert.equal(r.code, 1);
    const text = readFileSync(out, 'utf8');
    assertNoLeak(text);
    const log = JSON.parse(text);
    assert.equal(log.version, '2.1.0');
    const results = log.runs[0].results;
    assert.equal(results.length, 5);
    for (const res of results) {
      const uri = res.locations[0].physicalLocation.artifactLocation.uri;
      assert.ok(!uri.startsWith('/') && !uri.includes(dir), `relative uri: ${uri}`);
      assert.match(res.partialFingerprints['wardenFingerprint/v1'], /^[0-9a-f]{64}$/);
      assert.equal(log.runs[0].tool.driver.rules[res.ruleIndex].id, res.ruleId);
    }
    // The official validator: one ": error " line per schema or rule violation.
    const tool = join(packageRoot(), 'node_modules/.bin/sarif-multitool');
    const validation = execFileSync(tool, ['validate', out, '-o', `${out}.validation.sarif`], { encoding: 'utf8' });
    assert.equal(validation.split('\n').filter((l) => l.includes(': error ')).length, 0, validation);
  });

  test('a baseline silences known findings and lets new ones through', async () => {
    const baseline = join(dir, '..', `${dir.split('/').pop()}-baseline.json`);
    const w = await cli(['baseline', dir, '-o', baseline]);
    assert.equal(w.code, 0, w.stderr);
    const text = readFileSync(baseline, 'utf8');
    assertNoLeak(text);
    assert.equal(JSON.parse(text).findings.length, 5);
    // The baseline command takes the same source flags as scan.
    const narrowed = join(dir, '..', `${dir.split('/').pop()}-baseline-narrow.json`);
    assert.equal((await cli(['baseline', dir, '-o', narrowed, '--exclude', 'src/'])).code, 0);
    assert.equal(JSON.parse(readFileSync(narrowed, 'utf8')).findings.length, 3);
    assert.equal((await cli(['scan', dir, '--baseline', baseline])).code, 0);
    write('src/new.js', `const k = "${fakeSecrets(21).githubPat}";\n`);
    try {
      const r = await cli(['scan', dir, '--baseline', baseline, '-f', 'json']);
      assert.equal(r.code, 1);
      const report = JSON.parse(r.stdout);
      assert.deepEqual(
        report.findings.map((f: { path: string }) => f.path),
        ['src/new.js'],
      );
      assert.equal(report.summary.suppressedBaseline, 5);
    } finally {
      writeFileSync(join(dir, 'src/new.js'), '');
    }
  });

  test('standard input is scanned with "-"', async () => {
    const r = await cli(['scan', '-', '-f', 'json', '--stdin-name', 'pasted.env'], {
      stdin: Readable.from([Buffer.from(`TOKEN=${s.githubPat}\n`)]),
    });
    assert.equal(r.code, 1);
    const f = JSON.parse(r.stdout).findings;
    assert.equal(f.length, 1);
    assert.equal(f[0].path, 'pasted.env');
  });

  test('errors exit 2 with a message that says what to do', async () => {
    const missing = await cli(['scan', join(dir, 'no-such-dir')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read/);
    const badFlag = await cli(['scan', dir, '--format', 'xml']);
    assert.equal(badFlag.code, 2);
    const badSize = await cli(['scan', dir, '--max-file-size', 'lots']);
    assert.equal(badSize.code, 2);
    assert.match(badSize.stderr, /10MB/);
    const cfg = join(dir, '..', `${dir.split('/').pop()}-bad.yaml`);
    writeFileSync(cfg, 'scan:\n  failOn: sometimes\n  maxFileSise: 3\n');
    const badConfig = await cli(['scan', dir, '--config', cfg]);
    assert.equal(badConfig.code, 2);
    assert.match(badConfig.stderr, /scan\.failOn/);
    assert.match(badConfig.stderr, /maxFileSise/);
    const badBaseline = await cli(['scan', dir, '--baseline', cfg]);
    assert.equal(badBaseline.code, 2);
    assert.match(badBaseline.stderr, /warden baseline/);
  });

  test('an unreadable directory is counted, not fatal', {
    skip: process.getuid?.() === 0 && 'root reads everything',
  }, async () => {
    mkdirSync(join(dir, 'locked'));
    chmodSync(join(dir, 'locked'), 0);
    try {
      const r = await cli(['scan', dir, '-f', 'json']);
      assert.equal(JSON.parse(r.stdout).summary.skipped.unreadable, 1);
    } finally {
      chmodSync(join(dir, 'locked'), 0o755);
    }
  });

  test('--help has examples; --version prints the version', async () => {
    const h = await cli(['scan', '--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /Examples:/);
    assert.match(h.stdout, /Exit codes/);
    const v = await cli(['--version']);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^\d+\.\d+\.\d+/);
  });
});
