import type { EventSource, IdentityEvent } from '../model/identity-event.js';
import { isoMs } from '../model/time.js';
import { PARSERS } from './parsers/index.js';
import { attachRawRecord } from './raw-record.js';
import { fileChunks, type RawRecord, type ReadOptions, readRecordBatches } from './read.js';
import type { EventParser, RecordOrigin, Rejection } from './types.js';

// The file walk lives in a module of its own, which a caller can load without the parsers.
export { expandInputs } from './inputs.js';

/** Counts per source and per rejection reason: what `--stats` prints. */
export interface TelemetryStats {
  records: number;
  events: number;
  bySource: Partial<Record<EventSource, { records: number; events: number }>>;
  /** Rejections by `source/reason` (source 'unknown' when no parser claimed the record). */
  rejected: Record<string, number>;
  /** The first rejections with their file and line, so a person can look at them. */
  samples: Rejection[];
}

export function emptyTelemetryStats(): TelemetryStats {
  return { records: 0, events: 0, bySource: {}, rejected: {}, samples: [] };
}

const SAMPLE_CAP = 100;

/**
 * Event times Warden accepts: 1990-01-01 up to 2100-01-01 (UTC). An epoch value in the wrong unit or a
 * forged field (`8.64e15` read as the year 2243) would otherwise sit at the end of every time-ordered
 * replay and poison baselines; it is a counted rejection ('time-out-of-range') instead.
 */
export const TIME_RANGE = { min: Date.UTC(1990, 0, 1), max: Date.UTC(2100, 0, 1) } as const;

function inRange(iso: string): boolean {
  const t = isoMs(iso);
  return t >= TIME_RANGE.min && t < TIME_RANGE.max;
}

export interface NormalizeOptions extends ReadOptions {
  /** Skip auto-detection: every record is read as this format (`--source-type`). */
  sourceType?: EventSource | undefined;
  /**
   * Parsers that outlive the call, one per source, made here on first use: what a parser learns from
   * one input (the Vault token → accessor join) serves the next. The server keeps one set for all its
   * requests; callers must not normalise two inputs with one set at the same time.
   */
  parsers?: Map<EventSource, EventParser> | undefined;
}

function sourceStats(stats: TelemetryStats, source: EventSource): { records: number; events: number } {
  let s = stats.bySource[source];
  if (s === undefined) {
    s = { records: 0, events: 0 };
    stats.bySource[source] = s;
  }
  return s;
}

function reject(stats: TelemetryStats, r: Rejection): void {
  const key = `${r.source}/${r.reason}`;
  stats.rejected[key] = (stats.rejected[key] ?? 0) + 1;
  if (stats.samples.length < SAMPLE_CAP) stats.samples.push(r);
}

/**
 * The step from raw records to events, one record at a time: a parser per record (auto-detection, the
 * last parser that matched tried first) unless `sourceType` fixes it; every record becomes events or a
 * counted rejection. Parsers live as long as the normaliser, so a Vault request in one file pairs with
 * its response in the next.
 */
class Normalizer {
  private readonly parsers: EventParser[];
  /** Each parser's counters, found once. */
  private readonly counters: Array<{ records: number; events: number } | undefined>;
  private last: EventParser | undefined;
  private lastIndex = -1;

  constructor(
    private readonly options: NormalizeOptions,
    private readonly stats: TelemetryStats,
  ) {
    const kept = options.parsers;
    this.parsers = PARSERS.filter(([s]) => options.sourceType === undefined || s === options.sourceType).map(([s, f]) => {
      if (kept === undefined) return f();
      let p = kept.get(s);
      if (p === undefined) {
        p = f();
        kept.set(s, p);
      }
      return p;
    });
    this.counters = this.parsers.map(() => undefined);
    if (this.parsers.length === 1) {
      this.last = this.parsers[0];
      this.lastIndex = 0;
    }
  }

  private count(i: number, events: number): void {
    let s = this.counters[i];
    if (s === undefined) {
      s = sourceStats(this.stats, this.parsers[i]!.source);
      this.counters[i] = s;
    }
    s.records++;
    s.events += events;
    this.stats.events += events;
  }

