import type { IdentityEvent } from '../model/identity-event.js';

interface Head {
  it: AsyncIterator<IdentityEvent>;
  buffer: IdentityEvent[];
  done: boolean;
  index: number;
}

const timeOf = (e: IdentityEvent): number => {
  const t = Date.parse(e.time);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
};

/**
 * Merges several event streams (one per log file) into one in time order, as the detector needs:
 * replaying `vault.log cloudtrail.log` must interleave the two, not run one then the other. Each
 * stream may be a little out of order itself (a Vault event is emitted when its response arrives;
 * CloudTrail delivers files minutes apart), so each keeps a small look-ahead buffer sorted by time.
 * Ties break by stream order then arrival order, so the merge is deterministic.
 * @example for await (const e of mergeByTime([a, b], { lookahead: 256 })) detector.process(e)
 */
export async function* mergeByTime(
  streams: ReadonlyArray<AsyncIterable<IdentityEvent>>,
  options: { lookahead?: number } = {},
): AsyncGenerator<IdentityEvent> {
  const lookahead = options.lookahead ?? 256;
  const heads: Head[] = streams.map((s, index) => ({ it: s[Symbol.asyncIterator](), buffer: [], done: false, index }));
  const fill = async (h: Head): Promise<void> => {
    while (!h.done && h.buffer.length < lookahead) {
      const r = await h.it.next();
      if (r.done) h.done = true;
      else {
        // Insertion keeps the small buffer sorted; equal times keep arrival order.
        const t = timeOf(r.value);
        let i = h.buffer.length;
        while (i > 0 && timeOf(h.buffer[i - 1]!) > t) i--;
        h.buffer.splice(i, 0, r.value);
      }
    }
  };
  await Promise.all(heads.map(fill));
  for (;;) {
    let best: Head | undefined;
    for (const h of heads) {
      if (h.buffer.length === 0) continue;
      if (best === undefined || timeOf(h.buffer[0]!) < timeOf(best.buffer[0]!)) best = h;
    }
    if (best === undefined) return;
    yield best.buffer.shift()!;
    if (!best.done && best.buffer.length < lookahead / 2) await fill(best);
  }
}
