/** Units a duration may use: `90s`, `15m`, `1h`, `1h30m`, `2d`. */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(?:\d+(?:ms|s|m|h|d))+$/;
const PART = /(\d+)(ms|s|m|h|d)/g;

/**
 * Milliseconds of a duration such as `15m`, `1h30m` or `90s`; undefined when the text is not one, or
 * is zero, or is longer than a year (a typo, never a credential lifetime).
 * @example parseDuration('1h30m') // 5_400_000
 */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (t.length > 32 || !DURATION.test(t)) return undefined;
  let ms = 0;
  for (const m of t.matchAll(PART)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  if (ms <= 0 || ms > 366 * UNIT_MS.d!) return undefined;
  return ms;
}

/**
 * The shortest text for a duration, in whole seconds: 900000 → `15m`, 5400000 → `1h30m`.
 * @example formatDuration(3_600_000) // '1h'
 */
export function formatDuration(ms: number): string {
  let s = Math.max(0, Math.floor(ms / 1000));
  if (s === 0) return '0s';
  let out = '';
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (s >= size) {
      out += `${Math.floor(s / size)}${unit}`;
      s %= size;
    }
  }
  return out;
}
