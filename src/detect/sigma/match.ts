/**
 * Sigma field matchers: one compiled predicate per detection item (a field with its modifiers and
 * values). Strings match case-insensitively unless `cased`; plain values match the whole field, with
 * `*` and `?` wildcards and Sigma's backslash escaping; a field that holds a list matches when any
 * element does. Every user regular expression is checked for nested quantifiers and back-references
 * before use and only ever sees a bounded prefix of the field.
 */

/** A compiled test of one value taken from a record. */
export type ValueTest = (v: unknown) => boolean;

/** Raised while compiling a rule that uses something Warden does not support: counted, never fatal. */
export class Unsupported extends Error {}

/** Regular expressions and keywords see at most this many characters of a field. */
export const MAX_MATCH_INPUT = 16_384;
const MAX_PATTERN = 2_048;

export const SUPPORTED_MODIFIERS = new Set([
  'contains',
  'startswith',
  'endswith',
  'all',
  're',
  'i',
  'm',
  's',
  'cidr',
  'base64',
  'base64offset',
  'utf16le',
  'utf16be',
  'utf16',
  'wide',
  'windash',
  'exists',
  'gt',
  'gte',
  'lt',
  'lte',
  'cased',
  'fieldref',
]);

type Piece = { lit: string } | { any: true } | { one: true };

/** Splits a Sigma string into literal text and wildcards: `\*` `\?` `\\` escape, a lone `\` is literal. */
export function parseWildcards(s: string): Piece[] {
  const out: Piece[] = [];
  let lit = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      const n = s[i + 1];
      if (n === '*' || n === '?' || n === '\\') {
        lit += n;
        i++;
      } else lit += c;
    } else if (c === '*' || c === '?') {
      if (lit) out.push({ lit });
      lit = '';
      out.push(c === '*' ? { any: true } : { one: true });
    } else lit += c;
  }
  if (lit) out.push({ lit });
  return out;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** True when the value is literal text only (no wildcard): the prefilter can index it. */
export function isPlain(s: string): boolean {
  return parseWildcards(s).every((p) => 'lit' in p);
}

/** The literal text of a plain Sigma string (escapes resolved). */
export function unescapeSigma(s: string): string {
  return parseWildcards(s)
    .map((p) => ('lit' in p ? p.lit : ''))
    .join('');
}

type Mode = 'exact' | 'contains' | 'startswith' | 'endswith';

/**
 * The lower case of the last string asked for: the rules of a record test the same field value many
 * times (each value of a list, each rule naming the field), and lower-casing it once is enough.
 */
let foldedIn: string | undefined;
let foldedOut = '';
function lowerOnce(s: string): string {
  if (s !== foldedIn) {
    foldedOut = s.toLowerCase();
    foldedIn = s;
  }
  return foldedOut;
}

/** A string test for one Sigma pattern (wildcards allowed) in a mode, cased or not. */
function stringTest(pattern: string, mode: Mode, cased: boolean): (s: string) => boolean {
  const pieces = parseWildcards(pattern);
  const fold = (x: string) => (cased ? x : lowerOnce(x));
  if (pieces.every((p) => 'lit' in p)) {
    const lit = fold(pieces.map((p) => (p as { lit: string }).lit).join(''));
    switch (mode) {
      case 'exact':
        // Lower case lengthens a string only by one unit per İ and never shortens it: a string of
        // another length is told apart without lower-casing it.
        return cased
          ? (s) => s === lit
          : (s) =>
              s.length === lit.length
                ? lowerOnce(s) === lit
                : s.length < lit.length && s.includes('\u0130') && lowerOnce(s) === lit;
      case 'contains':
        return (s) => fold(s).includes(lit);
      case 'startswith':
        return (s) => fold(s).startsWith(lit);
      case 'endswith':
        return (s) => fold(s).endsWith(lit);
    }
  }
  // Wildcards: a linear regular expression (no nesting, so no catastrophic backtracking beyond
  // what `.*` sequences cost on the bounded input).
  const body = pieces.map((p) => ('lit' in p ? escapeRe(p.lit) : 'any' in p ? '[\\s\\S]*?' : '[\\s\\S]')).join('');
  const src = `${mode === 'exact' || mode === 'startswith' ? '^' : ''}${body}${mode === 'exact' || mode === 'endswith' ? '$' : ''}`;
  const re = new RegExp(src, cased ? 'u' : 'iu');
  return (s) => re.test(s.length > MAX_MATCH_INPUT ? s.slice(0, MAX_MATCH_INPUT) : s);
}

