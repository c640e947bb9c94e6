import { createRandom, randomChars } from '../../src/model/random.js';

/** Seeded helpers over Warden's own PRNG, so a corpus is the same bytes on every machine. */
export interface Rng {
  /** The raw generator, for expandExample(). */
  next: () => number;
  /** An integer in [min, max]. */
  int: (min: number, max: number) => number;
  chance: (p: number) => boolean;
  pick: <T>(items: readonly T[]) => T;
  /** `n` characters drawn from `chars`. */
  chars: (chars: string, n: number) => string;
}

export const HEX = '0123456789abcdef';
export const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const B64 = `${ALNUM}+/`;

/** @example const r = createRng(42); r.int(1, 6) */
export function createRng(seed: number): Rng {
  const next = createRandom(seed);
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)]!,
    chars: (chars, n) => randomChars(chars, n, next),
  };
}

/** A stable 32-bit seed for a named sub-stream (FNV-1a), so adding files does not shift every other file. */
export function seedOf(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join('\u0000')) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
