import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { pipeline, Readable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import type { RecordOrigin } from './types.js';

/** One parsed JSON record, or why a line/document could not be parsed. */
export type RawRecord = { record: unknown; origin: RecordOrigin } | { error: string; detail?: string; origin: RecordOrigin };

export interface ReadOptions {
  /** Lines (and elements of a streamed document) longer than this are rejected without being parsed. */
  maxLineBytes?: number | undefined;
  /** A whole-file JSON document that is not a record container (OTLP, one pretty record) larger than this is rejected. */
  maxDocumentBytes?: number | undefined;
  /**
   * Decompressed bytes one gzip input may produce; past it the rest of the file is one counted
   * rejection ('decompressed-too-large'). A 4 MB gzip can hold 4 GiB of zeros.
   */
  maxDecompressedBytes?: number | undefined;
}

const DEFAULT_MAX_LINE = 64 * 1024 * 1024;
const DEFAULT_MAX_DOC = 64 * 1024 * 1024;
export const DEFAULT_MAX_DECOMPRESSED = 1024 * 1024 * 1024;

/** Compressed inputs up to this size are gunzipped in one synchronous call (output capped below). */
const SYNC_GUNZIP_MAX_IN = 4 * 1024 * 1024;
/** The most one synchronous gunzip may produce; bigger outputs go through the stream. */
const SYNC_GUNZIP_MAX_OUT = 32 * 1024 * 1024;

/** The first bytes of a gzip stream (RFC 1952 §2.3.1). */
function isGzip(b: Buffer): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** Raised inside the reader when a gzip input decompresses past its budget. */
class DecompressBudgetError extends Error {
  readonly code = 'decompressed-too-large';
}

/**
 * Chunks of a stream, gunzipped when it starts with the gzip magic bytes. Decompression always has an
 * output budget and streams past small inputs, so memory stays bounded whatever the input (a gzip
 * bomb ends as one counted rejection). A corrupt gzip stream ends with an error the caller turns into a
 * counted rejection; what was decoded before it is kept.
 */
async function* decodedChunks(input: AsyncIterable<Buffer>, budget: number): AsyncGenerator<Buffer> {
  const it = input[Symbol.asyncIterator]();
  let finished = false;
  try {
    const first = await it.next();
    if (first.done) {
      finished = true;
      return;
    }
    const head = first.value;
    if (!isGzip(head)) {
      yield head;
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
      finished = true;
      return;
    }
    // Typical log archives (CloudTrail writes one small .json.gz per delivery) are decoded in one
    // synchronous call with a capped output: a streaming gunzip costs an event-loop round trip per chunk.
    // Larger, corrupt or highly compressed inputs go through the stream, which counts what it produces.
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
      if (size > SYNC_GUNZIP_MAX_IN) break;
      r = await it.next();
    }
    if (!more) {
      let out: Buffer | undefined;
      try {
        out = gunzipSync(buffered.length === 1 ? buffered[0]! : Buffer.concat(buffered, size), {
          maxOutputLength: Math.min(budget + 1, SYNC_GUNZIP_MAX_OUT),
        });
      } catch {
        // corrupt or larger than the synchronous cap: the stream below reports where it broke or counts it
      }
      if (out !== undefined) {
        if (out.length > budget) throw new DecompressBudgetError(`decompresses to over ${budget} bytes`);
        finished = true;
        yield out;
        return;
      }
    }
    const compressed = async function* () {
      yield* buffered;
      if (more) for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    };
    const gunzip = createGunzip();
    // pipeline() tears the source down when the gunzip is destroyed (budget exceeded, consumer gone).
    pipeline(Readable.from(compressed()), gunzip, () => {});
    let produced = 0;
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      produced += chunk.length;
      if (produced > budget) throw new DecompressBudgetError(`decompresses to over ${budget} bytes`);
      yield chunk;
    }
    finished = true;
  } finally {
    // Stopped early (budget, error, consumer gone): release the input (a file descriptor).
    if (!finished) void it.return?.(undefined)?.catch(() => {});
  }
}

/**
 * Expands containers into records: CloudTrail `{"Records": [...]}` files, Azure diagnostic exports
 * (`{"records": [...]}`, as diagnostic settings write blobs and Event Hub messages) and top-level arrays.
 */
export function* expand(value: unknown, origin: RecordOrigin): Generator<RawRecord> {
  const out: RawRecord[] = [];
  expandInto(value, origin, out);
  yield* out;
}

