import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { builtinSigmaRules } from '../src/detect/sigma/index.js';
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

  test('the bundled Sigma rules are known ids too (read only when no other rule matches)', async () => {
    const sigmaId = builtinSigmaRules().rules[0]!.id;
    const cwd = join(dir, 'conf-sigma');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, 'warden.config.yaml'), `severity:\n  ${sigmaId}: low\n  secret.aws.access-key-id: critical\n`);
    const ok = await cli(['scan', '.', '--rule', 'secret.*'], { cwd });
    assert.equal(ok.code, 0, ok.stderr);
    writeFileSync(join(cwd, 'warden.config.yaml'), `severity:\n  ${sigmaId}x: low\n`);
    const typo = await cli(['scan', '.', '--rule', 'secret.*'], { cwd });
    assert.equal(typo.code, 2, typo.stderr);
    assert.ok(typo.stderr.includes(`did you mean "${sigmaId}"`), typo.stderr);
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

describe('attacker-controlled text reaches no terminal raw, and tables fit it', () => {
  const ESC = String.fromCharCode(0x1b);
  const hostile = `evil${ESC}[2J${ESC}]8;;http://x${ESC}\\\nforged line | root${String.fromCharCode(0x9b)}31m`;
  // Control characters a terminal acts on: C0 except the newlines tables end lines with, DEL, C1.
  const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
  const widest = (text: string) => Math.max(...text.split('\n').map((l) => Array.from(l).length));
  const cwd = join(dir, 'hostile');
  mkdirSync(cwd, { recursive: true });
  const record = (i: number, name: string) => ({
    eventVersion: '1.09',
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLE',
      arn: `arn:aws:iam::123456789012:user/${name}`,
      accountId: '123456789012',
      userName: name,
    },
    eventTime: `2026-01-01T00:00:0${i}Z`,
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.9',
    userAgent: hostile,
    requestParameters: { bucketName: `b${name}`, key: 'k' },
    eventID: `id-${i}`,
  });
  const log = join(cwd, 'trail.jsonl');
  writeFileSync(
    log,
    `${[record(1, hostile), record(2, 'x'.repeat(100_000)), record(3, 'ci-deployer')].map((r) => JSON.stringify(r)).join('\n')}\n`,
  );

  test('scan: a file name with an escape sequence is printed escaped', async () => {
    const tree = join(cwd, 'tree');
    mkdirSync(tree, { recursive: true });
    writeFileSync(join(tree, `a${ESC}[2Jb.env`), `token=${fakeSecrets(4).githubPat}\n`);
    const r = await cli(['scan', tree, '--no-progress'], { cwd: tree });
    assert.equal(r.code, 1, r.stderr);
    assert.doesNotMatch(r.stdout, RAW);
    assert.match(r.stdout, /a\\e\[2Jb\.env/);
    assert.ok(widest(r.stdout) <= 80, r.stdout);
  });

  test('events table: one line per event, nothing forged, a 100 KB name cut, 80 columns', async () => {
    const r = await cli(['events', '--replay', log, '--format', 'table'], { cwd });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, RAW);
    assert.equal(r.stdout.trim().split('\n').length, 4, r.stdout); // header + 3 events
    assert.ok(widest(r.stdout) <= 80, r.stdout);
    assert.ok(r.stdout.length < 2000);
    const wide = await cli(['events', '--replay', log, '--format', 'table'], { cwd, env: { COLUMNS: '132' } });
    assert.ok(widest(wide.stdout) <= 132 && widest(wide.stdout) > 80, wide.stdout);
  });

  test('identities, risk and blast-radius tables after import: escaped, fitted, with a header', async () => {
    const store = join(cwd, 'g.db');
    const imp = await cli(['import', log, '--store', store, '--format', 'table'], { cwd });
    assert.equal(imp.code, 0, imp.stderr);
    for (const argv of [
      ['identities', '--store', store, '--format', 'table'],
      ['risk', '--store', store, '--format', 'table'],
      ['identities', '--store', store, '--format', 'table', '--posture'],
    ]) {
      const r = await cli(argv, { cwd });
      assert.doesNotMatch(r.stdout, RAW, argv.join(' '));
      assert.ok(widest(r.stdout) <= 80, `${argv.join(' ')}\n${r.stdout}`);
      assert.ok(r.stdout.length < 20_000, argv.join(' '));
      if (!argv.includes('--posture')) assert.match(r.stdout, /IDENTITY/);
    }
    const ids = await cli(['identities', '--store', store, '--format', 'table'], { cwd, env: { COLUMNS: '300' } });
    assert.match(ids.stdout, /evil\\e\[2J/);
    assert.doesNotMatch(ids.stdout, /^forged line/m);
  });

  test('rules list wraps to 80 columns, or to COLUMNS', async () => {
    const r = await cli(['rules', 'list'], { cwd });
    assert.ok(widest(r.stdout) <= 80);
    assert.match(r.stdout.split('\n')[0]!, /^ID\s+KIND\s+SEVERITY\s+TITLE/);
    const wide = await cli(['rules', 'list'], { cwd, env: { COLUMNS: '150' } });
    assert.ok(widest(wide.stdout) > 80 && widest(wide.stdout) <= 150);
  });
});