/**
 * Whether a regular expression is safe to run: no quantified group that itself contains a
 * quantifier (star height above one), no back-references, bounded length. A structural check, in the
 * spirit of safe-regex: it rejects some safe patterns and keeps the engine from ever hanging.
 */
export function unsafeRegex(src: string): string | undefined {
  if (src.length > MAX_PATTERN) return 'regular expression too long';
  if (/\\[1-9]|\\k</.test(src)) return 'back-references are not supported';
  // Walk groups: a group containing a quantifier, itself followed by a quantifier, is nested.
  const stack: boolean[] = [];
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') stack.push(false);
    else if (c === ')') {
      const hadQuantifier = stack.pop() ?? false;
      const next = src[i + 1];
      const quantified = next === '*' || next === '+' || next === '?' || next === '{';
      if (hadQuantifier && quantified && next !== '?') return 'nested quantifiers (catastrophic backtracking)';
      if (hadQuantifier || (quantified && next !== '?')) {
        if (stack.length > 0) stack[stack.length - 1] = true;
      }
    } else if ((c === '*' || c === '+' || c === '{') && stack.length > 0) stack[stack.length - 1] = true;
    else if (c === '?' && stack.length > 0 && src[i - 1] !== '(') stack[stack.length - 1] = true;
  }
  return undefined;
}

/** Compiles a Sigma `re` value (PCRE-style; leading inline flags like `(?i)` become JS flags). */
export function compileRegex(src: string, flags: string): RegExp {
  let s = src;
  let f = flags;
  const inline = /^\(\?([imsx]+)\)/.exec(s);
  if (inline) {
    s = s.slice(inline[0].length);
    for (const ch of inline[1]!) if (ch !== 'x' && !f.includes(ch)) f += ch;
  }
  const bad = unsafeRegex(s);
  if (bad !== undefined) throw new Unsupported(bad);
  try {
    return new RegExp(s, f);
  } catch (err) {
    throw new Unsupported(`invalid regular expression: ${(err as Error).message}`);
  }
}

function encode(value: string, enc: 'utf8' | 'utf16le' | 'utf16be'): Buffer {
  if (enc === 'utf8') return Buffer.from(value, 'utf8');
  const le = Buffer.from(value, 'utf16le');
  if (enc === 'utf16le') return le;
  return le.swap16();
}

/** The three base64 forms a value takes at any offset inside a longer encoded string. */
function base64Offsets(bytes: Buffer): string[] {
  const start = [0, 2, 3];
  const out: string[] = [];
  for (let i = 0; i < 3; i++) {
    const padded = Buffer.concat([Buffer.alloc(i, 0x20), bytes]);
    const b64 = padded.toString('base64');
    const tail = (bytes.length + i) % 3;
    const end = tail === 0 ? b64.length : tail === 1 ? b64.length - 3 : b64.length - 2;
    out.push(b64.slice(start[i], end));
  }
  return out.filter((s) => s.length > 0);
}

const DASHES = ['-', '/', '\u2013', '\u2014', '\u2015'];

/** `windash`: every flag written with `-`, `/`, en dash, em dash or horizontal bar. */
function windash(value: string): string[] {
  if (!/(^|\s)[-/]/.test(value)) return [value];
  return DASHES.map((d) => value.replace(/(^|\s)[-/]/g, (_m, pre: string) => `${pre}${d}`));
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return undefined;
}

/** A record value as text for string matching (numbers and booleans compare as their text). */
export function asText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return undefined;
}

