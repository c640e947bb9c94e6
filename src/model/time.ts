/** Days before each month in a common year. */
const DAYS_BEFORE = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

/** The digit at `i` (0–9), or a number above 9 for any other character (unsigned arithmetic). */
const digit = (s: string, i: number): number => (s.charCodeAt(i) - 48) >>> 0;

const leap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/**
 * `Date.parse` for an event's time, with a fast path for the form every normalised event carries
 * (`Date#toISOString`'s `YYYY-MM-DDTHH:MM:SS.sssZ`): arithmetic instead of V8's parser, which costs
 * ~0.4 µs a call on the replay path, where each event's time is read three times (range check, merge,
 * detector). The same number as `Date.parse` for every input: anything not in that exact form,
 * or not a real date (February 30th), goes to `Date.parse`.
 * @example isoMs('2026-03-02T08:00:00.123Z') // 1772438400123
 */
export function isoMs(s: string): number {
  if (
    s.length !== 24 ||
    s.charCodeAt(4) !== 45 /* - */ ||
    s.charCodeAt(7) !== 45 ||
    s.charCodeAt(10) !== 84 /* T */ ||
    s.charCodeAt(13) !== 58 /* : */ ||
    s.charCodeAt(16) !== 58 ||
    s.charCodeAt(19) !== 46 /* . */ ||
    s.charCodeAt(23) !== 90 /* Z */
  ) {
    return Date.parse(s);
  }
  const y0 = digit(s, 0);
  const y1 = digit(s, 1);
  const y2 = digit(s, 2);
  const y3 = digit(s, 3);
  const mo0 = digit(s, 5);
  const mo1 = digit(s, 6);
  const d0 = digit(s, 8);
  const d1 = digit(s, 9);
  const h0 = digit(s, 11);
  const h1 = digit(s, 12);
  const mi0 = digit(s, 14);
  const mi1 = digit(s, 15);
  const s0 = digit(s, 17);
  const s1 = digit(s, 18);
  const f0 = digit(s, 20);
  const f1 = digit(s, 21);
  const f2 = digit(s, 22);
  // Any non-digit is above 9, so the largest of them tells.
  if (Math.max(y0, y1, y2, y3, mo0, mo1, d0, d1, h0, h1, mi0, mi1, s0, s1, f0, f1, f2) > 9) return Date.parse(s);
  const y = y0 * 1000 + y1 * 100 + y2 * 10 + y3;
  const mo = mo0 * 10 + mo1;
  const d = d0 * 10 + d1;
  const h = h0 * 10 + h1;
  const mi = mi0 * 10 + mi1;
  const sec = s0 * 10 + s1;
  const ms = f0 * 100 + f1 * 10 + f2;
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59) return Date.parse(s);
  const inMonth = mo === 2 ? (leap(y) ? 29 : 28) : mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31;
  if (d > inMonth) return Date.parse(s);
  // Days from 1970-01-01: whole years (with their leap days), then the months and days of this one.
  const before = y - 1;
  const leaps = Math.floor(before / 4) - Math.floor(before / 100) + Math.floor(before / 400) - 477; // 477 leap days before 1970
  const days = (y - 1970) * 365 + leaps + DAYS_BEFORE[mo - 1]! + (mo > 2 && leap(y) ? 1 : 0) + d - 1;
  return ((days * 24 + h) * 60 + mi) * 60_000 + sec * 1000 + ms;
}