  /** Normalises one record, appending its events to `out`. */
  push(raw: RawRecord, out: IdentityEvent[]): void {
    const stats = this.stats;
    stats.records++;
    if ('error' in raw) {
      reject(stats, {
        source: this.options.sourceType ?? 'unknown',
        reason: raw.error,
        origin: raw.origin,
        ...(raw.detail ? { detail: raw.detail } : {}),
      });
      return;
    }
    const record = raw.record;
    let i = -1;
    if (this.options.sourceType !== undefined) i = 0;
    else if (this.last?.detect(record)) i = this.lastIndex;
    else i = this.parsers.findIndex((p) => p !== this.last && p.detect(record));
    const parser = this.parsers[i];
    if (parser === undefined) {
      reject(stats, { source: 'unknown', reason: 'unknown-format', origin: raw.origin });
      return;
    }
    this.last = parser;
    this.lastIndex = i;
    let got: ReturnType<EventParser['push']>;
    try {
      got = parser.push(record, raw.origin);
    } catch (err) {
      // A parser bug must cost one record, never the stream.
      got = { reject: 'parser-error', detail: (err as Error).message };
    }
    if (!Array.isArray(got)) {
      this.count(i, 0);
      reject(stats, {
        source: parser.source,
        reason: got.reject,
        origin: raw.origin,
        ...(got.detail ? { detail: got.detail } : {}),
      });
      return;
    }
    // A list record (a Kubernetes EventList) made one event per item: each item is that event's record.
    const items = (record as { items?: unknown } | null)?.items;
    if (Array.isArray(items) && (record as { kind?: unknown }).kind === 'EventList') {
      if (items.length === got.length) for (let k = 0; k < got.length; k++) attachRawRecord(got[k]!, items[k], true);
    } else {
      const alone = got.length === 1;
      for (let k = 0; k < got.length; k++) attachRawRecord(got[k]!, record, alone);
    }
    let good = 0;
    for (let k = 0; k < got.length; k++) {
      const e = got[k]!;
      if (inRange(e.time)) {
        out.push(e);
        good++;
      }
    }
    if (good === 0 && got.length > 0) {
      this.count(i, 0);
      reject(stats, {
        source: parser.source,
        reason: 'time-out-of-range',
        origin: raw.origin,
        detail: `${got[0]!.time} is outside 1990..2100`,
      });
      return;
    }
    this.count(i, good);
  }

  /** End of input: what parsers still hold (unpaired Vault requests). */
  flush(out: IdentityEvent[]): void {
    for (const p of this.parsers) {
      const held = p.flush().filter((e) => inRange(e.time));
      if (held.length === 0) continue;
      this.stats.events += held.length;
      const s = sourceStats(this.stats, p.source);
      s.events += held.length;
      for (const e of held) out.push(e);
    }
  }
}

/**
 * Turns raw records into identity events, choosing a parser per record (auto-detection, the last
 * parser that matched tried first) unless `sourceType` fixes it. Parsers live as long as the call, so
 * a Vault request in one file pairs with its response in the next.
 */
export async function* normalizeRecords(
  records: AsyncIterable<RawRecord>,
  options: NormalizeOptions,
  stats: TelemetryStats,
): AsyncGenerator<IdentityEvent> {
  const n = new Normalizer(options, stats);
  const out: IdentityEvent[] = [];
  for await (const raw of records) {
    n.push(raw, out);
    if (out.length === 0) continue;
    yield* out;
    out.length = 0;
  }
  n.flush(out);
  yield* out;
}

/**
 * `normalizeRecords` a batch at a time: each batch of records becomes one array of events (empty
 * batches are skipped). One async step per batch, not per event: the replay and ingest path.
 * @example for await (const events of normalizeBatches(recordBatchesOfFiles(files, stdin), {}, stats)) …
 */
