import type { IdentityEvent } from '../model/identity-event.js';

interface Timed {
  t: number;
  e: IdentityEvent;
}

interface Head {
  it: AsyncIterator<IdentityEvent>;
  buffer: Timed[];
  done: boolean;
}

const timeOf = (e: IdentityEvent): number => {
  const t = Date.parse(e.time);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
};

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
  const lookahead = options.lookahead ?? 256;
  const heads: Head[] = streams.map((s) => ({ it: s[Symbol.asyncIterator](), buffer: [], done: false }));
  const fill = async (h: Head): Promise<void> => {
    while (!h.done && h.buffer.length < lookahead) {
      const r = await h.it.next();
      if (r.done) {
        h.done = true;
        break;
      }
      // Insertion from the back keeps the buffer sorted; events mostly arrive in order, so this is O(1).
      const item = { t: timeOf(r.value), e: r.value };
      let i = h.buffer.length;
      while (i > 0 && h.buffer[i - 1]!.t > item.t) i--;
      if (i === h.buffer.length) h.buffer.push(item);
      else h.buffer.splice(i, 0, item);
    }
  };
  // Streams are filled one after another: each opens its files only when first read.
  for (const h of heads) await fill(h);
  if (heads.length === 1) {
    // One stream: no interleaving, only the look-ahead reordering.
    const h = heads[0]!;
    for (;;) {
      const next = h.buffer.shift();
      if (next === undefined) return;
      yield next.e;
      if (!h.done && h.buffer.length < lookahead / 2) await fill(h);
    }
  }
  for (;;) {
    let best: Head | undefined;
    for (const h of heads) {
      if (h.buffer.length === 0) continue;
      if (best === undefined || h.buffer[0]!.t < best.buffer[0]!.t) best = h;
    }
    if (best === undefined) return;
    yield best.buffer.shift()!.e;
    if (!best.done && best.buffer.length < lookahead / 2) await fill(best);
  }
}
