import assert from 'node:assert/strict';
import { appendFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createGzip, gzipSync } from 'node:zlib';
import { tempDir } from '../../test/tmp.js';
import { followFiles } from './follow.js';
import { sampleRecords } from './parsers/cloudtrail.samples.js';
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

/** gzip of `mb` megabytes of zeros, made by streaming so the test itself stays small (~1 KB per MB). */
async function zeroBomb(mb: number): Promise<Buffer> {
  const gz = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gz.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((r) => gz.on('end', r));
  const zeros = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < mb; i++) if (!gz.write(zeros)) await new Promise((r) => gz.once('drain', r));
  gz.end();
  await done;
  return Buffer.concat(out);
}

describe('hostile compression and broken documents', () => {
  test('a gzip bomb is one counted rejection past the budget, read in bounded memory', async () => {
    const bomb = await zeroBomb(200);
    assert.ok(bomb.length < 1024 * 1024, `bomb is ${bomb.length} bytes`);
    const lines = Buffer.from('{"n":1}\n{"n":2}\n');
    const gz = Buffer.concat([gzipSync(lines), bomb]); // concatenated gzip members, as `cat a.gz b.gz`
    const before = process.memoryUsage().rss;
    let peak = before;
    const out: RawRecord[] = [];
    async function* one() {
      yield gz;
    }
    for await (const r of readRecords(one(), 'bomb.json.gz', { maxDecompressedBytes: 50 * 1024 * 1024, maxLineBytes: 1 << 20 })) {
      out.push(r);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    assert.deepEqual(values(out), [{ n: 1 }, { n: 2 }]);
    assert.ok(
      errors(out).some((e) => e.startsWith('decompressed-too-large')),
      errors(out).join(),
    );
    // 200 MB decompressed in one piece would show here; streaming keeps it to a few chunks.
    assert.ok(peak - before < 120 * 1024 * 1024, `rss grew ${Math.round((peak - before) / 1e6)} MB`);
  });

  test('a small gzip input over the budget is rejected too (the synchronous path counts as well)', async () => {
    const gz = gzipSync(Buffer.from(`${'{"a":1}\n'.repeat(100_000)}`));
    const rs = await collect(gz, { maxDecompressedBytes: 64 * 1024 });
    assert.ok(
      errors(rs).some((e) => e.startsWith('decompressed-too-large')),
      errors(rs).join(),
    );
    assert.ok(values(rs).length < 100_000);
  });

  test('a one-line document cut off before its newline is a counted rejection, not silence', async () => {
    const rs = await collect(Buffer.from('{"Records":[{"eventTime":"2026-01-01T00:00:00Z"'));
    assert.deepEqual(values(rs), []);
    assert.deepEqual(errors(rs), ['truncated@1']);
  });

  const trail = () => JSON.stringify({ Records: sampleRecords(3).slice(0, 6) }, null, 2);
  const elementLines = (text: string) =>
    text
      .split('\n')
      .map((l, i) => [l, i + 1] as const)
      .filter(([l]) => l === '    {')
      .map(([, n]) => n);

  test('a pretty-printed CloudTrail file with one syntax error keeps every other element', async () => {
    const text = trail();
    const starts = elementLines(text);
    assert.equal(starts.length, 6);
    const lines = text.split('\n');
    // Break element 3: drop the comma after its first member.
    const at = starts[2]!; // 1-based line of "    {", so lines[at] is its first member
    lines[at] = lines[at]!.replace(/,$/, '');
    const rs = await collect(Buffer.from(lines.join('\n')));
    const good = sampleRecords(3).slice(0, 6);
    assert.deepEqual(values(rs), [good[0], good[1], good[3], good[4], good[5]]);
    assert.deepEqual(errors(rs), [`malformed-json@${at}`]);
  });

  test('an unterminated string or a missing brace costs only its element', async () => {
    const good = sampleRecords(3).slice(0, 6);
    for (const breakIt of [
      (l: string) => l.replace(/"(,?)$/, '$1'), // a string that never closes
      (l: string) => (l === '    },' ? '    ,' : l), // an element that never closes
    ]) {
      const lines = trail().split('\n');
      const starts = elementLines(lines.join('\n'));
      let broken = -1;
      for (let i = starts[1]!; i < starts[2]! - 1; i++) {
        const after = breakIt(lines[i]!);
        if (after !== lines[i]) {
          lines[i] = after;
          broken = i;
          break;
        }
      }
      assert.ok(broken > 0);
      const rs = await collect(Buffer.from(lines.join('\n')));
      assert.deepEqual(values(rs), [good[0], good[2], good[3], good[4], good[5]]);
      assert.equal(errors(rs).length, 1, errors(rs).join());
    }
  });

  test('a minified Records file with a syntax error keeps the parsable elements; a gzip of it too', async () => {
    const good = sampleRecords(3).slice(0, 4);
    const text = `{"Records":[${good.map((r) => JSON.stringify(r)).join(',')}]}`.replace(
      JSON.stringify(good[1]),
      JSON.stringify(good[1]).replace(':', '::'),
    );
    for (const bytes of [Buffer.from(text), gzipSync(text)]) {
      const rs = await collect(bytes);
      assert.deepEqual(values(rs), [good[0], good[2], good[3]]);
      assert.deepEqual(errors(rs), ['malformed-json@1']);
    }
  });

  test('JSON lines whose first line is broken are still read as lines', async () => {
    const rs = await collect(Buffer.from('{"a":\n{"b":2}\n{"c":3}\n'));
    assert.deepEqual(values(rs), [{ b: 2 }, { c: 3 }]);
    assert.deepEqual(errors(rs), ['malformed-json@1']);
  });

  test('a document followed by JSON lines reads both', async () => {
    const rs = await collect(Buffer.from('[\n {"a":1},\n {"a":2}\n]\n{"b":3}\n'));
    assert.deepEqual(values(rs), [{ a: 1 }, { a: 2 }, { b: 3 }]);
    assert.deepEqual(errors(rs), []);
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
