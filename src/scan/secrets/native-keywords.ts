/**
 * The keyword pass's engine: Hyperscan's literal matcher through the optional addon in
 * native/keywords (built at install time where Debian's libhyperscan-dev is present), else the
 * JavaScript Aho-Corasick automaton. Both write the same (keyword id, end offset) pairs in the same
 * order; the addon is used only after it gave the automaton's exact hits on a check text built from
 * the rule set's own keywords. WARDEN_NATIVE=0 forces the automaton.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../../model/package-root.js';
import { buildKeywordAutomaton, collectKeywords, type KeywordAutomaton, type KeywordHits } from './aho-corasick.js';

/** The addon's interface (native/keywords/keywords.c). */
interface NativeKeywords {
  compile(keywords: Buffer[]): unknown;
  collect(database: unknown, bytes: Uint8Array, buf: Int32Array, hits: KeywordHits): number;
}

export type KeywordEngine = 'hyperscan' | 'js';

export interface KeywordMatcher {
  readonly engine: KeywordEngine;
  /** Why the automaton is used, when it is: the addon is missing, disabled, failed to load or disagreed. */
  readonly fallbackReason?: string;
  /** collectKeywords' contract: pairs in hits.buf (grown as needed), returns the number of ints. */
  collect(bytes: Uint8Array, hits: KeywordHits): number;
}

/** Where the build step (scripts/build-native.mjs) leaves the addon, from the package root. */
export const NATIVE_KEYWORDS_PATH = 'native/keywords/build/Release/warden_keywords.node';

let loaded: { addon?: NativeKeywords; reason?: string } | undefined;

/** The addon once per thread, or why not. */
function loadAddon(): { addon?: NativeKeywords; reason?: string } {
  if (loaded !== undefined) return loaded;
  try {
    const file = join(packageRoot(), NATIVE_KEYWORDS_PATH);
    if (!existsSync(file)) {
      loaded = { reason: 'the native keyword addon is not built' };
    } else {
      const addon = createRequire(import.meta.url)(file) as NativeKeywords;
      loaded =
        typeof addon.compile === 'function' && typeof addon.collect === 'function'
          ? { addon }
          : { reason: 'the native keyword addon has another interface' };
    }
  } catch (e) {
    loaded = { reason: `the native keyword addon did not load: ${(e as Error).message}` };
  }
  return loaded;
}

/**
 * A check text for a keyword set: every keyword alone in three casings, every keyword run into the
 * next (overlaps and shared suffixes), and bytes no keyword has (NUL, 0xff, UTF-8), so the two
 * engines must agree on ties at one end offset, case folding and non-ASCII bytes.
 */
function checkText(keywords: readonly string[]): Buffer {
  const parts: string[] = ['\u0000\u00ff\u00c3\u00a9 '];
  keywords.forEach((kw, i) => {
    const mixed = [...kw].map((c, j) => (j % 2 === 0 ? c.toUpperCase() : c)).join('');
    parts.push(kw, ' ', kw.toUpperCase(), '\n', mixed, kw, keywords[(i + 1) % keywords.length]!, '\u00ff');
  });
  return Buffer.from(parts.join(''), 'latin1');
}

function agree(
  native: (bytes: Uint8Array, hits: KeywordHits) => number,
  automaton: KeywordAutomaton,
  keywords: readonly string[],
): boolean {
  const text = checkText(keywords);
  const expected: KeywordHits = { buf: new Int32Array(2) };
  const got: KeywordHits = { buf: new Int32Array(2) };
  const n = collectKeywords(automaton, text, expected);
  // A two-int buffer also proves the overflow path: the addon must grow it as collectKeywords does.
  if (native(text, got) !== n || got.buf.length !== expected.buf.length) return false;
  for (let i = 0; i < expected.buf.length; i++) if (got.buf[i] !== expected.buf[i]) return false;
  return native(new Uint8Array(0), got) === 0;
}

/**
 * The keyword matcher for a scanner's keywords (lower-case printable ASCII, as the rule schema
 * requires): the addon when it is built, allowed, and agrees with the automaton; else the automaton.
 * @example const m = createKeywordMatcher(['akia', 'ghp_']); const n = m.collect(bytes, hits)
 */
export function createKeywordMatcher(keywords: readonly string[]): KeywordMatcher {
  const automaton = buildKeywordAutomaton(keywords);
  const js = (reason: string): KeywordMatcher => ({
    engine: 'js',
    fallbackReason: reason,
    collect: (bytes, hits) => collectKeywords(automaton, bytes, hits),
  });
  if (process.env.WARDEN_NATIVE === '0') return js('WARDEN_NATIVE=0');
  const { addon, reason } = loadAddon();
  if (addon === undefined) return js(reason ?? 'the native keyword addon is unavailable');
  if (keywords.length === 0) return js('no keywords');
  // Hyperscan folds the case of ASCII letters only, as the automaton does; other bytes are not tried.
  if (keywords.some((k) => k.length === 0 || /[^\x20-\x7e]/.test(k))) return js('keywords outside printable ASCII');
  try {
    const database = addon.compile(keywords.map((k) => Buffer.from(k.toLowerCase(), 'latin1')));
    const collect = (bytes: Uint8Array, hits: KeywordHits): number =>
      // Offsets past 2^31 do not fit an Int32Array entry; an empty hit buffer cannot double.
      bytes.length > 0x7fffffff || hits.buf.length === 0
        ? collectKeywords(automaton, bytes, hits)
        : addon.collect(database, bytes, hits.buf, hits);
    if (!agree(collect, automaton, keywords)) return js('the native keyword addon disagreed with the automaton');
    return { engine: 'hyperscan', collect };
  } catch (e) {
    return js(`the native keyword addon failed: ${(e as Error).message}`);
  }
}
