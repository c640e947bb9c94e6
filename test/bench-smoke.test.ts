import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PARSERS } from '../src/telemetry/parsers/index.js';
import { tempDir } from './helpers.js';

// Benchmarks are not timed here (timings are never asserted); these runs at a tiny size only keep them
// working as the code they measure grows: a bench that no longer runs measures nothing.
const run = promisify(execFile);
const bench = (name: string): string => fileURLToPath(new URL(`../bench/${name}.js`, import.meta.url));
const { dir, cleanup } = tempDir();
after(cleanup);

describe('benchmarks still run (tiny sizes)', () => {
  test('bench:events normalises samples of every parser', { timeout: 120_000 }, async () => {
    const { stdout } = await run(process.execPath, [bench('events')], {
      env: { ...process.env, BENCH_LINES: '300', BENCH_RUNS: '1' },
      maxBuffer: 16 << 20,
    });
    const last = JSON.parse(stdout.trim().split('\n').at(-1)!) as { bench: string; results: Record<string, { events: number }> };
    for (const [source] of PARSERS) assert.ok(stdout.includes(`\n${source} `), `a row for ${source}`);
    assert.equal(last.bench, 'events');
    for (const [source] of PARSERS) assert.ok((last.results[source]?.events ?? 0) > 0, `events from ${source}`);
    assert.match(stdout, /peak RSS of the bench process/);
  });

  test('bench:keywords compares the two keyword engines on a corpus folder', { timeout: 120_000 }, async () => {
    const corpus = join(dir, 'corpus');
    mkdirSync(join(corpus, 'src'), { recursive: true });
    for (let i = 0; i < 20; i++) writeFileSync(join(corpus, 'src', `f${i}.py`), `password = "x"\nkey = ${i}\n`.repeat(50));
    const { stdout } = await run(process.execPath, [bench('keywords')], {
      env: { ...process.env, BENCH_CORPUS: corpus, BENCH_RUNS: '1' },
      maxBuffer: 16 << 20,
    });
    assert.match(stdout, /peak RSS of the bench process/);
    assert.doesNotMatch(stdout, /findings differ/);
  });
});