describe('SARIF URIs are RFC 3986 relative references', () => {
  test('names with ":", "#", "%", spaces, non-ASCII and control characters pass the official validator and read back', async () => {
    const tree = join(dir, 'sarif-names');
    const names = [
      'notes:2024.env',
      'a#b.env',
      '100%.env',
      'sp ace.env',
      'ünïcødé.env',
      `ctl${String.fromCharCode(1)}x.env`,
      'q?.env',
    ];
    mkdirSync(join(tree, 'sub:dir'), { recursive: true });
    const s = fakeSecrets(8);
    for (const n of names) writeFileSync(join(tree, n), `token=${s.githubPat}\n`);
    writeFileSync(join(tree, 'sub:dir', 'x.env'), `token=${s.githubPat}\n`);
    const out = join(dir, 'names.sarif');
    const r = await cli(['scan', tree, '--format', 'sarif', '-o', out], { cwd: tree });
    assert.equal(r.code, 1, r.stderr);
    const { readFileSync } = await import('node:fs');
    const log = JSON.parse(readFileSync(out, 'utf8'));
    const uris: string[] = log.runs[0].results.map(
      (res: { locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }> }) =>
        res.locations[0]!.physicalLocation.artifactLocation.uri,
    );
    assert.equal(uris.length, names.length + 1);
    for (const u of uris) assert.match(u, /^[A-Za-z0-9\-._~%/]+$/, u);
    assert.ok(uris.includes('notes%3A2024.env'));
    assert.ok(uris.includes('sub%3Adir/x.env'));
    const { execFileSync } = await import('node:child_process');
    const tool = join(packageRoot(), 'node_modules/.bin/sarif-multitool');
    const validation = execFileSync(tool, ['validate', out, '-o', `${out}.validation.sarif`], { encoding: 'utf8' });
    assert.equal(validation.split('\n').filter((l) => l.includes(': error ')).length, 0, validation);
    // And back: warden import reads the same paths.
    const { readScanReport } = await import('../src/report/read.js');
    const paths = readScanReport(readFileSync(out, 'utf8'))
      .findings.map((f) => f.path)
      .sort();
    assert.deepEqual(paths, [...names, 'sub:dir/x.env'].sort());
  });
});

describe('every record read is an event or a counted rejection', () => {
  test('a time outside 1990..2100 is a counted rejection with a reason', async () => {
    const base = cloudtrail.sampleRecords(1)[0] as Record<string, unknown>;
    const log = join(dir, 'times.jsonl');
    writeFileSync(
      log,
      `${[8.64e15, '2243-01-01T00:00:00Z', '2026-01-01T00:00:00Z'].map((t) => JSON.stringify({ ...base, eventTime: t })).join('\n')}\n`,
    );
    const r = await cli(['events', '--replay', log, '--stats']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, 1);
    assert.match(r.stderr, /cloudtrail\/time-out-of-range\s+2/);
  });

  test('a one-line document cut off before its newline is counted; records = events + rejections', async () => {
    const t = join(dir, 't.json');
    writeFileSync(t, '{"Records":[{"eventTime":"2026-01-01T00:00:00Z"');
    const r = await cli(['events', '--replay', t, '--stats']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /records 1, events 0/);
    assert.match(r.stderr, /unknown\/truncated\s+1/);
  });
});

