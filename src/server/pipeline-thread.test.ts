import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EVENT_PATH_YOUNG_GENERATION_MB } from '../model/heap.js';
import { startPipelineThread } from './pipeline-thread.js';
import { s3Read } from './testing.js';

test('a pipeline thread that dies is replaced, resumes from the stored state, and loses nothing acknowledged', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-pipeline-thread-'));
  const errors: string[] = [];
  const pipeline = await startPipelineThread(
    {
      store: join(dir, 'w.db'),
      cwd: dir,
      partitions: 2,
      learnUntil: undefined,
      config: undefined,
      severity: undefined,
      policyFile: undefined,
    },
    (e) => errors.push((e as Error).message),
  );
  try {
    await pipeline.accept([s3Read('app', 'pt'), s3Read('app', 'pt'), s3Read('app', 'pt')]);
    await pipeline.idle();
    assert.equal((await pipeline.status()).processed, 3);
    // Events in flight outlive V8's default young generation: the thread runs with a larger one.
    assert.equal(pipeline.heapLimits()?.maxYoungGenerationSizeMb, EVENT_PATH_YOUNG_GENERATION_MB);
    // The thread ends as a crash would; a new one takes over from the store.
    await pipeline.restart();
    assert.ok(
      errors.some((m) => /pipeline thread exited/.test(m)),
      errors.join('; '),
    );
    assert.equal(await pipeline.ready(), true);
    await pipeline.accept([s3Read('app', 'pt'), s3Read('app', 'pt')]);
    await pipeline.idle();
    const status = await pipeline.status();
    // The replacement thread is started the same way.
    assert.equal(pipeline.heapLimits()?.maxYoungGenerationSizeMb, EVENT_PATH_YOUNG_GENERATION_MB);
    assert.equal(status.ingested, 5);
    assert.equal(status.processed, 5);
  } finally {
    await pipeline.close();
    rmSync(dir, { recursive: true, force: true });
  }
  // Closed: calls are refused, nothing is restarted.
  await assert.rejects(pipeline.accept([s3Read('app', 'pt')]), /shutting down/);
});
