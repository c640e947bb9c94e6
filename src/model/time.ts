/** Days before each month in a common year. */
const DAYS_BEFORE = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

/** The number of `n` digits at `i`, or -1 when one of them is not a digit. */
function digitsAt(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = i; k < i + n; k++) {
    const d = s.charCodeAt(k) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

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
  const y = digitsAt(s, 0, 4);
  const mo = digitsAt(s, 5, 2);
  const d = digitsAt(s, 8, 2);
  const h = digitsAt(s, 11, 2);
  const mi = digitsAt(s, 14, 2);
  const sec = digitsAt(s, 17, 2);
  const ms = digitsAt(s, 20, 3);
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 || ms < 0) {
    return Date.parse(s);
  }
  const inMonth = mo === 2 ? (leap(y) ? 29 : 28) : mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31;
  if (d > inMonth) return Date.parse(s);
  // Days from 1970-01-01: whole years (with their leap days), then the months and days of this one.
  const before = y - 1;
  const leaps = Math.floor(before / 4) - Math.floor(before / 100) + Math.floor(before / 400) - 477; // 477 leap days before 1970
  const days = (y - 1970) * 365 + leaps + DAYS_BEFORE[mo - 1]! + (mo > 2 && leap(y) ? 1 : 0) + d - 1;
  return ((days * 24 + h) * 60 + mi) * 60_000 + sec * 1000 + ms;
}
