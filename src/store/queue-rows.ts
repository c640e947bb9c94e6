import { partitionOf } from '../detect/partition.js';
import type { IdentityEvent } from '../model/identity-event.js';

/** An event as the embedded queue stores it: its partition and its JSON. */
export interface QueueRow {
  partition: number;
  event: string;
}

/**
 * Events as queue rows: plain strings and numbers, cheap to hand to another thread (the request thread
 * makes them, the pipeline thread stores them). Loads no more than the partitioning.
 * @example await pipeline.acceptRows(queueRows(events, 16));
 */
export function queueRows(events: readonly IdentityEvent[], partitions: number): QueueRow[] {
  const rows = new Array<QueueRow>(events.length);
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    rows[i] = { partition: partitionOf(e, partitions), event: JSON.stringify(e) };
  }
  return rows;
}