/** `expand`, appending to a batch. */
export function expandInto(value: unknown, origin: RecordOrigin, out: RawRecord[]): void {
  if (Array.isArray(value)) {
    for (const v of value) out.push({ record: v, origin });
    return;
  }
  // A record container is an object of at most two keys, one of them Records/records holding an array.
  if (value !== null && typeof value === 'object') {
    const container = value as { Records?: unknown; records?: unknown };
    const records = container.Records ?? container.records;
    if (Array.isArray(records) && Object.keys(value).length <= 2) {
      for (const v of records) out.push({ record: v, origin });
      return;
    }
  }
  out.push({ record: value, origin });
}

const LF = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const RECORDS_KEY = Buffer.from('Records');

function parseOne(text: string, origin: RecordOrigin): RawRecord {
  try {
    return { record: JSON.parse(text), origin };
  } catch (err) {
    return { error: 'malformed-json', detail: (err as Error).message.slice(0, 120), origin };
  }
}

/**
 * One JSON document spanning many lines (a pretty-printed CloudTrail file, a JSON array, OTLP),
 * read byte by byte. The elements of a top-level array or of a `{"Records": [...]}` container are
 * parsed one at a time as they complete, so memory is one element, and a syntax error costs only
 * the element it is in: a newline inside a string ends the string (JSON strings cannot hold one), and
 * in a pretty-printed file a line at the element's own indentation starts or ends an element whatever
 * the brackets before it say. Anything else is gathered whole (up to `maxDoc`) and parsed once.
 */
class DocumentReader {
  /** Bytes after the document ended, to be read again as JSON lines. */
  rest: Buffer | undefined;
  done = false;
  private readonly stack: number[] = [];
  private inStr = false;
  private esc = false;
  /** The line the reader is on (1-based). */
  line: number;
  private readonly startLine: number;
  private atLineStart = true;
  private indent = 0;
  /** 'array': elements of a top-level [...]; 'object': a top-level {...} until "Records": [ is seen. */
  private mode: 'start' | 'array' | 'object' = 'start';
  private elemDepth = 0;
  private whole: Buffer[] | undefined = [];
  private wholeBytes = 0;
  private wholeTooBig = false;
  private topAtCol0 = false;
  // the current element
  private inElem = false;
  private elemParts: Buffer[] = [];
  private elemBytes = 0;
  private elemTooBig = false;
  private elemLine = 0;
  private elemIndent = -1;
  private elemScalar = false;
  // "Records" detection at depth 1 of an object
  private keyBuf: number[] | undefined;
  private keyIsRecords = false;
  private afterColon = false;

  constructor(
    private readonly file: string | undefined,
    startLine: number,
    private readonly maxElem: number,
    private readonly maxDoc: number,
  ) {
    this.line = startLine;
    this.startLine = startLine;
  }

  private origin(line: number): RecordOrigin {
    return { file: this.file, line };
  }

  private startElem(i: number, ch: number, lineStart: boolean, elemStart: { at: number }): void {
    this.inElem = true;
    this.elemParts = [];
    this.elemBytes = 0;
    this.elemTooBig = false;
    this.elemLine = this.line;
    this.elemIndent = lineStart ? this.indent : -1;
    this.elemScalar = ch !== LBRACE && ch !== LBRACKET;
    elemStart.at = i;
  }

  private takeElem(chunk: Buffer, from: number, to: number): void {
    if (this.elemTooBig || to <= from) return;
    this.elemBytes += to - from;
    if (this.elemBytes > this.maxElem) {
      this.elemTooBig = true;
      this.elemParts = [];
    } else this.elemParts.push(chunk.subarray(from, to));
  }

  private endElem(): RawRecord {
    this.inElem = false;
    const origin = this.origin(this.elemLine);
    if (this.elemTooBig) return { error: 'line-too-long', detail: `record over ${this.maxElem} bytes`, origin };
    const text = Buffer.concat(this.elemParts).toString('utf8');
    this.elemParts = [];
    return parseOne(text, origin);
  }

  private keep(chunk: Buffer, from: number, to: number): void {
    if (this.whole === undefined || to <= from) return;
    this.wholeBytes += to - from;
    if (this.wholeBytes > this.maxDoc) {
      this.whole = undefined;
      this.wholeTooBig = true;
    } else this.whole.push(chunk.subarray(from, to));
  }

