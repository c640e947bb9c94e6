import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildKeywordAutomaton, collectKeywords, type KeywordHits } from './aho-corasick.js';
import { createSecretScanner } from './engine.js';
import { createRandom, expandExample } from './examples.js';
import { loadSecretRules } from './load-rules.js';
import { createKeywordMatcher, type KeywordMatcher } from './native-keywords.js';

const rules = loadSecretRules();
const ruleKeywords = [...new Set(rules.flatMap((r) => r.keywords))];

/** Runs `body` with WARDEN_NATIVE set to `value` (undefined: unset), restoring it afterwards. */
function withNativeEnv<T>(value: string | undefined, body: () => T): T {
  const saved = process.env.WARDEN_NATIVE;
  if (value === undefined) delete process.env.WARDEN_NATIVE;
  else process.env.WARDEN_NATIVE = value;
  try {
    return body();
  } finally {
    if (saved === undefined) delete process.env.WARDEN_NATIVE;
    else process.env.WARDEN_NATIVE = saved;
  }
}

const probe = withNativeEnv(undefined, () => createKeywordMatcher(ruleKeywords));
// Without the addon (no libhyperscan-dev at install, not x86-64 Linux, or WARDEN_NATIVE=0) there is
// nothing native to compare; the fallback tests below still run. An addon that is built but does not
// load, or disagrees with the automaton, is a failure here, not a skip.
const notBuilt = probe.engine === 'js' && /not built|WARDEN_NATIVE=0/.test(probe.fallbackReason ?? '');
const skip = notBuilt ? `native keyword addon not in use: ${probe.fallbackReason}` : false;

/** Both engines over the same bytes, from the same starting buffer size: the same ints, the same growth. */
function assertSameHits(keywords: readonly string[], native: KeywordMatcher, bytes: Uint8Array, start = 4096): number {
  const want: KeywordHits = { buf: new Int32Array(start) };
  const got: KeywordHits = { buf: new Int32Array(start) };
  const n = collectKeywords(buildKeywordAutomaton(keywords), bytes, want);
  assert.equal(native.collect(bytes, got), n);
  assert.equal(got.buf.length, want.buf.length, 'grown to the same length');
  assert.deepEqual(got.buf.subarray(0, n), want.buf.subarray(0, n));
  return n;
}

function randomCase(s: string, r: () => number): string {
  return [...s].map((c) => (r() < 0.5 ? c.toUpperCase() : c)).join('');
}

