/**
 * A glob where `*` matches any run of characters (including `/` and `:`, as AWS `StringLike` trust
 * conditions do) and `?` one character; everything else is literal; anchored at both ends. Matched
 * with the greedy two-pointer walk (at most pattern × value steps), never a RegExp, so an attacker's
 * subject cannot make a manifest glob backtrack exponentially.
 * @example globMatch('repo:acme/*:environment:prod', 'repo:acme/api:environment:prod') // true
 */
export function globMatch(glob: string, value: string): boolean {
  let g = 0;
  let v = 0;
  let star = -1;
  let mark = 0;
  while (v < value.length) {
    const c = glob[g];
    if (c === '*') {
      star = g++;
      mark = v;
    } else if (c !== undefined && (c === '?' || c === value[v])) {
      g++;
      v++;
    } else if (star >= 0) {
      g = star + 1;
      v = ++mark;
    } else return false;
  }
  while (glob[g] === '*') g++;
  return g === glob.length;
}
