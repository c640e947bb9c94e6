/**
 * Seeded randomness for the scenario generator. Every identity and every day draws from its own
 * sub-stream (`seedOf(seed, 'identity', i, day)`), so adding an identity or an attack does not shift
 * the traffic of any other identity, and the same parameters always give the same bytes.
 */
import { createRandom, randomChars } from '../model/random.js';

/** Seeded helpers over one mulberry32 stream. */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** `n` characters drawn from `alphabet`. */
  chars(alphabet: string, n: number): string;
  hex(n: number): string;
  /** A random (v4-shaped) UUID. */
  uuid(): string;
  /** A Vault audit HMAC as the file device writes it: `hmac-sha256:<64 hex>`. */
  hmac(): string;
  /** An item by relative weight. */
  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T;
  /** A normally distributed number (Box–Muller), for jitter around a schedule. */
  normal(mean: number, sd: number): number;
}

export const HEX = '0123456789abcdef';
export const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** AWS unique ids and access key ids use this alphabet after their 4-letter prefix. */
export const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * A seeded generator (mulberry32: small, fast, good enough for traffic shapes; never for secrets).
 * @example const r = createRng(seedOf(7, 'identity', 3)); r.int(1, 6)
 */
export function createRng(seed: number): Rng {
  const next = createRandom(seed);
  const chars = (alphabet: string, n: number): string => randomChars(alphabet, n, next);
  const hex = (n: number) => chars(HEX, n);
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)]!,
    chars,
    hex,
    uuid: () => `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[Math.floor(next() * 4)]}${hex(3)}-${hex(12)}`,
    hmac: () => `hmac-sha256:${hex(64)}`,
    weighted: (items) => {
      let total = 0;
      for (const [, w] of items) total += w;
      let x = next() * total;
      for (const [v, w] of items) {
        x -= w;
        if (x < 0) return v;
      }
      return items[items.length - 1]![0];
    },
    normal: (mean, sd) => {
      const u = Math.max(next(), 1e-12);
      return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
    },
  };
}

/**
 * A stable 32-bit seed for a named sub-stream (FNV-1a over the parts).
 * @example seedOf(42, 'identity', 17, 'day', 3)
 */
export function seedOf(...parts: ReadonlyArray<string | number>): number {
  let h = 0x811c9dc5;
  const s = parts.join('\u0000');
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
