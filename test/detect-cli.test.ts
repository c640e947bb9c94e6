import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateScenario, writeScenario } from '../src/scenario/generate.js';
import type { Episode } from '../src/scenario/types.js';
import { getStates, listAlerts, openStore } from '../src/store/index.js';
import { cli, tempDir } from './helpers.js';

/**
 * The whole runtime path as a user runs it: vendor-format logs written to disk (CloudTrail gzip
 * Records files, Vault audit, Kubernetes audit, GitHub, Okta, OTLP traces) → warden detect --replay →
 * OCSF Detection Findings, with state and alerts in the SQLite store.
 */
const { dir, cleanup } = tempDir();
const logs = join(dir, 'logs');
let truth: Episode[] = [];
let files: string[] = [];
const DAYS = 6;
const START = '2026-02-02';
const learnUntil = new Date(Date.parse(`${START}T00:00:00Z`) + (DAYS - 2) * 86_400_000).toISOString();

before(() => {
  const scenario = generateScenario({ seed: 11, identities: 30, days: DAYS, start: START, attacks: 'all', attackDays: 2 });
  writeScenario(logs, scenario);
  truth = scenario.truth;
  // One folder per source, one file per hour: what a user points the replay at.
  files = scenario.files.map((f) => join(logs, f.name)).sort();
  assert.ok(files.length > 50 && readdirSync(logs).length > 3);
});
after(cleanup);

describe('warden detect', () => {
  test('replays vendor logs into OCSF Detection Findings that find the planted attacks', async () => {
    const store = join(dir, 'state.db');
    const r = await cli([
      'detect',
      '--replay',
      ...files,
      '--learn-until',
      learnUntil,
      '--format',
      'ocsf',
      '--store',
      store,
      '--stats',
    ]);
    assert.equal(r.code, 0, r.stderr.slice(0, 2000));
    const findings = r.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    assert.ok(findings.length > 0);
    for (const f of findings) {
      assert.equal(f.class_uid, 2004);
      assert.equal(f.type_uid, 200401);
      // A behavioural detection's id, or the id (a UUID) of a rule of the bundled Sigma pack.
      assert.ok(f.finding_info.uid && /^(runtime\.|[0-9a-f]{8}-)/.test(f.finding_info.analytic.uid));
      assert.ok(f.severity_id >= 1 && f.severity_id <= 5);
      assert.ok(Array.isArray(f.evidences) && f.evidences.length > 0);
      assert.ok(f.evidences[0].data.raw.file, 'evidence points at its raw record');
    }
    // Most planted episodes are found by one of their expected detections, for their identity.
    const found = truth.filter((ep) =>
      findings.some((f) => ep.detections.includes(f.finding_info.analytic.uid) && f.actor.user.uid === ep.identity),
    );
    assert.ok(
      found.length >= Math.ceil(truth.length * 0.7),
      `found ${found.length} of ${truth.length}: missed ${truth
        .filter((t) => !found.includes(t))
        .map((t) => t.id)
        .join(', ')}`,
    );
    assert.match(r.stderr, /detector: \d+ events/);
    // State and alerts are in the store for the next run.
    const s = await openStore(store);
    try {
      assert.ok((await getStates(s, 'detect.identity')).size > 10);
      assert.equal((await listAlerts(s)).length, findings.length);
    } finally {
      await s.close();
    }
  });

  test('the same input gives the same alerts', async () => {
    const a = await cli(['detect', '--replay', ...files, '--learn-until', learnUntil, '--format', 'jsonl', '--no-persist']);
    const b = await cli([
      'detect',
      '--replay',
      ...files.slice().reverse(),
      '--learn-until',
      learnUntil,
      '--format',
      'jsonl',
      '--no-persist',
    ]);
    assert.equal(a.code, 0);
    const uids = (out: string) =>
      out
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).uid)
        .sort();
    assert.deepEqual(uids(a.stdout), uids(b.stdout));
    // A folder stands for every file below it.
    const c = await cli(['detect', '--replay', logs, '--learn-until', learnUntil, '--format', 'jsonl', '--no-persist']);
    assert.equal(c.code, 0);
    assert.deepEqual(uids(c.stdout), uids(a.stdout));
    assert.ok(uids(a.stdout).length > 0);
  });

  test('bad input and bad flags', async () => {
    const junk = join(dir, 'junk.log');
    writeFileSync(junk, 'not json\n{"also": "not a known format"}\n');
    const r = await cli(['detect', '--replay', junk, '--no-persist', '--stats', '--format', 'jsonl']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /unknown-format/);
    assert.equal((await cli(['detect', '--replay', junk, '--learn-until', 'yesterday'])).code, 2);
    assert.equal((await cli(['detect'])).code, 2);
    const notDb = join(dir, 'not-a.db');
    writeFileSync(notDb, 'this is not a database file, it is text');
    const bad = await cli(['detect', '--replay', junk, '--store', notDb]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /cannot open the SQLite store/);
  });
});