describe("Warden's own reports do not set Warden off", () => {
  test('JSON, JSON lines, SARIF and baseline reports in the tree are skipped and counted; a look-alike is not', async () => {
    const tree = join(dir, 'own-reports');
    mkdirSync(tree, { recursive: true });
    const s = fakeSecrets(11);
    writeFileSync(join(tree, 'deploy.env'), `AWS_ACCESS_KEY_ID=${s.awsKeyId}\nAWS_SECRET_ACCESS_KEY=${s.awsSecret}\n`);
    for (const [format, file] of [
      ['json', 'tree.json'],
      ['jsonl', 'tree.jsonl'],
      ['sarif', 'tree.sarif'],
    ])
      assert.equal((await cli(['scan', tree, '--format', format!, '-o', join(tree, file!)], { cwd: tree })).code, 1);
    assert.equal((await cli(['baseline', tree, '-o', join(tree, 'baseline.json')], { cwd: tree })).code, 0);
    // Starts like a report but is not one: scanned like any file.
    writeFileSync(join(tree, 'fake.json'), `{"version":1,"tool":{"name":"warden"},"note":"token=${s.githubPat}"}\n`);
    const r = await cli(['scan', tree, '--format', 'json'], { cwd: tree });
    const report = JSON.parse(r.stdout);
    const paths = [...new Set(report.findings.map((f: { path: string }) => f.path))].sort();
    assert.deepEqual(paths, ['deploy.env', 'fake.json']);
    assert.equal(report.summary.skipped['warden-report'], 4);
  });
});

