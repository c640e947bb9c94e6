/**
 * Whether `value` matches `glob` (`*` any run of characters, `?` one), in time linear in
 * glob length × value length: the values come from logs and requests (attacker-controlled), and a
 * backtracking RegExp of a glob with several stars takes polynomial time of high degree on a long
 * value that almost matches. `questionMark: false` makes `?` a plain character.
 * @example wildcardMatch('arn:aws:s3:::*-logs/*', 'arn:aws:s3:::app-logs/2026/01/a.gz') // true
 */
export function wildcardMatch(glob: string, value: string, caseInsensitive = false, questionMark = true): boolean {
  const any = questionMark ? 63 : -1;
  const p = caseInsensitive ? glob.toLowerCase() : glob;
  const s = caseInsensitive ? value.toLowerCase() : value;
  let pi = 0;
  let si = 0;
  let star = -1;
  let mark = 0;
  while (si < s.length) {
    const c = p.charCodeAt(pi);
    if (pi < p.length && c !== 42 && (c === any || c === s.charCodeAt(si))) {
      pi++;
      si++;
    } else if (pi < p.length && c === 42) {
      // A star: match nothing for now, and come back here to take one more character if what follows fails.
      star = pi++;
      mark = si;
    } else if (star >= 0) {
      pi = star + 1;
      si = ++mark;
    } else return false;
  }
  while (pi < p.length && p.charCodeAt(pi) === 42) pi++;
  return pi === p.length;
}

/** A compiled glob: anchored, tested in linear time. */
export interface GlobTest {
  test(value: string): boolean;
}