/** Parses an address (IPv4 or IPv6) to a bigint and its width; undefined when it is not one. */
function ipBits(ip: string): { n: bigint; width: number } | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (v4) {
    const parts = v4.slice(1).map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return { n: parts.reduce((a, p) => (a << 8n) | BigInt(p), 0n), width: 32 };
  }
  if (!ip.includes(':')) return undefined;
  let text = ip.split('%')[0]!;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const tail = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (tail) {
    const p = tail.slice(1).map(Number);
    text = `${text.slice(0, tail.index)}${((p[0]! << 8) | p[1]!).toString(16)}:${((p[2]! << 8) | p[3]!).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = halves.length === 2 ? 8 - head.length - rest.length : 0;
  const groups = [...head, ...Array<string>(Math.max(0, fill)).fill('0'), ...rest];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return { n: groups.reduce((a, g) => (a << 16n) | BigInt(Number.parseInt(g, 16)), 0n), width: 128 };
}

function cidrTest(cidr: string): (ip: string) => boolean {
  const [base, bitsText] = cidr.split('/');
  const b = ipBits(base ?? '');
  const bits = bitsText === undefined ? b?.width : Number(bitsText);
  if (b === undefined || bits === undefined || !Number.isInteger(bits) || bits < 0 || bits > b.width) {
    throw new Unsupported(`invalid CIDR ${cidr}`);
  }
  const shift = BigInt(b.width - bits);
  const net = b.n >> shift;
  return (ip) => {
    const x = ipBits(ip);
    return x !== undefined && x.width === b.width && x.n >> shift === net;
  };
}

/**
 * A record value as text for contains/startswith/endswith/re: objects (a CloudTrail policy logged as
 * JSON rather than as a string) are matched as their JSON text, bounded.
 */
function searchText(v: unknown): string | undefined {
  const t = asText(v);
  if (t !== undefined || v === null || typeof v !== 'object') return t;
  const json = JSON.stringify(v);
  return json.length > MAX_MATCH_INPUT ? json.slice(0, MAX_MATCH_INPUT) : json;
}

/** Values in a list field: any element may match (Sigma's semantics for multi-valued fields). */
function anyElement(test: ValueTest): ValueTest {
  return (v) => (Array.isArray(v) ? v.some((x) => test(x)) : test(v));
}

/**
 * Compiles one detection item: the modifiers after the field name, and its value (scalar or list).
 * `fieldOf` reads another field of the same record, for `fieldref`.
 * Throws Unsupported for what Warden cannot evaluate.
 */
export function compileItem(
  modifiers: readonly string[],
  raw: unknown,
  fieldOf: (record: unknown, path: string) => unknown,
): (value: unknown, record: unknown) => boolean {
  for (const m of modifiers) if (!SUPPORTED_MODIFIERS.has(m)) throw new Unsupported(`modifier ${m} is not supported`);
  const has = (m: string) => modifiers.includes(m);
  const values: unknown[] = Array.isArray(raw) ? raw : [raw];
  const all = has('all');
  const combine = (tests: Array<(v: unknown, r: unknown) => boolean>) => {
    if (tests.length === 0) return () => false;
    // Loops, not every/some with a closure: these run per field per record.
    return all
      ? (v: unknown, r: unknown) => {
          for (let i = 0; i < tests.length; i++) if (!tests[i]!(v, r)) return false;
          return true;
        }
      : (v: unknown, r: unknown) => {
          for (let i = 0; i < tests.length; i++) if (tests[i]!(v, r)) return true;
          return false;
        };
  };

  if (has('exists')) {
    const want = values[0] === true || values[0] === 'true' || values[0] === 'yes';
    return (v) => (v !== undefined) === want;
  }
  if (has('fieldref')) {
    const cased = has('cased');
    return combine(
      values.map((f) => {
        if (typeof f !== 'string') throw new Unsupported('fieldref needs a field name');
        return (v: unknown, r: unknown) => {
          const a = asText(v);
          const b = asText(fieldOf(r, f));
          return a !== undefined && b !== undefined && (cased ? a === b : a.toLowerCase() === b.toLowerCase());
        };
      }),
    );
  }
  const cmp = ['gt', 'gte', 'lt', 'lte'].find((m) => has(m));
  if (cmp !== undefined) {
    return combine(
      values.map((x) => {
        const n = toNumber(x);
        if (n === undefined) throw new Unsupported(`${cmp} needs a number`);
        const test: ValueTest = (v) => {
          const y = toNumber(v);
          if (y === undefined) return false;
          return cmp === 'gt' ? y > n : cmp === 'gte' ? y >= n : cmp === 'lt' ? y < n : y <= n;
        };
        return anyElement(test);
      }),
    );
  }
  if (has('cidr')) {
    return combine(
      values.map((x) => {
        if (typeof x !== 'string') throw new Unsupported('cidr needs a string');
        const t = cidrTest(x);
        return anyElement((v) => typeof v === 'string' && t(v));
      }),
    );
  }
  if (has('re')) {
    const flags = `${has('i') ? 'i' : ''}${has('m') ? 'm' : ''}${has('s') ? 's' : ''}`;
    return combine(
      values.map((x) => {
        if (typeof x !== 'string') throw new Unsupported('re needs a string');
        const re = compileRegex(x, flags);
        return anyElement((v) => {
          const s = searchText(v);
          return s !== undefined && re.test(s.length > MAX_MATCH_INPUT ? s.slice(0, MAX_MATCH_INPUT) : s);
        });
      }),
    );
  }
  const cased = has('cased');
  let mode: Mode = has('contains') ? 'contains' : has('startswith') ? 'startswith' : has('endswith') ? 'endswith' : 'exact';
  const encoding = has('utf16le') || has('wide') ? 'utf16le' : has('utf16be') ? 'utf16be' : has('utf16') ? 'utf16le' : 'utf8';
  if ((has('utf16le') || has('utf16be') || has('utf16') || has('wide')) && !has('base64') && !has('base64offset')) {
    throw new Unsupported('utf16 encodings are supported only with base64 or base64offset');
  }
  const tests = values.map((x) => {
    if (x === null) return (v: unknown) => v === undefined || v === null || v === '';
    if (typeof x === 'boolean') return anyElement((v) => v === x || (typeof v === 'string' && v.toLowerCase() === String(x)));
    if (typeof x === 'number') {
      if (mode === 'exact') return anyElement((v) => v === x || (typeof v === 'string' && v === String(x)));
    }
    if (typeof x !== 'string' && typeof x !== 'number')
      throw new Unsupported('values must be strings, numbers, booleans or null');
    let patterns = [String(x)];
    if (has('windash')) patterns = patterns.flatMap(windash);
    if (has('base64offset')) {
      // base64offset is always read as contains: the encoded value sits inside a longer one.
      patterns = patterns.flatMap((p) => base64Offsets(encode(p, encoding)));
      mode = mode === 'exact' ? 'contains' : mode;
      const lits = patterns.map((p) => stringTest(p.replace(/[*?\\]/g, '\\$&'), mode, true));
      return anyElement((v) => {
        const s = asText(v);
        return s !== undefined && lits.some((t) => t(s));
      });
    }
    if (has('base64')) {
      const lits = patterns.map((p) =>
        stringTest(
          encode(p, encoding)
            .toString('base64')
            .replace(/[*?\\]/g, '\\$&'),
          mode,
          true,
        ),
      );
      return anyElement((v) => {
        const s = asText(v);
        return s !== undefined && lits.some((t) => t(s));
      });
    }
    const compiled = patterns.map((p) => stringTest(p, mode, cased));
    const read = mode === 'exact' ? asText : searchText;
    return anyElement((v) => {
      const s = read(v);
      if (s === undefined) return false;
      for (let i = 0; i < compiled.length; i++) if (compiled[i]!(s)) return true;
      return false;
    });
  });
  return combine(tests.map((t) => (v: unknown) => t(v)));
}

/** A keyword (an unnamed list entry): matches when any string value anywhere in the record contains it. */
export function compileKeyword(value: unknown, cased = false): (record: unknown) => boolean {
  if (typeof value !== 'string' && typeof value !== 'number') throw new Unsupported('keywords must be strings or numbers');
  const t = stringTest(String(value), 'contains', cased);
  return (record) => someString(record, t, 0);
}

function someString(v: unknown, t: (s: string) => boolean, depth: number): boolean {
  if (depth > 32) return false;
  if (typeof v === 'string') return t(v.length > MAX_MATCH_INPUT ? v.slice(0, MAX_MATCH_INPUT) : v);
  if (typeof v === 'number' || typeof v === 'boolean') return t(String(v));
  if (Array.isArray(v)) return v.some((x) => someString(x, t, depth + 1));
  if (v !== null && typeof v === 'object') return Object.values(v).some((x) => someString(x, t, depth + 1));
  return false;
}
