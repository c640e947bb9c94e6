import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { packageRoot } from '../src/model/package-root.js';
import * as cloudtrail from '../src/telemetry/parsers/cloudtrail.samples.js';
import { cli, fakeSecrets, tempDir } from './helpers.js';

/*
 * What a new user meets first: a missing path, a closed pipe, a store that is not there. Each is an
 * exit code a script can rely on and one line naming the problem, never a stack trace.
 */

const { dir, cleanup } = tempDir();
after(cleanup);
const bin = join(packageRoot(), 'dist/src/cli/bin.js');

describe('a path that does not exist is exit 2 naming it, for every command', () => {
  const missing = join(dir, 'no', 'such');
  const cases: Array<[string, string[]]> = [
    ['scan', ['scan', missing]],
    ['events --replay', ['events', '--replay', missing]],
    ['detect --replay', ['detect', '--replay', missing, '--no-persist']],
    ['import', ['import', `${missing}.json`, '--store', join(dir, 'import.db')]],
    ['scan -o into a missing folder', ['scan', dir, '-o', join(missing, 'x.json')]],
    ['events -o into a missing folder', ['events', '--replay', '-', '-o', join(missing, 'x.jsonl')]],
    ['baseline -o into a missing folder', ['baseline', dir, '-o', join(missing, 'b.json')]],
  ];
  for (const [name, argv] of cases) {
    test(name, async () => {
      const r = await cli(argv, { cwd: dir });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /no\/such/);
      assert.doesNotMatch(r.stderr, /unexpected error|\n\s+at /);
    });
  }

  test('scan -o is checked before the scan runs', async () => {
    // A tree that would take a scan: the error must come without it (no summary line printed).
    const r = await cli(['scan', dir, '--format', 'json', '-o', join(missing, 'x.json')], { cwd: dir });
    assert.equal(r.code, 2);
    assert.doesNotMatch(r.stderr, /finding\(s\) in/);
  });

  for (const command of [['risk'], ['identities'], ['blast-radius', 'x']]) {
    test(`${command[0]} on a store that does not exist or is empty is exit 2 with a hint, and creates nothing`, async () => {
      const store = join(dir, `${command[0]}-typo.db`);
      const r = await cli([...command, '--store', store], { cwd: dir });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /no Warden store at .*typo\.db.*warden import/);
      const empty = join(dir, `${command[0]}-empty.db`);
      writeFileSync(empty, '');
      const e = await cli([...command, '--store', empty], { cwd: dir });
      assert.equal(e.code, 2, e.stderr);
      assert.match(e.stderr, /empty/);
      const { existsSync } = await import('node:fs');
      assert.equal(existsSync(store), false);
    });
  }

  test('a --store that is not a database is exit 2, not overwritten', async () => {
    const notDb = join(dir, 'scan.json');
    writeFileSync(notDb, '{"findings": []}\n');
    const r = await cli(['import', join(dir, 'trail.json'), '--store', notDb], { cwd: dir });
    assert.equal(r.code, 2, r.stderr);
  });
});

describe('writing to a closed pipe ends quietly with exit 0', () => {
  // A real process piped into `head`, which exits after its first line: the shell reports the
  // producer's own status.
  const piped = (args: string, input = '') =>
    spawnSync(
      'bash',
      [
        '-c',
        `node ${bin} ${args} 2>"${join(dir, 'err.txt')}" | head -1 >/dev/null; echo "\${PIPESTATUS[0]}"; cat "${join(dir, 'err.txt')}"`,
      ],
      {
        cwd: dir,
        input,
        encoding: 'utf8',
        env: { ...process.env, CI: '1' },
      },
    );
  const big = join(dir, 'big');
  mkdirSync(big, { recursive: true });
  // Enough output to overflow a pipe buffer many times over.
  const records = cloudtrail.sampleRecords(1);
  const lines: string[] = [];
  for (let i = 0; i < 40; i++) for (const r of records) lines.push(JSON.stringify(r));
  writeFileSync(join(big, 'trail.jsonl'), `${lines.join('\n')}\n`);
  const s = fakeSecrets(3);
  writeFileSync(join(big, 'keys.env'), `${Array.from({ length: 3000 }, () => `token=${s.githubPat}`).join('\n')}\n`);

  for (const args of [
    'rules list',
    `events --replay ${join(big, 'trail.jsonl')}`,
    `detect --replay ${join(big, 'trail.jsonl')} --no-persist --format json`,
    `scan ${big} --format jsonl --no-default-excludes`,
    `rules list --format json`,
  ]) {
    test(`warden ${args.split(' ').slice(0, 2).join(' ')} | head -1`, () => {
      const r = spawnSyncOut(piped(args));
      assert.equal(r.status, '0', r.stderr);
      assert.doesNotMatch(r.stderr, /EPIPE|Error|at /);
    });
  }
});

function spawnSyncOut(r: ReturnType<typeof spawnSync>): { status: string; stderr: string } {
  const out = String(r.stdout).split('\n');
  return { status: out[0] ?? '', stderr: out.slice(1).join('\n') };
}

describe('rule selectors that match nothing are errors with a "did you mean"', () => {
  const tree = join(dir, 'rules-tree');
  mkdirSync(tree, { recursive: true });
  writeFileSync(join(tree, 'a.txt'), 'nothing here\n');

  test('--rule and --skip-rule', async () => {
    const glob = await cli(['scan', tree, '--rule', 'secret.awz.*'], { cwd: tree });
    assert.equal(glob.code, 2, glob.stderr);
    assert.match(glob.stderr, /no rule matches "secret\.awz\.\*"; did you mean "secret\.aws\.\*"/);
    const skip = await cli(['scan', tree, '--skip-rule', 'secret.github.clasic-pat'], { cwd: tree });
    assert.equal(skip.code, 2);
    assert.match(skip.stderr, /did you mean "secret\.github\.classic-pat"/);
    const ok = await cli(['scan', tree, '--rule', 'secret.aws.*', '--skip-rule', 'secret.github.classic-pat'], { cwd: tree });
    assert.equal(ok.code, 0, ok.stderr);
  });

  test('scan.skipRules and severity keys in the config, each problem printed once', async () => {
    const cwd = join(dir, 'conf');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(
      join(cwd, 'warden.config.yaml'),
      'scan:\n  skipRules: [secret.nope.*]\nseverity:\n  runtime.credential.new-sorce: high\n  secret.aws.access-key-id: critical\n',
    );
    const r = await cli(['scan', '.'], { cwd });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /scan\.skipRules\.0: no rule matches "secret\.nope\.\*"/);
    assert.match(r.stderr, /did you mean "runtime\.credential\.new-source"/);
    assert.equal(r.stderr.split('new-sorce"; did').length, 2, r.stderr);
    const d = await cli(['detect', '--replay', join(cwd, 'warden.config.yaml'), '--no-persist'], { cwd });
    assert.equal(d.code, 2);
    assert.match(d.stderr, /new-source/);
  });

  test('a config error is printed once', async () => {
    const cwd = join(dir, 'conf-bad');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, 'warden.config.yaml'), 'scan:\n  bogus: 1\n');
    const r = await cli(['scan', '.'], { cwd });
    assert.equal(r.code, 2);
    assert.equal(r.stderr.split('bogus').length, 2, r.stderr);
  });
});
