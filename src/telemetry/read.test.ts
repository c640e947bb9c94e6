import assert from 'node:assert/strict';
import { appendFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { tempDir } from '../../test/tmp.js';
import { followFiles } from './follow.js';
import { type RawRecord, readRecords } from './read.js';

async function collect(bytes: Buffer, opts = {}): Promise<RawRecord[]> {
  const out: RawRecord[] = [];
  // Small chunks so lines and documents straddle chunk boundaries.
  async function* chunks() {
    for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
  }
  for await (const r of readRecords(chunks(), 'f.log', opts)) out.push(r);
  return out;
}
const values = (rs: RawRecord[]) => rs.flatMap((r) => ('record' in r ? [r.record] : []));
const errors = (rs: RawRecord[]) => rs.flatMap((r) => ('error' in r ? [`${r.error}@${r.origin.line}`] : []));

describe('readRecords', () => {
  test('JSON lines: a malformed line is rejected with its line number, its neighbours survive', async () => {
    const rs = await collect(Buffer.from('{"a":1}\n{"a":2\n\n{"a":3}\n'));
    assert.deepEqual(values(rs), [{ a: 1 }, { a: 3 }]);
    assert.deepEqual(errors(rs), ['malformed-json@2']);
  });

  test('a truncated last line is rejected, the rest kept; a last line without newline is read', async () => {
    assert.deepEqual(errors(await collect(Buffer.from('{"a":1}\n{"a":'))), ['malformed-json@2']);
    assert.deepEqual(values(await collect(Buffer.from('{"a":1}\n{"a":2}'))), [{ a: 1 }, { a: 2 }]);
  });

  test('gzip is detected by its magic bytes; CloudTrail Records files are unwrapped', async () => {
    const doc = { Records: [{ eventName: 'A' }, { eventName: 'B' }] };
    assert.deepEqual(values(await collect(gzipSync(JSON.stringify(doc)))), doc.Records);
  });

  test('a corrupt gzip stream is one counted error, records decoded before it are kept', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(50) })).join('\n');
    const gz = gzipSync(lines);
    const broken = Buffer.concat([gz.subarray(0, gz.length - 40), Buffer.from('garbage-garbage-garbage-garbage-garbage!')]);
    const rs = await collect(broken);
    assert.ok(values(rs).length > 0, 'records before the corruption are kept');
    assert.ok(
      errors(rs).some((e) => e.startsWith('gzip-corrupt')),
      errors(rs).join(),
    );
  });

  test('a pretty-printed document spanning lines is parsed whole', async () => {
    const doc = { resourceSpans: [{ scopeSpans: [] }] };
    assert.deepEqual(values(await collect(Buffer.from(JSON.stringify(doc, null, 2)))), [doc]);
    const arr = [{ action: 'git.clone' }, { action: 'git.push' }];
    assert.deepEqual(values(await collect(Buffer.from(JSON.stringify(arr, null, 2)))), arr);
  });

  test('a 10 MB line parses; one over the limit is rejected without losing the next', async () => {
    const big = JSON.stringify({ big: 'y'.repeat(10 * 1024 * 1024) });
    const rs = await collect(Buffer.from(`${big}\n{"after":1}\n`));
    assert.equal(values(rs).length, 2);
    const limited = await collect(Buffer.from(`${big}\n{"after":1}\n`), { maxLineBytes: 1024 * 1024 });
    assert.deepEqual(values(limited), [{ after: 1 }]);
    assert.deepEqual(errors(limited), ['line-too-long@1']);
  });

  test('invalid UTF-8 and binary garbage are rejected line by line', async () => {
    const rs = await collect(
      Buffer.concat([Buffer.from('{"a":1}\n'), Buffer.from([0xff, 0xfe, 0, 1, 10]), Buffer.from('{"b":2}\n')]),
    );
    assert.deepEqual(values(rs), [{ a: 1 }, { b: 2 }]);
    assert.equal(errors(rs).length, 1);
  });
});

describe('followFiles', () => {
  test('follows appends, a partial line, truncation and rotation without losing a line', async () => {
    const { dir, cleanup } = tempDir();
    const path = join(dir, 'audit.log');
    writeFileSync(path, '{"n":1}\n');
    const controller = new AbortController();
    const seen: unknown[] = [];
    const done = (async () => {
      for await (const r of followFiles([path], { pollMs: 20, signal: controller.signal }))
        if ('record' in r) seen.push(r.record);
    })();
    const waitFor = async (n: number) => {
      for (let i = 0; i < 250 && seen.length < n; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(seen.length, n, JSON.stringify(seen));
    };
    try {
      await waitFor(1);
      appendFileSync(path, '{"n":2}\n{"n":');
      await waitFor(2);
      appendFileSync(path, '3}\n');
      await waitFor(3);
      // copytruncate-style rotation: the file shrinks and starts again.
      truncateSync(path, 0);
      appendFileSync(path, '{"n":4}\n');
      await waitFor(4);
      // rename-style rotation: a line written to the old file after the rename is still read.
      renameSync(path, `${path}.1`);
      appendFileSync(`${path}.1`, '{"n":5}\n');
      writeFileSync(path, '{"n":6}\n');
      await waitFor(6);
      assert.deepEqual(
        seen.map((r) => (r as { n: number }).n),
        [1, 2, 3, 4, 5, 6],
      );
    } finally {
      controller.abort();
      await done;
      cleanup();
    }
  });
});
