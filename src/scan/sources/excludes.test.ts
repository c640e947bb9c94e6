import assert from 'node:assert/strict';
import { test } from 'node:test';
import { looksBinary } from './excludes.js';

/** The rule as written: more than 5 % of the first 8000 bytes are control bytes text does not use. */
function reference(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 8000);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x0b && b !== 0x1b) control++;
  }
  return n > 0 && control > n * 0.05;
}

/** A deterministic generator, so a failure names its case. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

test('looksBinary agrees with the byte-by-byte rule at every density, length and alignment', () => {
  const next = rng(7);
  const backing = new Uint8Array(9000);
  let binary = 0;
  let cases = 0;
  // Densities around the 5 % threshold, and bytes at or above 0x80 that a word test must not mistake.
  for (const density of [0, 0.01, 0.04, 0.049, 0.05, 0.051, 0.06, 0.1, 0.5, 1]) {
    for (const length of [0, 1, 3, 4, 5, 7, 8, 100, 401, 7999, 8000, 8001, 8003, 8500]) {
      for (const offset of [0, 1, 2, 3, 4]) {
        if (offset + length > backing.length) continue;
        for (let i = 0; i < backing.length; i++) {
          const r = next();
          backing[i] =
            r < density
              ? Math.floor(next() * 0x20) // a control byte (some of them allowed ones)
              : r < density + (1 - density) / 3
                ? 0x80 + Math.floor(next() * 0x80)
                : r < density + (2 * (1 - density)) / 3
                  ? [0x09, 0x0a, 0x0d, 0x1b, 0x20][Math.floor(next() * 5)]!
                  : 0x21 + Math.floor(next() * 0x5e);
        }
        const bytes = backing.subarray(offset, offset + length);
        const want = reference(bytes);
        assert.equal(looksBinary(bytes), want, `density ${density}, length ${length}, offset ${offset}`);
        assert.equal(looksBinary(Buffer.from(bytes)), want, `a copy of its own, density ${density}, length ${length}`);
        if (want) binary++;
        cases++;
      }
    }
  }
  // Both answers occur, so the comparison above meant something.
  assert.ok(binary > 50 && binary < cases - 50, `${binary} binary of ${cases}`);
});

test('looksBinary: text with line ends, tabs, ESC and UTF-8 is text; NULs and other controls past 5 % are binary', () => {
  assert.equal(looksBinary(Buffer.from('line one\r\n\tindented \x1b[1mbold\x1b[0m\fnaïve ✓\n'.repeat(100))), false);
  assert.equal(looksBinary(Buffer.alloc(0)), false);
  const mostlyText = Buffer.from('a'.repeat(1000));
  for (let i = 0; i < 50; i++) mostlyText[i * 20] = 0;
  assert.equal(looksBinary(mostlyText), false, '50 NULs in 1000 bytes is exactly 5 %, not more');
  mostlyText[999] = 0x01;
  assert.equal(looksBinary(mostlyText), true);
  // Only the first 8000 bytes count.
  const late = Buffer.concat([Buffer.from('x'.repeat(8000)), Buffer.alloc(8000)]);
  assert.equal(looksBinary(late), false);
});