export async function* normalizeBatches(
  batches: AsyncIterable<readonly RawRecord[]>,
  options: NormalizeOptions,
  stats: TelemetryStats,
): AsyncGenerator<IdentityEvent[]> {
  const n = new Normalizer(options, stats);
  for await (const batch of batches) {
    const out: IdentityEvent[] = [];
    for (let i = 0; i < batch.length; i++) n.push(batch[i]!, out);
    if (out.length > 0) yield out;
  }
  const out: IdentityEvent[] = [];
  n.flush(out);
  if (out.length > 0) yield out;
}

/** Records of several files (and "-" for stdin) one after another, each read as lines or a document. */
export async function* recordsOfFiles(
  files: readonly string[],
  stdin: AsyncIterable<Buffer>,
  options: ReadOptions = {},
): AsyncGenerator<RawRecord> {
  for await (const batch of recordBatchesOfFiles(files, stdin, options)) yield* batch;
}

/** `recordsOfFiles` in batches (see readRecordBatches). */
export async function* recordBatchesOfFiles(
  files: readonly string[],
  stdin: AsyncIterable<Buffer>,
  options: ReadOptions = {},
): AsyncGenerator<RawRecord[]> {
  for (const file of files) {
    if (file === '-') {
      yield* readRecordBatches(stdin, '-', options);
      continue;
    }
    try {
      yield* readRecordBatches(fileChunks(file), file, options);
    } catch (err) {
      yield [{ error: 'unreadable', detail: (err as NodeJS.ErrnoException).code ?? (err as Error).message, origin: { file } }];
    }
  }
}

/**
 * Replays log files into normalised events: the function `warden events --replay` and the detector use.
 * @example for await (const e of replayFiles(['vault_audit.log'], {}, stats)) …
 */
export function replayFiles(
  files: readonly string[],
  options: NormalizeOptions,
  stats: TelemetryStats,
  stdin: AsyncIterable<Buffer> = process.stdin,
): AsyncGenerator<IdentityEvent> {
  return normalizeRecords(recordsOfFiles(files, stdin, options), options, stats);
}

/** The first record of a stream that is not a rejection, reading no further than it. */
async function firstRecord(batches: AsyncIterable<RawRecord[]>): Promise<{ record: unknown; origin: RecordOrigin } | undefined> {
  for await (const batch of batches) for (const raw of batch) if (!('error' in raw)) return raw;
  return undefined;
}

/**
 * Groups log files by the format of their first record and orders each group by the time of that
 * record (then by name): a replay of thousands of hourly files becomes one time-ordered stream per
 * source, which `mergeByTime` interleaves, whatever order the files were named in. Files whose first
 * record no parser claims (or that cannot be read) form their own group, read with auto-detection.
 * @example await groupFilesBySource(['vault-01.log', 'trail-00.json.gz', 'vault-00.log'])
 */
export async function groupFilesBySource(files: readonly string[], options: ReadOptions = {}): Promise<string[][]> {
  const groups = new Map<string, Array<{ file: string; time: number }>>();
  for (const file of files) {
    let key = 'unknown';
    let time = Number.POSITIVE_INFINITY;
    if (file === '-') key = 'stdin';
    else {
      try {
        const raw = await firstRecord(readRecordBatches(fileChunks(file, 64 * 1024), file, options, 1));
        const match = raw && PARSERS.find(([, f]) => f().detect(raw.record));
        if (raw !== undefined && match !== undefined) {
          key = match[0];
          // A fresh parser per file: its first event says when the file starts (a held Vault
          // request comes out on flush).
          const p = match[1]();
          const out = p.push(raw.record, raw.origin);
          const first = (Array.isArray(out) ? out : [])[0] ?? p.flush()[0];
          const t = first === undefined ? Number.NaN : Date.parse(first.time);
          if (!Number.isNaN(t)) time = t;
        }
      } catch {
        // unreadable: the replay reports it in its stats
      }
    }
    const g = groups.get(key);
    if (g === undefined) groups.set(key, [{ file, time }]);
    else g.push({ file, time });
  }
  // Groups in a fixed order (by source) so ties between sources break the same way every time.
  return [...groups.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([, g]) =>
      g
        .sort((a, b) => (a.time === b.time ? (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) : a.time - b.time))
        .map((x) => x.file),
    );
}
