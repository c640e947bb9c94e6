import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../src/model/package-root.js';
import { sampleRecords } from '../src/telemetry/parsers/cloudtrail.samples.js';
import { cli, tempDir } from './helpers.js';

const BIN = join(packageRoot(), 'dist', 'src', 'cli', 'bin.js');

test('warden token create writes the token alone on stdout; list never shows it; revoke stops it', async () => {
  const tmp = tempDir();
  try {
    const store = join(tmp.dir, 'w.db');
    const created = await cli(['token', 'create', '--name', 'ci', '--role', 'ingest', '--store', store]);
    assert.equal(created.code, 0, created.stderr);
    const token = created.stdout.trim();
    assert.match(token, /^wdn_[A-Za-z0-9_-]{43}$/);
    assert.equal(created.stdout, `${token}\n`);
    const again = await cli(['token', 'create', '--name', 'ci', '--role', 'viewer', '--store', store]);
    assert.equal(again.code, 2);
    const bad = await cli(['token', 'create', '--name', 'x', '--role', 'root', '--store', store]);
    assert.equal(bad.code, 2);
    const list = await cli(['token', 'list', '--format', 'json', '--store', store]);
    assert.equal(list.code, 0);
    assert.ok(!list.stdout.includes(token));
    assert.deepEqual(
      list.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).name),
      ['ci'],
    );
    assert.equal((await cli(['token', 'revoke', 'ci', '--store', store])).code, 0);
    assert.equal((await cli(['token', 'revoke', 'ci', '--store', store])).code, 2);
    assert.equal((await cli(['token', 'create', '--name', 'ci', '--role', 'viewer', '--store', store])).code, 0);
  } finally {
    tmp.cleanup();
  }
});

function serve(
  args: string[],
  cwd: string,
): Promise<{ child: ChildProcess; base: string; out: () => string; err: () => string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--listen', '127.0.0.1:0', ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  return new Promise((resolve, reject) => {
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      err += s;
      const m = /listening on (https?:\/\/[^ ]+)/.exec(err);
      if (m) resolve({ child, base: m[1]!, out: () => out, err: () => err });
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

function exit(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', (code) => r(code)));
}

test('warden serve as a process: 401 without a token, 202 with one, logs never hold it, SIGTERM drains, a restart keeps the counts', async () => {
  const tmp = tempDir();
  try {
    const token = spawnSync(process.execPath, [BIN, 'token', 'create', '--name', 'shipper', '--role', 'admin'], {
      cwd: tmp.dir,
      encoding: 'utf8',
    }).stdout.trim();
    const body = `${sampleRecords(2)
      .slice(0, 20)
      .map((r) => JSON.stringify(r))
      .join('\n')}\n`;
    const s = await serve([], tmp.dir);
    assert.equal((await fetch(`${s.base}/healthz`)).status, 200);
    assert.equal((await fetch(`${s.base}/v1/ingest`, { method: 'POST', body })).status, 401);
    const res = await fetch(`${s.base}/v1/ingest`, { method: 'POST', body, headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 202);
    const { events } = (await res.json()) as { events: number };
    assert.ok(events > 0);
    s.child.kill('SIGTERM');
    assert.equal(await exit(s.child), 0);
    assert.match(s.err(), /SIGTERM/);
    assert.ok(s.out().includes('"statusCode":202'), 'request log lines');
    assert.ok(!s.out().includes(token) && !s.err().includes(token), 'the token is never logged');

    const again = await serve([], tmp.dir);
    try {
      const status = (await (
        await fetch(`${again.base}/v1/status`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as {
        ingested: number;
        processed: number;
      };
      assert.equal(status.ingested, events);
      assert.equal(status.processed, events, 'accepted before SIGTERM, processed before exit');
    } finally {
      again.child.kill('SIGTERM');
      await exit(again.child);
    }
  } finally {
    tmp.cleanup();
  }
});

test('warden serve --tls-cert/--tls-key serves HTTPS', {
  skip: spawnSync('openssl', ['version']).status === 0 ? false : 'no openssl',
}, async () => {
  const tmp = tempDir();
  try {
    const key = join(tmp.dir, 'key.pem');
    const cert = join(tmp.dir, 'cert.pem');
    const made = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
      ],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(made.status, 0, made.stderr);
    const s = await serve(['--tls-cert', cert, '--tls-key', key], tmp.dir);
    try {
      assert.match(s.base, /^https:/);
      const r = spawnSync('openssl', ['s_client', '-connect', s.base.replace('https://', ''), '-brief'], {
        input: '',
        encoding: 'utf8',
        timeout: 10_000,
      });
      assert.match(`${r.stdout}${r.stderr}`, /TLSv1\.[23]/);
    } finally {
      s.child.kill('SIGTERM');
      await exit(s.child);
    }
    const half = await cli(['serve', '--tls-cert', cert], { cwd: tmp.dir });
    assert.equal(half.code, 2);
  } finally {
    tmp.cleanup();
  }
});