  /** Reads more of the document; appends the records completed in it. */
  push(chunk: Buffer, out: RawRecord[]): void {
    const elemStart = { at: -1 };
    let keptFrom = 0;
    if (this.inElem) elemStart.at = 0;
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i]!;
      if (this.inStr) {
        if (ch === LF) {
          // A raw newline cannot be inside a JSON string: the string was broken; resynchronise here.
          this.inStr = false;
          this.esc = false;
        } else {
          if (this.esc) this.esc = false;
          else if (ch === BACKSLASH) this.esc = true;
          else if (ch === QUOTE) {
            this.inStr = false;
            if (this.keyBuf !== undefined) {
              this.keyIsRecords = this.keyBuf.length === RECORDS_KEY.length && RECORDS_KEY.equals(Buffer.from(this.keyBuf));
              this.keyBuf = undefined;
            }
          } else if (this.keyBuf !== undefined) {
            if (this.keyBuf.length < 16) this.keyBuf.push(ch);
            else this.keyBuf = [];
          }
          continue;
        }
      }
      if (ch === LF) {
        this.line++;
        this.atLineStart = true;
        this.indent = 0;
        if (this.inElem && this.elemScalar) {
          this.takeElem(chunk, elemStart.at, i);
          out.push(this.endElem());
          elemStart.at = -1;
        }
        continue;
      }
      if (ch === SPACE || ch === TAB || ch === CR) {
        if (this.atLineStart) this.indent++;
        continue;
      }
      const lineStart = this.atLineStart;
      this.atLineStart = false;
      const depth = this.stack.length;
      if (this.mode === 'start') {
        if (ch !== LBRACE && ch !== LBRACKET) {
          // Not a document after all: the caller reads it as lines.
          this.keep(chunk, keptFrom, i);
          this.rest = chunk.subarray(i);
          this.done = true;
          return;
        }
        this.mode = ch === LBRACKET ? 'array' : 'object';
        this.elemDepth = ch === LBRACKET ? 1 : 0;
        this.topAtCol0 = lineStart && this.indent === 0;
        this.stack.push(ch);
        continue;
      }
      // Pretty-printed resynchronisation at the element's own indentation.
      if (this.inElem && !this.elemScalar && lineStart && this.indent === this.elemIndent) {
        if ((ch === RBRACE || ch === RBRACKET) && depth > this.elemDepth + 1) {
          // The element's own closing line, with brackets inside it unbalanced: close it here.
          this.stack.length = this.elemDepth + 1;
        } else if (ch === LBRACE || ch === LBRACKET) {
          // A new element begins while the last is still open: the last one is broken.
          this.takeElem(chunk, elemStart.at, i);
          const broken = this.endElem();
          out.push(
            'error' in broken ? broken : { error: 'malformed-json', detail: 'unbalanced brackets', origin: broken.origin },
          );
          this.stack.length = this.elemDepth;
          this.startElem(i, ch, lineStart, elemStart);
          this.stack.push(ch);
          continue;
        }
      }
      // A line at column 0 opening an object inside an unfinished top-level object: JSON lines whose
      // first line was broken, not one document. Read the rest as lines.
      if (this.mode === 'object' && this.elemDepth === 0 && this.topAtCol0 && lineStart && this.indent === 0 && ch === LBRACE) {
        this.rest = chunk.subarray(i);
        this.keep(chunk, keptFrom, i);
        this.done = true;
        this.wholeAsLines(out);
        return;
      }
      if (this.inElem && this.elemScalar && depth === this.elemDepth && (ch === COMMA || ch === RBRACKET || ch === RBRACE)) {
        this.takeElem(chunk, elemStart.at, i);
        out.push(this.endElem());
        elemStart.at = -1;
      }
      if (!this.inElem && this.elemDepth > 0 && depth === this.elemDepth && ch !== COMMA && ch !== RBRACKET && ch !== RBRACE) {
        this.startElem(i, ch, lineStart, elemStart);
      }
      if (ch === QUOTE) {
        this.inStr = true;
        this.keyBuf = this.mode === 'object' && this.elemDepth === 0 && depth === 1 ? [] : undefined;
        continue;
      }
      if (this.mode === 'object' && this.elemDepth === 0 && depth === 1) {
        if (ch === COLON) {
          this.afterColon = this.keyIsRecords;
          continue;
        }
        if (ch === LBRACKET && this.afterColon) {
          // {"Records": [ … ]}: stream its elements, forget the rest of the object.
          this.elemDepth = 2;
          this.whole = undefined;
          this.stack.push(ch);
          this.afterColon = false;
          continue;
        }
        this.afterColon = false;
        this.keyIsRecords = false;
      }
      if (ch === LBRACE || ch === LBRACKET) this.stack.push(ch);
      else if (ch === RBRACE || ch === RBRACKET) {
        this.stack.pop();
        const now = this.stack.length;
        if (this.inElem && now === this.elemDepth) {
          this.takeElem(chunk, elemStart.at, i + 1);
          out.push(this.endElem());
          elemStart.at = -1;
        }
        if (now === 0) {
          // The document is complete; whatever follows is read as lines.
          this.keep(chunk, keptFrom, i + 1);
          keptFrom = i + 1;
          this.rest = chunk.subarray(i + 1);
          this.done = true;
          this.finishWhole(out);
          return;
        }
      }
    }
    if (this.inElem && elemStart.at >= 0) this.takeElem(chunk, elemStart.at, chunk.length);
    this.keep(chunk, keptFrom, chunk.length);
  }

  /** A gathered top-level object (no Records array): one record, or its lines when it does not parse. */
  private finishWhole(out: RawRecord[]): void {
    if (this.mode !== 'object' || this.elemDepth !== 0) return;
    const origin = this.origin(1);
    if (this.wholeTooBig || this.whole === undefined) {
      out.push({ error: 'document-too-large', detail: `over ${this.maxDoc} bytes`, origin });
      return;
    }
    const text = Buffer.concat(this.whole).toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.wholeAsLines(out);
      return;
    }
    expandInto(value, origin, out);
  }

  /** What was gathered, read line by line: each line a record or a counted rejection. */
  private wholeAsLines(out: RawRecord[]): void {
    if (this.whole === undefined) {
      if (this.wholeTooBig)
        out.push({ error: 'document-too-large', detail: `over ${this.maxDoc} bytes`, origin: this.origin(1) });
      return;
    }
    let n = this.startLine - 1;
    for (const l of Buffer.concat(this.whole).toString('utf8').split('\n')) {
      n++;
      const t = l.trim();
      if (t.length > 0) expandOrReject(t, this.origin(n), out);
    }
    this.whole = undefined;
  }

  /** End of input: an element or document cut off is a counted rejection, never silence. */
  end(out: RawRecord[]): void {
    if (this.done) return;
    if (this.inElem) {
      if (this.elemScalar) out.push(this.endElem());
      else {
        this.inElem = false;
        out.push({ error: 'truncated', detail: 'input ended inside a record', origin: this.origin(this.elemLine) });
      }
      return;
    }
    if (this.mode === 'object' && this.elemDepth === 0) {
      if (this.stack.length === 0) this.finishWhole(out);
      else this.wholeAsLines(out);
    }
  }
}

