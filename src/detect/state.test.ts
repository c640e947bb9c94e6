import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Recent } from './state.js';

/** The plain definition: on a full set, the entry seen longest ago goes (the first of equals in iteration order). */
class ReferenceRecent {
  readonly map = new Map<string, number>();
  constructor(readonly cap: number) {}
  touch(key: string, ms: number): void {
    const seen = this.map.get(key);
    if (seen !== undefined) {
      if (ms > seen) this.map.set(key, ms);
      return;
    }
    if (this.map.size >= this.cap) {
      let oldest: string | undefined;
      let oldestMs = Number.POSITIVE_INFINITY;
      for (const [k, t] of this.map)
        if (t < oldestMs) {
          oldestMs = t;
          oldest = k;
        }
      if (oldest !== undefined) this.map.delete(oldest);
    }
    this.map.set(key, ms);
  }
}

test('a full set evicts exactly what a scan per eviction would, with out-of-order times and ties', () => {
  let seed = 11;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (const cap of [1, 8, 16, 64, 256]) {
    const fast = new Recent(cap);
    const ref = new ReferenceRecent(cap);
    let clock = 1_000;
    for (let i = 0; i < 20_000; i++) {
      // Mostly forward in time, sometimes late (merged logs), often the same millisecond (ties).
      clock += rnd(3);
      const ms = rnd(10) === 0 ? clock - rnd(20_000) : clock;
      const key = `k${rnd(rnd(4) === 0 ? cap * 4 : cap + 4)}`;
      fast.touch(key, ms);
      ref.touch(key, ms);
      if (i % 97 === 0) {
        assert.deepEqual(fast.toJSON(), [...ref.map], `cap ${cap}, step ${i}`);
        // Reads agree too: a key's time, and how many were seen since a moment.
        assert.equal(fast.get(key), ref.map.get(key));
        const since = clock - rnd(5_000);
        assert.equal(fast.countSince(since), [...ref.map.values()].filter((t) => t >= since).length);
      }
    }
    assert.deepEqual(fast.toJSON(), [...ref.map], `cap ${cap}`);
    assert.equal(fast.size, Math.min(cap, fast.size));
  }
});

test('a late entry older than every remaining candidate goes before them', () => {
  const r = new Recent(24);
  for (let i = 0; i < 24; i++) r.touch(`k${i}`, 100 + i);
  r.touch('x', 200); // k0 goes
  r.touch('late', 50); // k1 goes (older than x, the only newer insertion)
  r.touch('y', 300); // late (50) goes, not k2 (102)
  const keys = [...r.keys()];
  assert.ok(!keys.includes('k0') && !keys.includes('k1') && !keys.includes('late'), keys.join());
  assert.ok(keys.includes('k2') && keys.includes('y'));
});

test('a set restored from its JSON reads as a map built from those entries would (a repeated key keeps its first place and last time)', () => {
  const r = new Recent(4, [
    ['a', 10],
    ['b', 20],
    ['a', 30],
  ]);
  assert.deepEqual(r.toJSON(), [
    ['a', 30],
    ['b', 20],
  ]);
  assert.equal(r.size, 2);
  r.touch('b', 25);
  r.touch('c', 5);
  r.touch('d', 40);
  r.touch('e', 50); // full: c (5) goes, its slot is reused
  assert.deepEqual(r.toJSON(), [
    ['a', 30],
    ['b', 25],
    ['d', 40],
    ['e', 50],
  ]);
  assert.equal(r.get('c'), undefined);
  assert.equal(r.countSince(30), 3);
  assert.throws(() => new Recent(4, ['x' as unknown as [string, number]]), TypeError);
});
