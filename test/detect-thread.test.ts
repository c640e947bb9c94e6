import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { runDetect } from '../src/cli/detect-command.js';
import { replaysOnThread, runDetectOnThread, THREAD_MIN_BYTES } from '../src/cli/detect-thread.js';
import { memoryIO } from '../src/cli/io.js';
import { WardenError } from '../src/model/errors.js';
import { generateScenario, writeScenario } from '../src/scenario/generate.js';
import { tempDir } from './helpers.js';

/**
 * A large replay runs on a thread of its own (a larger young generation than the main thread's):
 * the same alerts, exit code and errors as on the calling thread.
 */
const { dir, cleanup } = tempDir();
const logs = join(dir, 'logs');
const START = '2026-02-02';
const learnUntil = new Date(Date.parse(`${START}T00:00:00Z`) + 3 * 86_400_000).toISOString();

before(() => {
  writeScenario(logs, generateScenario({ seed: 5, identities: 12, days: 5, start: START, attacks: 'all', attackDays: 2 }));
});
after(cleanup);

describe('warden detect --replay on its own thread', () => {
  test('the thread gives the calling thread’s alerts, exit code and statistics', async () => {
    const flags = {
      replay: [logs],
      learnUntil,
      format: 'jsonl' as const,
      persist: false,
      minSeverity: 'low' as const,
      stats: true,
    };
    // Below the size that takes a thread, runDetect stays on this one: the reference.
    assert.equal(replaysOnThread(flags, dir), false);
    const here = memoryIO({ cwd: dir });
    const hereCode = await runDetect(flags, here);
    const there = memoryIO({ cwd: dir });
    const thereCode = await runDetectOnThread(flags, there);
    assert.equal(hereCode, 0, here.err());
    assert.equal(thereCode, hereCode);
    const alerts = there.out().trim().split('\n').filter(Boolean);
    assert.ok(alerts.length > 0, 'the scenario’s attacks raise alerts');
    assert.equal(there.out(), here.out());
    assert.match(there.err(), /detector: \d+ events/);
    assert.equal(there.err(), here.err());
    // --fail-on's exit code crosses the thread too.
    assert.equal(await runDetectOnThread({ ...flags, stats: false, failOn: 'low' }, memoryIO({ cwd: dir })), 1);
  });

  test('errors thrown on the thread are the same errors here', async () => {
    const err = await runDetectOnThread(
      { replay: [logs], learnUntil: 'next tuesday', persist: false, minSeverity: 'low' },
      memoryIO({ cwd: dir }),
    ).catch((e: unknown) => e);
    assert.ok(err instanceof WardenError, String(err));
    assert.equal(err.code, 'WARDEN_USAGE');
    assert.match(err.message, /--learn-until/);
  });

  test('which replays take a thread: enough bytes of files; never standard input, following or unreadable paths', () => {
    const small = join(dir, 'small');
    mkdirSync(join(small, '.hidden'), { recursive: true });
    writeFileSync(join(small, 'a.log'), 'x'.repeat(600));
    writeFileSync(join(small, '.hidden', 'b.log'), 'x'.repeat(5000));
    const base = { persist: false, minSeverity: 'low' as const };
    assert.equal(replaysOnThread({ ...base, replay: ['small'] }, dir, 500), true);
    // Hidden entries are not replayed, so they do not count.
    assert.equal(replaysOnThread({ ...base, replay: ['small'] }, dir, 1000), false);
    assert.equal(replaysOnThread({ ...base, replay: ['small/a.log', 'small'] }, dir, 1000), true);
    assert.equal(replaysOnThread({ ...base, replay: ['small', '-'] }, dir, 1), false);
    assert.equal(replaysOnThread({ ...base, follow: ['small/a.log'] }, dir, 1), false);
    assert.equal(replaysOnThread({ ...base, replay: ['missing.log'] }, dir, 1), false);
    assert.equal(replaysOnThread({ ...base, replay: ['small'] }, dir), false, `${THREAD_MIN_BYTES} bytes by default`);
    // A gzip file counts as what it decompresses to (its trailer says), not its size on disk.
    const packed = gzipSync(Buffer.alloc(200_000, '{"a":1}\n'));
    writeFileSync(join(dir, 'trail.json.gz'), packed);
    assert.ok(packed.length < 5_000);
    assert.equal(replaysOnThread({ ...base, replay: ['trail.json.gz'] }, dir, 150_000), true);
    assert.equal(replaysOnThread({ ...base, replay: ['trail.json.gz'] }, dir, 250_000), false);
    // A truncated gzip file (trailer cut off) counts at least its size on disk, and never throws.
    writeFileSync(join(dir, 'cut.json.gz'), packed.subarray(0, 30));
    assert.equal(replaysOnThread({ ...base, replay: ['cut.json.gz'] }, dir, 30), true);
  });
});