function expandOrReject(text: string, origin: RecordOrigin, out: RawRecord[]): void {
  const r = parseOne(text, origin);
  if ('error' in r) out.push(r);
  else expandInto(r.record, origin, out);
}

/** Records per batch: enough to amortise an async step over many records, few enough to die young. */
export const RECORD_BATCH = 256;

/**
 * Reads JSON records from a byte stream: JSON lines (one record per line), or one JSON document
 * spanning many lines (detected when the first line alone is not valid JSON), whose elements are
 * streamed one at a time. gzip is detected by its magic bytes and decompressed within a budget. Every
 * record read is either a record or a counted error with its line number; a bad record never costs the
 * good ones around it.
 * @example for await (const r of readRecords(createReadStream('trail.json.gz'), 'trail.json.gz')) …
 */
export async function* readRecords(
  input: AsyncIterable<Buffer> | Readable,
  file?: string,
  options: ReadOptions = {},
): AsyncGenerator<RawRecord> {
  for await (const batch of readRecordBatches(input, file, options)) yield* batch;
}

/**
 * `readRecords` in batches: the records of a stream in order, about `batchSize` at a time (a batch
 * ends early with its input, and a document's chunk may add more). One async step per batch, not
 * per record; a line is parsed only when its batch is read, so `batchSize` 1 peeks at a first record.
 * @example for await (const batch of readRecordBatches(fileChunks('vault.log'), 'vault.log')) for (const r of batch) …
 */