describe('native keyword prefilter (Hyperscan) against the JavaScript automaton', { skip }, () => {
  const native = withNativeEnv(undefined, () => createKeywordMatcher(ruleKeywords));

  test('is the engine a scanner uses', () => {
    assert.equal(native.engine, 'hyperscan', native.fallbackReason);
    assert.equal(withNativeEnv(undefined, () => createSecretScanner({ rules })).keywordEngine, 'hyperscan');
  });

  test('random bytes, with keywords sown in', () => {
    const r = createRandom(7);
    const bytes = Buffer.alloc(1 << 20);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(r() * 256);
    for (let k = 0; k < 2000; k++) {
      const kw = Buffer.from(randomCase(ruleKeywords[Math.floor(r() * ruleKeywords.length)]!, r), 'latin1');
      kw.copy(bytes, Math.floor(r() * (bytes.length - kw.length)));
    }
    assert.ok(assertSameHits(ruleKeywords, native, bytes) >= 4000);
  });

  test('keyword-dense text: keywords run together, overlapping, in random case', () => {
    const r = createRandom(11);
    const parts: string[] = [];
    for (let k = 0; k < 20000; k++) parts.push(randomCase(ruleKeywords[Math.floor(r() * ruleKeywords.length)]!, r));
    const bytes = Buffer.from(parts.join(''), 'latin1');
    assert.ok(assertSameHits(ruleKeywords, native, bytes) >= 40000);
  });

  test('keywords at the first and last byte, and in views that start inside a larger buffer', () => {
    for (const kw of ruleKeywords.slice(0, 60)) {
      assertSameHits(ruleKeywords, native, Buffer.from(kw, 'latin1'));
      const framed = Buffer.from(`${kw}--${kw.toUpperCase()}`, 'latin1');
      assert.ok(assertSameHits(ruleKeywords, native, framed) >= 2);
      // A Buffer view into a pooled or sliced allocation: offsets are the view's, not the pool's.
      const outer = Buffer.from(`xx${kw}yy${kw}zz`, 'latin1');
      assertSameHits(ruleKeywords, native, outer.subarray(2, outer.length - 2));
      assertSameHits(ruleKeywords, native, outer.subarray(3, 3 + kw.length));
    }
  });

  test('overflow: a full hit buffer is replaced by a doubled one holding every hit, as collectKeywords does', () => {
    const bytes = Buffer.from('aws_secret_access_key '.repeat(3000), 'latin1');
    for (const start of [2, 6, 4096]) {
      const hits: KeywordHits = { buf: new Int32Array(start) };
      const first = hits.buf;
      const n = native.collect(bytes, hits);
      assert.ok(n > start, 'more ints than the buffer held');
      assert.notEqual(hits.buf, first);
      assert.ok(hits.buf.length >= n && hits.buf.length / 2 < n);
      assertSameHits(ruleKeywords, native, bytes, start);
    }
  });

  test('an empty buffer: no hits, the hit buffer untouched', () => {
    const hits: KeywordHits = { buf: new Int32Array(8).fill(-1) };
    const before = hits.buf;
    assert.equal(native.collect(Buffer.alloc(0), hits), 0);
    assert.equal(native.collect(new Uint8Array(0), hits), 0);
    assert.equal(hits.buf, before);
    assert.deepEqual([...hits.buf], new Array(8).fill(-1));
  });

  test('non-ASCII and UTF-8 bytes: only ASCII letters fold', () => {
    const r = createRandom(5);
    const noise = [
      '\u00e9',
      '\u00c9',
      '\u00df',
      '\u212a',
      '\u017f',
      '\u0131',
      '\u0130',
      '\u00c0',
      '\u00ff',
      '\u0000',
      '\u{1f511}',
    ];
    const parts: string[] = [];
    for (let k = 0; k < 5000; k++) {
      parts.push(noise[Math.floor(r() * noise.length)]!);
      const kw = ruleKeywords[Math.floor(r() * ruleKeywords.length)]!;
      // A letter of the keyword swapped for a look-alike outside ASCII (Kelvin sign, long s, dotted I…).
      parts.push(r() < 0.3 ? kw.replace(/k/, '\u212a').replace(/s/, '\u017f').replace(/i/, '\u0130') : randomCase(kw, r));
    }
    for (const encoding of ['utf8', 'latin1'] as const) {
      assert.ok(assertSameHits(ruleKeywords, native, Buffer.from(parts.join(''), encoding)) > 1000);
    }
  });

  test('every casing of a keyword, and keywords that end at the same byte', () => {
    const nested = ['abcd', 'bcd', 'cd', 'xbcd', 'abc'];
    const small = withNativeEnv(undefined, () => createKeywordMatcher(nested));
    assert.equal(small.engine, 'hyperscan');
    const casings: string[] = [];
    for (let mask = 0; mask < 16; mask++)
      casings.push([...'abcd'].map((c, i) => (mask & (1 << i) ? c.toUpperCase() : c)).join(''));
    const text = Buffer.from(`${casings.join(' ')} xabcd xbcd abcdabcd`, 'latin1');
    const n = assertSameHits(nested, small, text);
    // Each of the 16 casings ends abcd, bcd and cd at one byte (plus abc one byte earlier).
    assert.ok(n >= 16 * 4 * 2);
    const hits: KeywordHits = { buf: new Int32Array(64) };
    small.collect(Buffer.from('abcd'), hits);
    // At one end offset the longest keyword comes first, as the automaton's output lists run.
    assert.deepEqual([...hits.buf.subarray(0, 8)], [4, 3, 0, 4, 1, 4, 2, 4]);
  });

  test('findings are identical to the JavaScript engine on every rule example', () => {
    const jsScanner = withNativeEnv('0', () => createSecretScanner({ rules }));
    const nativeScanner = withNativeEnv(undefined, () => createSecretScanner({ rules }));
    assert.equal(jsScanner.keywordEngine, 'js');
    assert.equal(nativeScanner.keywordEngine, 'hyperscan');
    const r = createRandom(9);
    const texts = rules.flatMap((rule) => [...rule.examples.positive, ...rule.examples.negative].map((t) => expandExample(t, r)));
    const bytes = Buffer.from(texts.join('\n'), 'latin1');
    const want = jsScanner.scanBuffer(bytes, 'example.txt');
    assert.ok(want.findings.length > 100);
    assert.deepEqual(nativeScanner.scanBuffer(bytes, 'example.txt'), want);
  });
});

describe('JavaScript keyword fallback', () => {
  test('WARDEN_NATIVE=0 makes the automaton the engine, with the same hits', () => {
    const matcher = withNativeEnv('0', () => createKeywordMatcher(ruleKeywords));
    assert.equal(matcher.engine, 'js');
    assert.equal(matcher.fallbackReason, 'WARDEN_NATIVE=0');
    assert.equal(withNativeEnv('0', () => createSecretScanner({ rules })).keywordEngine, 'js');
    const bytes = Buffer.from('x AKIA ghp_ token=1 api_key', 'latin1');
    const want: KeywordHits = { buf: new Int32Array(4) };
    const got: KeywordHits = { buf: new Int32Array(4) };
    const n = collectKeywords(buildKeywordAutomaton(ruleKeywords), bytes, want);
    assert.ok(n > 0);
    assert.equal(matcher.collect(bytes, got), n);
    assert.deepEqual(got.buf, want.buf);
  });

  test('keywords outside printable ASCII, or none, stay with the automaton', () => {
    const accented = withNativeEnv(undefined, () => createKeywordMatcher(['caf\u00e9']));
    assert.equal(accented.engine, 'js');
    assert.equal(accented.fallbackReason, 'keywords outside printable ASCII');
    const hits: KeywordHits = { buf: new Int32Array(4) };
    assert.equal(accented.collect(Buffer.from('CAF\u00e9', 'latin1'), hits), 2);
    assert.deepEqual([...hits.buf.subarray(0, 2)], [0, 4]);
    assert.equal(withNativeEnv(undefined, () => createKeywordMatcher([])).engine, 'js');
  });

  test('the engine in use says why when it is the automaton', () => {
    const matcher = withNativeEnv(undefined, () => createKeywordMatcher(ruleKeywords));
    if (matcher.engine === 'js') assert.match(matcher.fallbackReason ?? '', /native keyword addon|WARDEN_NATIVE/);
    else assert.equal(matcher.fallbackReason, undefined);
  });
});