test('warden risk --help shows the band thresholds and the floors', async () => {
  const r = await cli(['risk', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /critical ≥ 70, high ≥ 50, medium ≥ 30, low below/);
  assert.match(r.stdout, /public repository, or a critical alert on the identity, is at least high/);
});

test('blast-radius groups resources by container with counts, drops self-paths, takes --limit and --depth', async () => {
  const cwd = join(dir, 'blast');
  mkdirSync(cwd, { recursive: true });
  const user = 'arn:aws:iam::123456789012:user/ci-deployer';
  const ui = { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: user, accountId: '123456789012', userName: 'ci-deployer' };
  const ev = (i: number, name: string, source: string, params: Record<string, unknown>) => ({
    eventVersion: '1.09',
    userIdentity: ui,
    eventTime: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    eventSource: source,
    eventName: name,
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.9',
    requestParameters: params,
    eventID: `e-${i}`,
  });
  const records = [
    ...Array.from({ length: 203 }, (_, i) =>
      ev(i, 'GetObject', 's3.amazonaws.com', { bucketName: 'acme-artifacts', key: `builds/${i}.zip` }),
    ),
    ev(300, 'GetObject', 's3.amazonaws.com', { bucketName: 'acme-logs', key: 'a.log' }),
    // The identity acting on itself: a path to itself, not reach.
    ev(301, 'AttachUserPolicy', 'iam.amazonaws.com', {
      userName: 'ci-deployer',
      policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
    }),
  ];
  writeFileSync(join(cwd, 'trail.jsonl'), `${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
  const store = join(cwd, 'g.db');
  assert.equal((await cli(['import', join(cwd, 'trail.jsonl'), '--store', store], { cwd })).code, 0);
  const json = JSON.parse((await cli(['blast-radius', user, '--store', store, '--format', 'json'], { cwd })).stdout);
  assert.ok(!json.resources.some((r: { id: string }) => r.id === `resource:${user}`), 'no path to itself');
  const bucket = json.containers.find((g: { container: string }) => g.container === 'arn:aws:s3:::acme-artifacts');
  assert.equal(bucket.count, 203);
  const table = await cli(['blast-radius', user, '--store', store, '--format', 'table'], { cwd });
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /arn:aws:s3:::acme-artifacts\s+203/);
  assert.ok(table.stdout.split('\n').length < 40, table.stdout);
  const limited = await cli(['blast-radius', user, '--store', store, '--format', 'table', '--limit', '1'], { cwd });
  assert.match(limited.stdout, /and 1 more/);
  const shallow = JSON.parse(
    (await cli(['blast-radius', user, '--store', store, '--format', 'json', '--depth', '1'], { cwd })).stdout,
  );
  assert.ok(shallow.resources.length >= 203);
  assert.equal((await cli(['blast-radius', user, '--store', store, '--depth', '0'], { cwd })).code, 2);
});

describe('demo, progress and --format names', () => {
  const cwd = join(dir, 'demo');
  mkdirSync(cwd, { recursive: true });

  test('demo names every planted attack it missed; detect --replay shows progress on a terminal only', async () => {
    const demo = await cli(['demo', '--identities', '12', '--days', '3', '--store', join(cwd, 'd.db')], { cwd });
    assert.equal(demo.code, 0, demo.stderr);
    const m = /alerts for (\d+) of (\d+) planted attacks/.exec(demo.stderr)!;
    const missed = Number(m[2]) - Number(m[1]);
    if (missed === 0) assert.match(demo.stderr, /missed: none/);
    else {
      assert.match(demo.stderr, new RegExp(`missed ${missed} planted attack`));
      const listed = demo.stderr.split('\n').filter((l) => /expected runtime\./.test(l));
      assert.equal(listed.length, missed, demo.stderr);
    }
    const logs = join(cwd, '.warden/demo');
    const tty = await cli(['detect', '--replay', logs, '--no-persist', '--format', 'jsonl'], { cwd, stderrIsTTY: true });
    assert.match(tty.stderr, /detecting: [\d,]+ events/);
    const piped = await cli(['detect', '--replay', logs, '--no-persist', '--format', 'jsonl'], { cwd });
    assert.doesNotMatch(piped.stderr, /detecting:/);
  });

  test('json is one JSON document and jsonl is JSON lines, in every command that offers them', async () => {
    const logs = join(cwd, '.warden/demo');
    const store = join(cwd, 'd.db');
    const pairs: Array<[string[], string[]]> = [
      [
        ['events', '--replay', join(logs, 'okta')],
        ['--format', 'json'],
      ],
      [
        ['detect', '--replay', logs, '--no-persist'],
        ['--format', 'json'],
      ],
      [
        ['identities', '--store', store],
        ['--format', 'json'],
      ],
      [
        ['identities', '--store', store, '--posture'],
        ['--format', 'json'],
      ],
    ];
    for (const [argv, fmt] of pairs) {
      const doc = await cli([...argv, ...fmt], { cwd });
      assert.ok(doc.code === 0 || doc.code === 1, `${argv.join(' ')}: ${doc.stderr}`);
      const parsed = JSON.parse(doc.stdout);
      assert.ok(Array.isArray(parsed), argv.join(' '));
      const lines = await cli([...argv, '--format', 'jsonl'], { cwd });
      const rows = lines.stdout.split('\n').filter(Boolean);
      assert.equal(rows.length, parsed.length, argv.join(' '));
      for (const l of rows) assert.ok(!Array.isArray(JSON.parse(l)));
    }
  });
});

test('--max-decompressed: a gzip bomb is one counted rejection, the budget set on the command line', async () => {
  const { gzipSync } = await import('node:zlib');
  const bomb = join(dir, 'bomb.json.gz');
  writeFileSync(bomb, gzipSync(Buffer.alloc(20 * 1024 * 1024)));
  for (const argv of [
    ['events', '--replay', bomb, '--stats', '--max-decompressed', '1MB'],
    ['detect', '--replay', bomb, '--stats', '--no-persist', '--format', 'jsonl', '--max-decompressed', '1MB'],
  ]) {
    const r = await cli(argv);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /decompressed-too-large\s+1/, argv[0]);
  }
  assert.equal((await cli(['events', '--replay', bomb, '--max-decompressed', 'lots'])).code, 2);
});