export async function* readRecordBatches(
  input: AsyncIterable<Buffer> | Readable,
  file?: string,
  options: ReadOptions = {},
  batchSize = RECORD_BATCH,
): AsyncGenerator<RawRecord[]> {
  const maxLine = options.maxLineBytes ?? DEFAULT_MAX_LINE;
  const maxDoc = options.maxDocumentBytes ?? DEFAULT_MAX_DOC;
  const budget = options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let overlong = false;
  let lineNo = 0;
  let firstLine = true;
  let doc: DocumentReader | undefined;
  let out: RawRecord[] = [];

  /** One line; `raw` (the line's bytes with its newline, as [from, to) of `bytes`) feeds a document if one starts here. */
  function line(text: string, bytes: Buffer, from: number, to: number): void {
    lineNo++;
    const trimmed = text.trim();
    if (trimmed.length === 0) return;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (err) {
      if (firstLine && (trimmed.startsWith('{') || trimmed.startsWith('['))) {
        // One document spanning lines (or a broken one): read it element by element from its start.
        firstLine = false;
        doc = new DocumentReader(file, lineNo, maxLine, maxDoc);
        doc.push(from === 0 && to === bytes.length ? bytes : bytes.subarray(from, to), out);
        return;
      }
      firstLine = false;
      out.push({ error: 'malformed-json', detail: (err as Error).message.slice(0, 120), origin: { file, line: lineNo } });
      return;
    }
    firstLine = false;
    // A record (the common case) needs no expansion step: a plain object of more than two keys.
    expandInto(value, { file, line: lineNo }, out);
  }

  /**
   * Lines of a chunk from `from`; returns where to go on: the chunk's end once it is all read (its
   * unfinished last line kept for the next), earlier when the batch is full or a document started.
   */
  function lines(chunk: Buffer, from: number): number {
    let start = from;
    for (let nl = chunk.indexOf(LF, start); nl >= 0; nl = chunk.indexOf(LF, start)) {
      if (overlong) {
        lineNo++;
        out.push({ error: 'line-too-long', detail: `over ${maxLine} bytes`, origin: { file, line: lineNo } });
        overlong = false;
        pending = [];
        pendingBytes = 0;
      } else if (pending.length === 0) {
        line(chunk.toString('utf8', start, nl), chunk, start, nl + 1);
      } else {
        const piece = chunk.subarray(start, nl + 1);
        const raw = Buffer.concat([...pending, piece]);
        pending = [];
        pendingBytes = 0;
        line(raw.toString('utf8', 0, raw.length - 1), raw, 0, raw.length);
      }
      start = nl + 1;
      if (doc !== undefined || out.length >= batchSize) return start;
    }
    if (start < chunk.length && !overlong) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      if (pendingBytes > maxLine) {
        overlong = true;
        pending = [];
      }
    }
    return chunk.length;
  }

  try {
    for await (const chunk of decodedChunks(input as AsyncIterable<Buffer>, budget)) {
      let c = chunk;
      let at = 0;
      while (at < c.length) {
        if (doc !== undefined) {
          // Inside a document: it takes the rest of the chunk; when it ends, what follows is lines again.
          const d: DocumentReader = doc;
          d.push(at === 0 ? c : c.subarray(at), out);
          if (!d.done) break;
          doc = undefined;
          lineNo = d.line - 1;
          c = d.rest ?? Buffer.alloc(0);
          at = 0;
        } else at = lines(c, at);
        if (out.length >= batchSize) {
          yield out;
          out = [];
        }
      }
    }
  } catch (err) {
    // gzip corruption, a decompression bomb or a read error: one counted error; records already read stand.
    const code = (err as NodeJS.ErrnoException).code ?? 'read-error';
    out.push({
      error:
        code === 'decompressed-too-large'
          ? code
          : code.startsWith('Z_')
            ? 'gzip-corrupt'
            : /^E[A-Z]+$/.test(code)
              ? 'unreadable'
              : 'read-error',
      detail: (err as Error).message,
      origin: { file, line: lineNo + 1 },
    });
    yield out;
    return;
  }
  if (doc !== undefined) (doc as DocumentReader).end(out);
  else if (overlong) {
    lineNo++;
    out.push({ error: 'line-too-long', detail: `over ${maxLine} bytes`, origin: { file, line: lineNo } });
  } else if (pending.length > 0) {
    // A last line with no newline: often truncated mid-write; it parses or is rejected like any other.
    const raw = Buffer.concat(pending);
    line(raw.toString('utf8'), raw, 0, raw.length);
    if (doc !== undefined) (doc as DocumentReader).end(out);
  }
  if (out.length > 0) yield out;
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
