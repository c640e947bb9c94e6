/**
 * Warden's one seeded PRNG, for everything that must give the same bytes for the same seed: rule
 * example expansion, the parser samples, the scenario generator and the benchmark corpora. Never for
 * secrets.
 */

/**
 * A small seeded PRNG (mulberry32): a float in [0, 1) a call, the same sequence for the same seed.
 * @example const rnd = createRandom(42); rnd() // 0.6011037519201636
 */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `n` characters of `chars`, one draw of `rnd` each.
 * @example randomChars('0123456789abcdef', 8, createRandom(1)) // 8 lower-case hex digits
 */
export function randomChars(chars: string, n: number, rnd: () => number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += chars[Math.floor(rnd() * chars.length)];
  return out;
}