describe('warden demo', () => {
  test('generates an estate with planted attacks, detects them into the SQLite store, and says how many it found', async () => {
    const { dir: cwd, cleanup: done } = tempDir();
    try {
      const r = await cli(['demo', '--identities', '25', '--days', '5', '--seed', '3'], { cwd });
      assert.equal(r.code, 0, r.stderr.slice(0, 1000));
      const m = /alerts for (\d+) of (\d+) planted attacks/.exec(r.stderr);
      assert.ok(m, r.stderr.slice(-500));
      assert.ok(Number(m[1]) >= Math.ceil(Number(m[2]) * 0.6), m[0]);
      assert.ok(readdirSync(join(cwd, '.warden')).includes('warden.db'));
      // The correlation half: the leaked key in use from a new network is the riskiest identity.
      assert.match(
        r.stderr,
        /Riskiest identities:\n\s+\d+ critical \S+\s+leaked in private repository demo\/repo .*outside its owner's habits/,
      );
      const top = JSON.parse((await cli(['risk', '--format', 'json', '--limit', '1'], { cwd })).stdout) as {
        identities: Array<{ detail: { exposure: string } }>;
      };
      assert.equal(top.identities[0]?.detail.exposure, 'leaked-in-use-unknown-source');
      assert.equal((await cli(['demo', '--days', '2'], { cwd })).code, 2);
    } finally {
      done();
    }
  });
});

describe('warden detect --follow', () => {
  test('follows a growing log in a real process, alerts as episodes open, and saves state on SIGINT', async () => {
    const { spawn } = await import('node:child_process');
    const { appendFileSync } = await import('node:fs');
    const { packageRoot } = await import('../src/model/package-root.js');
    const { dir: cwd, cleanup: done } = tempDir();
    try {
      const log = join(cwd, 'vault_audit.log');
      const hmac = (s: string) => `hmac-sha256:${s.padEnd(64, '0')}`;
      let n = 0;
      // Vault audit request/response pairs: a token is used, revoked, then presented again.
      const pair = (time: string, path: string, op: string, accessor: string, extra: Record<string, unknown> = {}) => {
        n++;
        const auth = {
          accessor: hmac(accessor),
          client_token: hmac(`t${accessor}`),
          display_name: 'kubernetes-payments-api',
          entity_id: 'entity-follow',
          policies: ['default'],
        };
        const request = {
          id: `req-${n}`,
          operation: op,
          path,
          remote_address: '10.1.2.3',
          mount_type: 'kv',
          client_token: auth.client_token,
          client_token_accessor: auth.accessor,
          ...extra,
        };
        return `${JSON.stringify({ type: 'request', time, auth, request })}\n${JSON.stringify({ type: 'response', time, auth, request, response: {} })}\n`;
      };
      writeFileSync(log, pair('2026-03-02T10:00:00Z', 'secret/data/payments/db', 'read', 'aaa'));
      const child = spawn(
        process.execPath,
        [
          join(packageRoot(), 'dist/src/cli/bin.js'),
          'detect',
          '--follow',
          log,
          '--format',
          'jsonl',
          '--store',
          join(cwd, 's.db'),
        ],
        {
          cwd,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      const waitFor = async (re: RegExp) => {
        for (let i = 0; i < 200 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 50));
        assert.match(out, re);
      };
      await new Promise((r) => setTimeout(r, 500));
      appendFileSync(
        log,
        pair('2026-03-02T10:05:00Z', 'auth/token/revoke-accessor', 'update', 'ops', { data: { accessor: hmac('aaa') } }),
      );
      appendFileSync(log, pair('2026-03-02T10:10:00Z', 'secret/data/payments/db', 'read', 'aaa'));
      await waitFor(/runtime\.credential\.reuse-after-revocation/);
      child.kill('SIGINT');
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      assert.equal(code, 0);
      const s = await openStore(join(cwd, 's.db'));
      try {
        assert.ok((await getStates(s, 'detect.credential')).has(hmac('aaa')));
        assert.ok((await listAlerts(s)).some((a) => a.detectionId === 'runtime.credential.reuse-after-revocation'));
      } finally {
        await s.close();
      }
    } finally {
      done();
    }
  });
});
