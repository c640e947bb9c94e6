import { partitionOf } from '../detect/partition.js';
import { copyPartitions, eventJson, fromWire } from '../detect/wire.js';
import type { IdentityEvent } from '../model/identity-event.js';

/**
 * A run of one partition's events as the embedded queue stores them: how many, and their JSON array.
 * One row per request and partition rather than one per event: the queue is written, read back and
 * deleted for every event the server takes in, and a row's own cost (building and binding the insert,
 * the index entry, the delete) was paid for each of a bench estate's 154,265 events instead of at
 * most once per request and partition (13,936 rows at most for its 871 requests). Deflating the runs
 * (level 1) was measured and left: the store wrote a fifth of the bytes, but the request thread's
 * compression cost more CPU than the pipeline thread's commits saved.
 */
export interface QueueRow {
  partition: number;
  /** Entries in `events`, revocation copies included. */
  count: number;
  /** How many of them are revocation copies (not counted as ingested): in memory only, not stored. */
  copies?: number | undefined;
  /** JSON array of the events, as `eventJson` writes them. */
  events: string;
}

/**
 * Events as queue rows, one per partition they fall in (partitions ascending, each keeping the events'
 * order), or with `maxChars` as many per partition as keep each row's JSON within that many characters
 * (a row holds one event at least). Plain numbers and strings, cheap to hand to another thread: the
 * request thread makes them, the pipeline thread stores them (or the bus publishes them, one message
 * each). Loads no more than the partitioning.
 * @example await pipeline.acceptRows(queueRows(events, 16));
 */
export function queueRows(events: readonly IdentityEvent[], partitions: number, maxChars = Number.POSITIVE_INFINITY): QueueRow[] {
  /** Per partition: its entries' JSON, and the indexes of those that are revocation copies (rare). */
  const byPartition = new Map<number, { parts: string[]; copyAt: number[] }>();
  const add = (p: number, json: string, copy: boolean) => {
    let run = byPartition.get(p);
    if (run === undefined) {
      run = { parts: [], copyAt: [] };
      byPartition.set(p, run);
    }
    if (copy) run.copyAt.push(run.parts.length);
    run.parts.push(json);
  };
  for (const e of events) {
    const p = partitionOf(e, partitions);
    add(p, eventJson(e), false);
    const others = copyPartitions(e, p, partitions);
    if (others.length === 0) continue;
    const copy = eventJson(e, true);
    for (const q of others) add(q, copy, true);
  }
  const rows: QueueRow[] = [];
  for (const partition of [...byPartition.keys()].sort((a, b) => a - b)) {
    const { parts, copyAt } = byPartition.get(partition)!;
    let from = 0;
    let nextCopy = 0;
    while (from < parts.length) {
      // As many entries as keep the row within maxChars (the brackets, and a comma between entries); one at least.
      let to = from + 1;
      let chars = 2 + parts[from]!.length;
      while (to < parts.length && chars + parts[to]!.length + 1 <= maxChars) chars += parts[to++]!.length + 1;
      let copies = 0;
      while (nextCopy < copyAt.length && copyAt[nextCopy]! < to) {
        copies++;
        nextCopy++;
      }
      const list = from === 0 && to === parts.length ? parts : parts.slice(from, to);
      rows.push({ partition, count: list.length, ...(copies > 0 ? { copies } : {}), events: `[${list.join(',')}]` });
      from = to;
    }
  }
  return rows;
}

/** The events of a stored run, in order, as they travelled (see `fromWire`). */
export function decodeQueueRow(events: string): IdentityEvent[] {
  const out = JSON.parse(events) as IdentityEvent[];
  for (let i = 0; i < out.length; i++) fromWire(out[i]!);
  return out;
}
