import type { IdentityEvent } from '../model/identity-event.js';
import { isoMs } from '../model/time.js';

/** One input stream: what it delivered but the buffer has not taken yet, and its look-ahead buffer. */
interface Head {
  it: AsyncIterator<readonly IdentityEvent[]>;
  src: readonly IdentityEvent[];
  srcAt: number;
  /** The look-ahead buffer, sorted by time: events[start..] with their times in times[start..]. */
  events: IdentityEvent[];
  times: number[];
  start: number;
  done: boolean;
}

const timeOf = (e: IdentityEvent): number => {
  const t = isoMs(e.time);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
};

/** Events per batch the merge hands on. */
const OUT_BATCH = 256;

/**
 * Merges several event streams (one per log source) into one in time order, as the detector needs:
 * replaying `vault.log cloudtrail.log` must interleave the two, not run one then the other. Each
 * stream may be a little out of order itself (a Vault event is emitted when its response arrives;
 * CloudTrail delivers files minutes apart), so each keeps a small look-ahead buffer sorted by time.
 * Ties break by stream order then arrival order, so the merge is deterministic. Times are parsed once
 * per event.
 * @example for await (const e of mergeByTime([a, b], { lookahead: 256 })) detector.process(e)
 */
export async function* mergeByTime(
  streams: ReadonlyArray<AsyncIterable<IdentityEvent>>,
  options: { lookahead?: number } = {},
): AsyncGenerator<IdentityEvent> {
  const single = async function* (s: AsyncIterable<IdentityEvent>): AsyncGenerator<IdentityEvent[]> {
    for await (const e of s) yield [e];
  };
  for await (const batch of mergeBatchesByTime(streams.map(single), options)) yield* batch;
}

/**
 * `mergeByTime` over streams of event batches, handing on batches: the same order, event for event,
 * whatever the batches' sizes (each stream's look-ahead is counted in events), with one async step per
 * batch instead of per event. The replay path.
 * @example for await (const events of mergeBatchesByTime(streams)) for (const e of events) detector.process(e)
 */
export async function* mergeBatchesByTime(
  streams: ReadonlyArray<AsyncIterable<readonly IdentityEvent[]>>,
  options: { lookahead?: number } = {},
): AsyncGenerator<IdentityEvent[]> {
  const lookahead = options.lookahead ?? 256;
  const heads: Head[] = streams.map((s) => ({
    it: s[Symbol.asyncIterator](),
    src: [],
    srcAt: 0,
    events: [],
    times: [],
    start: 0,
    done: false,
  }));
  /** Moves delivered events into the buffer until it holds `lookahead`; false when the stream must be read. */
  const take = (h: Head): boolean => {
    const { events, times } = h;
    while (events.length - h.start < lookahead) {
      if (h.srcAt >= h.src.length) return false;
      const e = h.src[h.srcAt++]!;
      const t = timeOf(e);
      // Insertion from the back keeps the buffer sorted; events mostly arrive in order, so this is O(1).
      let i = events.length;
      while (i > h.start && times[i - 1]! > t) i--;
      if (i === events.length) {
        events.push(e);
        times.push(t);
      } else {
        events.splice(i, 0, e);
        times.splice(i, 0, t);
      }
    }
    return true;
  };
  const fill = async (h: Head): Promise<void> => {
    while (!h.done && !take(h)) {
      const r = await h.it.next();
      if (r.done) h.done = true;
      else {
        h.src = r.value;
        h.srcAt = 0;
      }
    }
    h.src = h.srcAt >= h.src.length ? [] : h.src;
  };
  // Streams are filled one after another: each opens its files only when first read.
  for (const h of heads) await fill(h);
  let out: IdentityEvent[] = [];
  for (;;) {
    let best: Head | undefined;
    let bestT = 0;
    for (const h of heads) {
      if (h.start === h.events.length) continue;
      const t = h.times[h.start]!;
      if (best === undefined || t < bestT) {
        best = h;
        bestT = t;
      }
    }
    if (best === undefined) break;
    out.push(best.events[best.start]!);
    best.start++;
    if (best.start >= lookahead) {
      // Drop what was handed on, now and then rather than per event.
      best.events.splice(0, best.start);
      best.times.splice(0, best.start);
      best.start = 0;
    }
    if (!best.done && best.events.length - best.start < lookahead / 2 && !take(best)) {
      // The stream must be read: hand on what is merged so far first.
      if (out.length > 0) {
        yield out;
        out = [];
      }
      await fill(best);
    } else if (out.length >= OUT_BATCH) {
      yield out;
      out = [];
    }
  }
  if (out.length > 0) yield out;
}
