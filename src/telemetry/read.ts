import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import type { RecordOrigin } from './types.js';

/** One parsed JSON record, or why a line/document could not be parsed. */
export type RawRecord = { record: unknown; origin: RecordOrigin } | { error: string; detail?: string; origin: RecordOrigin };

export interface ReadOptions {
  /** Lines longer than this are rejected ('line-too-long') without being parsed. */
  maxLineBytes?: number;
  /** A whole-file JSON document (pretty-printed CloudTrail, OTLP) larger than this is rejected. */
  maxDocumentBytes?: number;
}

const DEFAULT_MAX_LINE = 64 * 1024 * 1024;
const DEFAULT_MAX_DOC = 512 * 1024 * 1024;

/** Compressed inputs up to this size are gunzipped in one synchronous call. */
const SYNC_GUNZIP_MAX = 16 * 1024 * 1024;

/** The first bytes of a gzip stream (RFC 1952 §2.3.1). */
function isGzip(b: Buffer): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/**
 * Chunks of a stream, gunzipped when it starts with the gzip magic bytes. A corrupt gzip stream ends
 * with an error the caller turns into a counted rejection; what was decoded before it is kept.
 */
async function* decodedChunks(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const it = input[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  const head = first.value;
  const rest = async function* () {
    yield head;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  };
  if (!isGzip(head)) {
    yield* rest();
    return;
  }
  // Typical log archives (CloudTrail writes one small .json.gz per delivery) are decoded in one
  // synchronous call: a streaming gunzip costs an event-loop round trip per chunk. Larger inputs, and
  // corrupt ones (to keep what decodes before the damage), go through the stream.
  const buffered: Buffer[] = [];
  let size = 0;
  let more = true;
  for (let r: IteratorResult<Buffer> = { done: false, value: head }; ; ) {
    if (r.done) {
      more = false;
      break;
    }
    buffered.push(r.value);
    size += r.value.length;
    if (size > SYNC_GUNZIP_MAX) break;
    r = await it.next();
  }
  if (!more) {
    try {
      yield gunzipSync(buffered.length === 1 ? buffered[0]! : Buffer.concat(buffered, size));
      return;
    } catch {
      // corrupt: stream it below and let the stream report where it broke
    }
  }
  const replay = async function* () {
    yield* buffered;
    if (more) for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  };
  const gunzip = createGunzip();
  const feed = (async () => {
    try {
      for await (const chunk of replay()) {
        if (!gunzip.write(chunk)) await new Promise((r) => gunzip.once('drain', r));
      }
      gunzip.end();
    } catch (err) {
      gunzip.destroy(err as Error);
    }
  })();
  for await (const chunk of gunzip) yield chunk as Buffer;
  await feed;
}

/**
 * Expands containers into records: CloudTrail `{"Records": [...]}` files, Azure diagnostic exports
 * (`{"records": [...]}`, as diagnostic settings write blobs and Event Hub messages) and top-level arrays.
 */
export function* expand(value: unknown, origin: RecordOrigin): Generator<RawRecord> {
  if (Array.isArray(value)) {
    for (const v of value) yield { record: v, origin };
    return;
  }
  const container = value as { Records?: unknown; records?: unknown } | null;
  const records = container?.Records ?? container?.records;
  if (Array.isArray(records) && value !== null && typeof value === 'object' && Object.keys(value).length <= 2) {
    for (const v of records) yield { record: v, origin };
    return;
  }
  yield { record: value, origin };
}

/**
 * Reads JSON records from a byte stream: JSON lines (one record per line), or one JSON document
 * spanning many lines (detected when the first line alone is not valid JSON). gzip is detected by its
 * magic bytes. Every line that is not JSON becomes an error record with its line number; a bad line
 * never costs the good lines around it.
 * @example for await (const r of readRecords(createReadStream('trail.json.gz'), 'trail.json.gz')) …
 */
export async function* readRecords(
  input: AsyncIterable<Buffer> | Readable,
  file?: string,
  options: ReadOptions = {},
): AsyncGenerator<RawRecord> {
  const maxLine = options.maxLineBytes ?? DEFAULT_MAX_LINE;
  const maxDoc = options.maxDocumentBytes ?? DEFAULT_MAX_DOC;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let overlong = false;
  let lineNo = 0;
  let firstLine = true;
  // Document mode: the first non-empty line did not parse alone; gather everything and parse once.
  let doc = undefined as Buffer[] | undefined;
  let docBytes = 0;
  let docTooBig = false;

  function* line(text: string): Generator<RawRecord> {
    lineNo++;
    const origin = { file, line: lineNo };
    const trimmed = text.trim();
    if (trimmed.length === 0) return;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (err) {
      if (firstLine && (trimmed.startsWith('{') || trimmed.startsWith('['))) {
        doc = [Buffer.from(text), Buffer.from('\n')];
        docBytes = text.length + 1;
        firstLine = false;
        return;
      }
      firstLine = false;
      yield { error: 'malformed-json', detail: (err as Error).message.slice(0, 120), origin };
      return;
    }
    firstLine = false;
    yield* expand(value, origin);
  }

  try {
    for await (const chunk of decodedChunks(input as AsyncIterable<Buffer>)) {
      if (doc !== undefined) {
        docBytes += chunk.length;
        if (docBytes > maxDoc) docTooBig = true;
        else doc.push(chunk);
        continue;
      }
      let start = 0;
      for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
        if (overlong) {
          lineNo++;
          yield { error: 'line-too-long', detail: `over ${maxLine} bytes`, origin: { file, line: lineNo } };
          overlong = false;
          pending = [];
          pendingBytes = 0;
        } else {
          const piece = chunk.subarray(start, nl);
          const text = pending.length === 0 ? piece.toString('utf8') : Buffer.concat([...pending, piece]).toString('utf8');
          pending = [];
          pendingBytes = 0;
          yield* line(text);
        }
        start = nl + 1;
        const switched = doc as Buffer[] | undefined;
        if (switched !== undefined) {
          // Switched to document mode mid-chunk: the rest of this chunk belongs to the document.
          const rest = chunk.subarray(start);
          switched.push(rest);
          docBytes += rest.length;
          break;
        }
      }
      if (doc === undefined && start < chunk.length) {
        if (!overlong) {
          pending.push(chunk.subarray(start));
          pendingBytes += chunk.length - start;
          if (pendingBytes > maxLine) {
            overlong = true;
            pending = [];
          }
        }
      }
    }
  } catch (err) {
    // gzip corruption or a read error: report it; records already yielded stand.
    const code = (err as NodeJS.ErrnoException).code ?? 'read-error';
    yield {
      error: code.startsWith('Z_') ? 'gzip-corrupt' : /^E[A-Z]+$/.test(code) ? 'unreadable' : 'read-error',
      detail: (err as Error).message,
      origin: { file, line: lineNo + 1 },
    };
  }
  if (doc !== undefined) {
    const origin = { file, line: 1 };
    if (docTooBig) {
      yield { error: 'document-too-large', detail: `over ${maxDoc} bytes`, origin };
      return;
    }
    const text = Buffer.concat(doc).toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // Not one document after all: fall back to lines so good ones survive (a truncated pretty file is lost).
      lineNo = 0;
      firstLine = false;
      for (const l of text.split('\n')) yield* line(l);
      return;
    }
    yield* expand(value, origin);
    return;
  }
  if (overlong) {
    lineNo++;
    yield { error: 'line-too-long', detail: `over ${maxLine} bytes`, origin: { file, line: lineNo } };
  } else if (pending.length > 0) {
    // A last line with no newline: often truncated mid-write; it parses or is rejected like any other.
    yield* line(Buffer.concat(pending).toString('utf8'));
  }
}

/**
 * Reads a file's bytes as a stream of chunks. Reads are synchronous on purpose: a replay walks
 * thousands of local log files one after another, and an await per open, read and close left the
 * process mostly idle between them; a chunk still goes to the consumer before the next is read.
 */
export async function* fileChunks(path: string, chunkSize = 1 << 20): AsyncGenerator<Buffer> {
  const fd = openSync(path, 'r');
  try {
    // A buffer no larger than the file: thousands of small hourly files must not cost a megabyte each.
    const size = Math.max(1, Math.min(chunkSize, fstatSync(fd).size + 1));
    for (;;) {
      const buf = Buffer.allocUnsafe(size);
      const bytesRead = readSync(fd, buf, 0, size, null);
      if (bytesRead === 0) return;
      yield bytesRead === size ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    closeSync(fd);
  }
}
