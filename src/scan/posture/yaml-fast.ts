import { FAILSAFE_SCHEMA, loadAll, type Schema, type State, Type } from 'js-yaml';
import {
  Composer,
  type CST,
  type Document,
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  Parser,
  parseAllDocuments,
} from 'yaml';
import { recentByText } from './recent.js';
import type { PostureContext } from './types.js';

/**
 * Every document of a YAML stream through the `yaml` package (positions kept, errors unprettified,
 * duplicate keys allowed), with its line counter: the one exact parse the Kubernetes and GitLab CI
 * analyzers and the Kubernetes inventory extractor share for a file. Read-only for callers.
 */
export const parseYamlDocuments = recentByText((text): { docs: Document[]; lineCounter: LineCounter } => {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  // An empty stream is not an array of documents: no documents.
  return { docs: Array.isArray(parsed) ? parsed : [], lineCounter };
});

/**
 * A fast first pass for the YAML posture analyzers: "parse fast, locate lazily".
 *
 * The `yaml` package keeps source ranges, which give every finding its exact line, but it reads about
 * 2 MB/s; js-yaml builds plain values without positions at 20-30 MB/s. Most YAML files produce no
 * finding, so each analyzer first runs its own checks over js-yaml's values with a context that only
 * notes whether anything would be reported (`quietOn`). Nothing: the file is done. Anything at all (a
 * finding, a malformed report, an exception) or any input where the two parsers may read the text
 * differently: the analyzer runs as before over the `yaml` tree, which decides every finding, line and
 * message. The fast pass can therefore only ever skip work, never change a result, provided it sees
 * the same values as the exact pass wherever a check looks; the guards below keep to that.
 */

// ---------------------------------------------------------------------------------------------------
// Schema

// The `yaml` package's YAML 1.2 core schema (yaml/dist/schema/core), which the exact pass resolves plain
// scalars with. js-yaml's own CORE_SCHEMA differs at the edges (`1_000`, `0b1`, `+0x1`, `.5e3` spellings),
// and a value read differently could hide a finding, so the same tests and conversions are restated here.
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_OCT = /^0o[0-7]+$/;
const INT_DEC = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

const isText = (s: unknown): s is string => typeof s === 'string';

const nullType = new Type('tag:yaml.org,2002:null', {
  kind: 'scalar',
  resolve: (s) => isText(s) && NULL.test(s),
  construct: () => null,
});
const boolType = new Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (s) => isText(s) && BOOL.test(s),
  construct: (s: string) => s[0] === 't' || s[0] === 'T',
});
const intType = new Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (s) => isText(s) && (INT_OCT.test(s) || INT_DEC.test(s) || INT_HEX.test(s)),
  construct: (s: string) =>
    INT_OCT.test(s) ? Number.parseInt(s.slice(2), 8) : INT_HEX.test(s) ? Number.parseInt(s.slice(2), 16) : Number.parseInt(s, 10),
});
const floatType = new Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (s) => isText(s) && (FLOAT_NAN.test(s) || FLOAT_EXP.test(s) || FLOAT.test(s)),
  construct: (s: string) => {
    if (!FLOAT_NAN.test(s)) return Number.parseFloat(s);
    if (s.slice(-3).toLowerCase() === 'nan') return Number.NaN;
    return s[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  },
});

/**
 * Plain scalars resolved as the `yaml` package's default (YAML 1.2 core) schema resolves them. No `<<`
 * merge type: like the exact pass, `<<` stays an ordinary key and analyzers that honour merge keys
 * expand it themselves. Tags outside the schema make js-yaml throw, which sends the file to the exact pass.
 */
export const YAML_CORE: Schema = FAILSAFE_SCHEMA.extend({ implicit: [nullType, boolType, intType, floatType] });

/** Strings, sequences and mappings only: every plain scalar kept as its source text. */
export const YAML_FAILSAFE: Schema = FAILSAFE_SCHEMA;

// ---------------------------------------------------------------------------------------------------
// Loading

export type FastParse =
  | { ok: true; docs: unknown[] }
  /**
   * `directive`: a `%YAML`/`%TAG` directive, which changes how the exact pass reads the text (YAML 1.1
   * booleans, merge keys). `key`: a key that may not be a scalar. `anchor`: an anchor where the caller
   * rejects them. `error`: js-yaml refused the text; `at` is where.
   */
  | { ok: false; why: 'directive' | 'key' | 'anchor' | 'error'; at?: number };

const DIRECTIVE = /^%/m;
/**
 * A key that is not a scalar: an explicit `? key`, a flow collection or an alias before `:`. The AST
 * tree skips or renders such keys as YAML text, js-yaml as a joined string (`[jobs]: x` gives a key
 * `jobs`), so a check could find a field in one tree that the other lacks. Loose on purpose: `?` or
 * `]:` inside a script only costs the fast pass.
 */
const COMPLEX_KEY = /(?:^|[\s[{,])\?(?=[ \t\r\n]|$)|[\]}][ \t]*:(?=[ \t\r\n]|$)/m;
const ALIAS_KEY = /(?:^|[\s[{,?-])\*[^\s,[\]{}]+[ \t]*:(?=[ \t\r\n]|$)/m;

/**
 * Every document of `text` as plain values (maps as plain objects, sequences as arrays), or why not.
 * `anchors: 'none'` is for analyzers whose exact pass leaves aliases unresolved (it sees an alias node
 * where js-yaml sees the anchored value): any anchor sends the file to it. Anchors need a `&`: only
 * then is js-yaml's listener attached.
 * @example loadFast('a: 1\n---\nb: [x]\n', { schema: YAML_CORE }) // { ok: true, docs: [{ a: 1 }, { b: ['x'] }] }
 */
export function loadFast(text: string, options: { schema: Schema; anchors?: 'all' | 'none' }): FastParse {
  if (DIRECTIVE.test(text)) return { ok: false, why: 'directive' };
  const anchors = text.includes('&');
  if (COMPLEX_KEY.test(text) || (anchors && ALIAS_KEY.test(text))) return { ok: false, why: 'key' };
  let anchored = false;
  const listener =
    anchors && options.anchors === 'none'
      ? (event: string, state: State) => {
          // js-yaml restores a node's own anchor before its 'close' event (children reset it while open).
          if (event === 'close' && (state as State & { anchor: string | null }).anchor !== null) anchored = true;
        }
      : undefined;
  let docs: unknown[];
  try {
    docs = loadAll(text, null, listener ? { schema: options.schema, listener } : { schema: options.schema });
  } catch (err) {
    const at = (err as { mark?: { position?: number } }).mark?.position;
    return at === undefined ? { ok: false, why: 'error' } : { ok: false, why: 'error', at };
  }
  if (anchored) return { ok: false, why: 'anchor' };
  return { ok: true, docs };
}

/** A mapping as js-yaml builds it: a plain object (sequences are arrays, scalars primitives, `null` empty). */
export function isPlainMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

/** A field of a js-yaml mapping: undefined when absent, `null` when present and empty. */
export function plainGet(v: unknown, key: string): unknown {
  return isPlainMap(v) && Object.hasOwn(v, key) ? v[key] : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Trees

/** A mapping entry: the key as text, the key's node (for its line; undefined in a value tree) and the value. */
export interface Entry {
  key: string;
  keyNode: unknown;
  value: unknown;
}

/** A tagged collection in a value tree (GitLab's `!reference [job, key]`), kept apart from plain arrays. */
export class Tagged {
  constructor(
    readonly tag: string,
    readonly value: unknown,
  ) {}
}

/**
 * One YAML document as the CI analyzers read it, over either parser's output: aliases followed and
 * `<<: *anchor` merge keys expanded (GitLab templates rely on them). `AstTree` reads the `yaml` AST and
 * places findings; `ValueTree` reads js-yaml values for the fast pass and places nothing. The lookups
 * the checks make are defined once, here, so both passes answer them alike.
 */
export abstract class Tree {
  constructor(readonly ctx: PostureContext) {}

  /** The node itself with an alias resolved; undefined for nothing. */
  abstract node(n: unknown): unknown;
  abstract isMap(n: unknown): boolean;
  abstract isSeq(n: unknown): boolean;
  /** A scalar's value as text (numbers and booleans too); undefined for null, collections and nothing. */
  abstract str(n: unknown): string | undefined;
  /** A scalar's value when it is a string (not a number or boolean). */
  abstract text(n: unknown): string | undefined;
  /** A node's explicit tag, such as `!reference`. */
  abstract tag(n: unknown): string | undefined;
  /** 1-based line where a node starts (1 in a value tree). */
  abstract line(n: unknown): number;
  /** The source text a node spans (empty in a value tree). */
  abstract source(n: unknown): string;
  /** Line of `needle` inside a scalar such as a `run: |` block, or the scalar's first line. */
  abstract lineWithin(n: unknown, needle: string): number;
  /** A map's own pairs in order, values as they stand (aliases unresolved). */
  protected abstract pairs(map: unknown): Entry[];
  /** A sequence's items as they stand. */
  protected abstract rawItems(seq: unknown): unknown[];

  /** Key/value entries of a map, explicit keys first, then those merged in through `<<: *anchor`. */
  entries(n: unknown, seen = new Set<unknown>()): Entry[] {
    const map = this.node(n);
    // A merge key may point back at a map being expanded; each map is expanded once.
    if (!this.isMap(map) || seen.has(map)) return [];
    seen.add(map);
    const out: Entry[] = [];
    const merged: unknown[] = [];
    for (const { key, keyNode, value } of this.pairs(map)) {
      if (key === '<<') {
        const v = this.node(value);
        if (this.isSeq(v)) merged.push(...this.rawItems(v));
        else merged.push(v);
        continue;
      }
      out.push({ key, keyNode, value: this.node(value) });
    }
    for (const m of merged) {
      for (const e of this.entries(m, seen)) if (!out.some((o) => o.key === e.key)) out.push(e);
    }
    return out;
  }

  get(n: unknown, key: string): unknown {
    return this.entries(n).find((e) => e.key === key)?.value;
  }

  has(n: unknown, key: string): boolean {
    return this.entries(n).some((e) => e.key === key);
  }

  /** Items of a sequence, aliases resolved. */
  items(n: unknown): unknown[] {
    const s = this.node(n);
    if (!this.isSeq(s)) return [];
    return this.rawItems(s)
      .map((i) => this.node(i))
      .filter((i) => i !== undefined);
  }
}

/** The `yaml` AST of one document, with source ranges for lines. */
export class AstTree extends Tree {
  constructor(
    readonly doc: Document,
    ctx: PostureContext,
  ) {
    super(ctx);
  }

  node(n: unknown): Node | undefined {
    if (isAlias(n)) return (n.resolve(this.doc) as Node | undefined) ?? undefined;
    return isNode(n) ? (n as Node) : undefined;
  }

  isMap(n: unknown): boolean {
    return isMap(n);
  }

  isSeq(n: unknown): boolean {
    return isSeq(n);
  }

  str(n: unknown): string | undefined {
    const s = this.node(n);
    if (!isScalar(s) || s.value === null || s.value === undefined) return undefined;
    return typeof s.value === 'object' ? undefined : String(s.value);
  }

  text(n: unknown): string | undefined {
    const s = this.node(n);
    return isScalar(s) && typeof s.value === 'string' ? s.value : undefined;
  }

  tag(n: unknown): string | undefined {
    return this.node(n)?.tag;
  }

  line(n: unknown): number {
    return this.ctx.lineOf(rangeOf(n)?.[0] ?? 0);
  }

  source(n: unknown): string {
    const r = rangeOf(n);
    return r ? this.ctx.text.slice(r[0], r[2]) : '';
  }

  lineWithin(n: unknown, needle: string): number {
    const start = this.line(n);
    const t = needle.trim();
    const r = rangeOf(n);
    if (!r || t === '') return start;
    const end = this.ctx.lineOf(r[2]);
    const at = this.ctx.findLine(t, start);
    return at >= start && at <= end ? at : start;
  }

  protected pairs(map: unknown): Entry[] {
    if (!isMap(map)) return [];
    return map.items.map((pair) => {
      const keyNode = isScalar(pair.key) ? pair.key : undefined;
      return { key: keyNode ? String(keyNode.value) : String(pair.key), keyNode, value: pair.value };
    });
  }

  protected rawItems(seq: unknown): unknown[] {
    return isSeq(seq) ? seq.items : [];
  }
}

function rangeOf(n: unknown): readonly [number, number, number] | undefined {
  return isNode(n) ? (n.range ?? undefined) : undefined;
}

/**
 * js-yaml's values for one document (aliases already shared objects, `<<` kept as a key): the fast
 * pass's tree. Keys are strings, as the AST tree renders its scalar keys.
 */
export class ValueTree extends Tree {
  node(n: unknown): unknown {
    return n;
  }

  isMap(n: unknown): boolean {
    return isPlainMap(n);
  }

  isSeq(n: unknown): boolean {
    return Array.isArray(n) || (n instanceof Tagged && Array.isArray(n.value));
  }

  str(n: unknown): string | undefined {
    return n === null || n === undefined || typeof n === 'object' ? undefined : String(n);
  }

  text(n: unknown): string | undefined {
    return typeof n === 'string' ? n : undefined;
  }

  tag(n: unknown): string | undefined {
    return n instanceof Tagged ? n.tag : undefined;
  }

  line(): number {
    return 1;
  }

  source(): string {
    return '';
  }

  lineWithin(): number {
    return 1;
  }

  protected pairs(map: unknown): Entry[] {
    return isPlainMap(map) ? Object.entries(map).map(([key, value]) => ({ key, keyNode: undefined, value })) : [];
  }

  protected rawItems(seq: unknown): unknown[] {
    const v = seq instanceof Tagged ? seq.value : seq;
    return Array.isArray(v) ? v : [];
  }
}

// ---------------------------------------------------------------------------------------------------
// Probing

/** Thrown by the probe at the first report; never escapes `quietOn`. */
const HEARD = Symbol('heard');

/**
 * Runs `check` against a context that records no finding, only whether any report (or malformed
 * report) was made. True when the check ran to its end and reported nothing: the exact pass would
 * report nothing either. An exception means unsure, never clean.
 * @example if (fastPath && quietOn(ctx, (probe) => checks(probe, docs))) return;
 */
export function quietOn(ctx: PostureContext, check: (probe: PostureContext) => void): boolean {
  let heard = false;
  // The first report settles the question: the check is cut short (a check that catches the throw
  // still leaves `heard` set).
  const hear = (): never => {
    heard = true;
    throw HEARD;
  };
  const probe: PostureContext = {
    path: ctx.path,
    text: ctx.text,
    // Positions are never needed: a report of any kind sends the file to the exact pass.
    lineOf: () => 1,
    findLine: (_needle, fromLine = 1) => fromLine,
    report: hear,
    malformed: hear,
  };
  try {
    check(probe);
  } catch {
    return false;
  }
  return !heard;
}

// ---------------------------------------------------------------------------------------------------
// Errors

/** A document marker line: `---` or `...` at column 0, then white space or the end of the line. */
const MARKER = /^(?:---|\.\.\.)(?=[ \t\r\n]|$)/gm;
/**
 * A line that opens an entry of a block collection at the root: column 0, not a comment and not
 * flow or explicit-key punctuation (which could continue something begun above).
 */
const ROOT_ENTRY = /^[^\s#:?,\]}]/gm;

/**
 * Whether the `yaml` package finds an error in the document that holds offset `at` (where js-yaml
 * stopped), without parsing the whole stream: the Kubernetes analyzer needs to know that a Helm
 * template does not parse, and this document is where to look.
 *
 * - The `yaml` lexer restarts at every document marker, even inside an unclosed quote or flow
 *   collection, so a document reads the same alone as in its stream (directives aside, which answer
 *   false here).
 * - Within that document only the lines up to the first root entry after `at` are parsed. When the
 *   lexer is back in block context there (the root is a block collection, or a flow collection that
 *   closed: Helm's `{{- if … }}` line), a root entry closes every scalar and collection opened above
 *   it, and the parser works left to right, so an error that this prefix shows before its cut is one
 *   the whole document shows too. A missing closing quote or bracket is not taken as proof (the cut may
 *   be what left it open), nor is anything when the root is an open flow collection or a scalar,
 *   whose lines may continue at column 0; then the whole document is parsed.
 * @example documentHasError('a: 1\n---\nb: [\n', 10) // true
 */
export function documentHasError(text: string, at: number | undefined): boolean {
  if (at === undefined || DIRECTIVE.test(text)) return false;
  let start = 0;
  let end = text.length;
  for (const m of text.matchAll(MARKER)) {
    if (m.index > at) {
      end = m.index;
      break;
    }
    // A `---` line belongs to the document it opens (it may carry content: `--- |`); a `...` line
    // closes the previous one.
    if (m[0] === '---') start = m.index;
    else {
      const eol = text.indexOf('\n', m.index);
      start = eol < 0 ? text.length : eol + 1;
    }
  }
  if (start > at) return false;
  const eol = text.indexOf('\n', at);
  ROOT_ENTRY.lastIndex = eol < 0 ? text.length : eol + 1;
  const entry = eol < 0 ? null : ROOT_ENTRY.exec(text);
  if (entry && entry.index < end) {
    const cut = entry.index - start;
    const tokens = Array.from(new Parser().parse(text.slice(start, entry.index)));
    const prefix = Array.from(new Composer({ prettyErrors: false, uniqueKeys: false }).compose(tokens));
    const documents = tokens.filter((t) => t.type === 'document');
    const root = documents.length === 1 && tokens.every((t) => AROUND_DOCUMENT.has(t.type)) ? documents[0]!.value : undefined;
    if (prefix.length === 1 && root && inBlockContextAfter(root)) {
      if (prefix[0]!.errors.some((e) => e.code !== 'MISSING_CHAR' && e.pos[0] < cut)) return true;
    }
  }
  const docs = parseAllDocuments(text.slice(start, end), { prettyErrors: false, uniqueKeys: false });
  return Array.isArray(docs) && docs.some((d) => d.errors.length > 0);
}

/**
 * The first error of the first document of a stream that has one, as `parseYamlDocuments` would give
 * it (`{ message }` of that document's first error), or null when no document has an error: the
 * Kubernetes analyzer's reason for a broken manifest. The `yaml` package's own pipeline (lexer, parser,
 * composer: what `parseAllDocuments` runs) is consumed lazily and left at the first broken document, so
 * the documents after it are never lexed nor composed. The composer hands a document over only once the
 * next one begins or the input ends, complete with its errors. Shared by text with the inventory
 * extractor, which only needs to know that a document is broken; use it where the stream is likely
 * broken (js-yaml refused it), since for a clean stream it is a whole parse kept nowhere.
 * @example firstDocumentError('a: 1\n---\nb: [\n---\nc: 2\n')?.message // the flow sequence's error
 */
export const firstDocumentError = recentByText((text): { message: string } | null => {
  const cached = parseYamlDocuments.peek(text);
  const docs = cached ? cached.docs : new Composer({ uniqueKeys: false, prettyErrors: false }).compose(new Parser().parse(text));
  for (const doc of docs) if (doc.errors.length > 0) return { message: doc.errors[0]!.message };
  return null;
});

/**
 * js-yaml's reasons for refusing a text that name a syntax error no YAML 1.2 reading accepts: an implicit
 * key over more than one line, a key without its colon, a sequence entry out of line, a flow collection
 * missing a comma, a quoted scalar or flow collection still open at the end. For these the `yaml` package
 * finds an error too (held by a test over the posture fixtures, their variants and tens of thousands of
 * random edits of them); other refusals (a repeated key, an unknown tag, most indentation complaints) it
 * may read as valid, so they prove nothing.
 */
const CERTAIN_REASONS: ReadonlySet<string> = new Set([
  'can not read a block mapping entry; a multiline key may not be an implicit key',
  'can not read an implicit mapping pair; a colon is missed',
  'bad indentation of a sequence entry',
  'missed comma between flow collection entries',
  'unexpected end of the stream within a flow collection',
  'unexpected end of the stream within a single quoted scalar',
  'unexpected end of the stream within a double quoted scalar',
  'unexpected end of the document within a single quoted scalar',
  'unexpected end of the document within a double quoted scalar',
]);

/**
 * A syntax error the text certainly has, as js-yaml words and places it (1-based line and column), or
 * null when js-yaml reads the text or refuses it for a reason that proves nothing. The exact passes ask
 * this before the `yaml` parse and report such a file malformed in these words: the `yaml` package reads
 * a broken file no faster than a whole one (2–4 MB/s), js-yaml stops at the error. Texts with a `%`
 * directive are left to the `yaml` package.
 * @example certainYamlError('a: 1\nSTRAY LINE\n  b: 2\n')?.message // 'can not read a block mapping entry; …'
 */
export const certainYamlError = recentByText((text): { message: string; line: number; column: number } | null => {
  if (DIRECTIVE.test(text)) return null;
  try {
    loadAll(text, () => {}, { schema: FAILSAFE_SCHEMA });
    return null;
  } catch (err) {
    const e = err as { reason?: unknown; mark?: { line?: unknown; column?: unknown } };
    if (typeof e.reason !== 'string' || !CERTAIN_REASONS.has(e.reason)) return null;
    if (typeof e.mark?.line !== 'number' || typeof e.mark.column !== 'number') return null;
    return { message: e.reason, line: e.mark.line + 1, column: e.mark.column + 1 };
  }
});

/** CST tokens a one-document prefix may hold: the document and what may stand before it. */
const AROUND_DOCUMENT = new Set(['document', 'comment', 'newline', 'space', 'byte-order-mark']);

/** A root CST node after which a column-0 line is lexed in block context: no open flow collection or scalar. */
function inBlockContextAfter(root: CST.Token): boolean {
  if (root.type === 'block-map' || root.type === 'block-seq') return true;
  return root.type === 'flow-collection' && root.end.some((t) => t.type === 'flow-map-end' || t.type === 'flow-seq-end');
}

// ---------------------------------------------------------------------------------------------------
// Positions from the fast parse

/** Where a collection starts, and where each of its keys (mappings) or items (sequences) starts. */
interface Place {
  start: number;
  keys?: Map<string, number>;
  items?: number[];
}

/** Values with lines, as `parseYamlStream` (inventory) and `parseWithPositions` (CloudFormation) give them. */
export interface FastPositioned {
  values: unknown[];
  /** 1-based line of `key` in a map or array of `values`, or of the container itself; undefined when unknown. */
  line(container: unknown, key?: string | number): number | undefined;
}

/** Text the position-keeping fast parse leaves to the exact parser: where its tree or lines could differ. */
const UNSURE_TEXT = /[&!\r\uFEFF]|(?<!\$)\{\{|<</;
/** The same where the caller names the tags it takes (each tag is then checked where it stands). */
const UNSURE_UNTAGGED = /[&\r\uFEFF]|(?<!\$)\{\{|<</;
/** A short tag at a node's start: `!Ref ` (the value follows after white space or on the next line). */
const TAG = /!([A-Za-z0-9]+)(?=[ \t\n])/y;
/** Keys that one schema reads as text and another as a number, null or boolean: the key's text could differ. */
const TYPED_KEY = /^(?:~|null|Null|NULL|[-+]?[0-9.]|0[xo]|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)/;
/** Node budget: larger streams go to the exact parser, which enforces its own limits. */
const MAX_FAST_NODES = 100_000;

/**
 * Every document of `text` through js-yaml (10x the `yaml` package's speed) with the line of every
 * collection, key and item taken from js-yaml's open/close events, answering `line` exactly as the
 * `yaml` tree's source ranges would. Undefined whenever the two could differ: anchors and aliases,
 * tags (`!Ref`), directives, complex or typed keys, merge keys, Helm templates (`{{`, but GitHub's `${{`), CR line ends, a
 * byte-order mark, empty sequence items, or text js-yaml refuses; callers then run the exact parse.
 * With `YAML_FAILSAFE` every plain scalar stays its source text, as `parseWithPositions` keeps it.
 * `tags`: short tags (`Ref` for `!Ref`) that `schema` constructs as a one-key wrapper around the tagged
 * value (CloudFormation's `!Ref x` → `{ Ref: 'x' }`); such a node starts where its value starts, and
 * the wrapper is placed as the value is. Any other tag still leaves the text to the exact parser.
 * @example parseFastPositioned('a:\n  - b\n', YAML_CORE)?.line(…) // 2 for the item
 */
export function parseFastPositioned(text: string, schema: Schema, tags?: ReadonlySet<string>): FastPositioned | undefined {
  const r = fastPositioned(text, schema, true, tags);
  return typeof r === 'object' ? r : undefined;
}

/**
 * `parseFastPositioned` with `YAML_CORE`, once per text for the Kubernetes analyzer's fast pass and the
 * Kubernetes inventory extractor. `strict`: read without repeated keys, so `values` are what `loadFast`
 * gives (js-yaml refuses a repeated key unless told to keep the last value, as `parseFastPositioned`
 * is). `refused`: js-yaml refused the text for another reason, as `loadFast` would. Read-only for callers.
 */
export const parseFastCore = recentByText((text): { fast: FastPositioned | undefined; strict: boolean; refused: boolean } => {
  const r = fastPositioned(text, YAML_CORE, false);
  if (typeof r === 'object') return { fast: r, strict: true, refused: false };
  if (r === 'repeated') return { fast: parseFastPositioned(text, YAML_CORE), strict: false, refused: false };
  return { fast: undefined, strict: false, refused: r === 'refused' };
});

/**
 * The parse behind `parseFastPositioned`; `json` keeps a repeated key's last value. Besides the result:
 * undefined where the two parsers could differ, `refused` when js-yaml refuses the text, `repeated`
 * when (without `json`) it refuses it for a repeated key.
 */
function fastPositioned(
  text: string,
  schema: Schema,
  json: boolean,
  tags?: ReadonlySet<string>,
): FastPositioned | undefined | 'refused' | 'repeated' {
  if ((tags ? UNSURE_UNTAGGED : UNSURE_TEXT).test(text) || DIRECTIVE.test(text) || COMPLEX_KEY.test(text)) return undefined;
  const places = new WeakMap<object, Place>();
  // One frame per open node: its start offset, then its children as [start, value] pairs.
  const starts: number[] = [];
  const kids: Array<unknown[]> = [];
  let nodes = 0;
  let unsure = false;
  const skip = (input: string, p: number): number => {
    for (;;) {
      const c = input.charCodeAt(p);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) p++;
      else if (c === 0x23) {
        const nl = input.indexOf('\n', p);
        if (nl < 0) return input.length;
        p = nl + 1;
      } else return p;
    }
  };
  const listener = (event: string, state: State): void => {
    const s = state as State & { input: string; position: number; result: unknown };
    if (event === 'open') {
      if (++nodes > MAX_FAST_NODES || starts.length > 100) unsure = true;
      starts.push(skip(s.input, s.position));
      kids.push([]);
      return;
    }
    let start = starts.pop()!;
    const children = kids.pop()!;
    const value = s.result;
    // The object the children describe: the value itself, or inside a tag's wrapper.
    let shaped: unknown = value;
    if (tags && s.input.charCodeAt(start) === 0x21) {
      TAG.lastIndex = start;
      const m = TAG.exec(s.input);
      const inner = typeof value === 'object' && value !== null ? Object.values(value) : [];
      const kind = (s as State & { kind: string | null }).kind;
      // js-yaml composes a tagged plain scalar in block context twice, one inside the other (and
      // constructs it twice, from the same text).
      const child = children[1];
      const twice =
        children.length === 2 &&
        typeof child === 'object' &&
        child !== null &&
        inner.length === 1 &&
        JSON.stringify(Object.entries(child)) === JSON.stringify(Object.entries(value as object));
      if (!m || !tags.has(m[1]!) || inner.length !== 1) unsure = true;
      else {
        // The `yaml` package starts a tagged node where its value starts, after the tag.
        start = skip(s.input, start + m[0].length);
        if (kind === 'scalar') {
          if (children.length > 0 && !twice) unsure = true;
          places.set(value as object, { start });
          shaped = undefined;
        } else if (typeof inner[0] === 'object' && inner[0] !== null) shaped = inner[0];
        else unsure = true;
      }
    }
    if (typeof shaped === 'object' && shaped !== null && !places.has(shaped)) {
      const place: Place = { start };
      const value = shaped;
      if (Array.isArray(value)) {
        if (children.length !== value.length * 2 || value.some((v, i) => children[i * 2 + 1] !== v)) unsure = true;
        else place.items = value.map((_, i) => children[i * 2] as number);
      } else {
        const keys = new Map<string, number>();
        let at = 0;
        for (const [k, v] of Object.entries(value)) {
          if (TYPED_KEY.test(k)) unsure = true;
          while (at < children.length && (typeof children[at + 1] === 'object' || String(children[at + 1]) !== k)) at += 2;
          if (at >= children.length) {
            unsure = true;
            break;
          }
          keys.set(k, children[at] as number);
          at += 2;
          // The value's own node follows its key (an empty value still opens one).
          if (at < children.length && children[at + 1] === v) at += 2;
        }
        place.keys = keys;
      }
      places.set(value, place);
      // A tag's wrapper is placed as the node it wraps (`parseWithPositions` maps both to that node).
      if (s.result !== value) places.set(s.result as object, place);
    }
    kids[kids.length - 1]?.push(start, value);
  };
  let values: unknown[];
  try {
    kids.push([]);
    // `json`: a repeated key keeps its last value, as the exact walk does, rather than failing.
    values = loadAll(text, null, { schema, listener, json });
  } catch (err) {
    return (err as { reason?: string }).reason === 'duplicated mapping key' ? 'repeated' : 'refused';
  }
  if (unsure) return undefined;
  let newlines: number[] | undefined;
  const lineAt = (offset: number): number => {
    if (newlines === undefined) {
      newlines = [];
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) newlines.push(i);
    }
    // Lines before the offset's: newlines at offsets below it.
    let lo = 0;
    let hi = newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (newlines[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
  const line = (container: unknown, key?: string | number): number | undefined => {
    if (typeof container !== 'object' || container === null) return undefined;
    const place = places.get(container);
    if (!place) return undefined;
    if (key !== undefined && place.keys) {
      const at = place.keys.get(String(key));
      if (at !== undefined) return lineAt(at);
    }
    if (typeof key === 'number' && place.items) {
      const at = place.items[key];
      if (at !== undefined) return lineAt(at);
    }
    return lineAt(place.start);
  };
  return { values, line };
}

// ---------------------------------------------------------------------------------------------------
// A positioned tree from the fast parse

/**
 * A node of `parsePositionedTree`: js-yaml's value with the offset where the node starts, mappings
 * with their key nodes, sequences with their item nodes. Scalars keep js-yaml's value (`YAML_CORE`).
 */
export class PNode {
  constructor(
    readonly kind: 'map' | 'seq' | 'scalar',
    readonly start: number,
    readonly value: unknown,
    readonly pairs: ReadonlyArray<{ key: string; keyNode: PNode; value: PNode }> = [],
    readonly items: readonly PNode[] = [],
  ) {}
}

/**
 * Every document of `text` as a tree of nodes that know where they start, as the `yaml` AST's source
 * ranges place them, through js-yaml (`YAML_CORE`): the `yaml` package reads about a tenth as fast. The
 * same guards as `parseFastPositioned` (anchors, tags, directives, complex or typed keys, merge keys,
 * Helm `{{`, CR line ends, a byte-order mark: undefined), and undefined as well whenever a mapping's or
 * sequence's nodes do not pair one to one with js-yaml's value (a repeated key, a flow mapping key
 * without a value); null when js-yaml refuses the text (as `loadFast` with `YAML_CORE` would). An empty (null) scalar's start is not the `yaml`
 * package's (js-yaml looks past the line end for it): `PositionedTree` does not place one.
 * @example parsePositionedTree('a:\n  - b\n')?.[0]?.pairs[0]?.value.items[0]?.start // 7
 */
export function parsePositionedTree(text: string): PNode[] | undefined | null {
  if (UNSURE_TEXT.test(text) || DIRECTIVE.test(text) || COMPLEX_KEY.test(text)) return undefined;
  const starts: number[] = [];
  const kids: PNode[][] = [[]];
  let nodes = 0;
  let unsure = false;
  const skip = (input: string, p: number): number => {
    for (;;) {
      const c = input.charCodeAt(p);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) p++;
      else if (c === 0x23) {
        const nl = input.indexOf('\n', p);
        if (nl < 0) return input.length;
        p = nl + 1;
      } else return p;
    }
  };
  const listener = (event: string, state: State): void => {
    const s = state as State & { input: string; position: number; result: unknown };
    if (event === 'open') {
      if (++nodes > MAX_FAST_NODES || starts.length > 100) unsure = true;
      starts.push(skip(s.input, s.position));
      kids.push([]);
      return;
    }
    const start = starts.pop()!;
    const children = kids.pop()!;
    const value = s.result;
    let node: PNode;
    if (Array.isArray(value)) {
      if (children.length !== value.length || value.some((v, i) => children[i]!.value !== v)) unsure = true;
      node = new PNode('seq', start, value, [], children);
    } else if (isPlainMap(value)) {
      const entries = Object.entries(value);
      const pairs: Array<{ key: string; keyNode: PNode; value: PNode }> = [];
      // js-yaml looks for one more key where a block mapping ends before a `---` line: an empty node after the pairs.
      const trailing =
        children.length === entries.length * 2 + 1 && children.at(-1)!.kind === 'scalar' && children.at(-1)!.value === null;
      if (children.length !== entries.length * 2 && !trailing) unsure = true;
      else {
        for (const [i, [k, v]] of entries.entries()) {
          const keyNode = children[i * 2]!;
          const valueNode = children[i * 2 + 1]!;
          if (TYPED_KEY.test(k) || keyNode.kind !== 'scalar' || String(keyNode.value) !== k || valueNode.value !== v) {
            unsure = true;
            break;
          }
          pairs.push({ key: k, keyNode, value: valueNode });
        }
      }
      node = new PNode('map', start, value, pairs);
    } else {
      if (typeof value === 'object' && value !== null) unsure = true;
      node = new PNode('scalar', start, value);
    }
    kids[kids.length - 1]!.push(node);
  };
  let docs: unknown[];
  try {
    docs = loadAll(text, null, { schema: YAML_CORE, listener });
  } catch {
    return null;
  }
  const roots = kids[0]!;
  if (unsure || kids.length !== 1 || roots.length !== docs.length || roots.some((r, i) => r.value !== docs[i])) return undefined;
  return roots;
}

/** Thrown by `PositionedTree` where it cannot answer as `AstTree` would; never escapes `settledPositioned`. */
const UNPLACED = Symbol('unplaced');

/**
 * Where a `parsePositionedTree` node starts, as the `yaml` AST's range would have it; throws for an empty
 * (null) scalar, whose start the two parsers place differently (only `settledPositioned` catches it).
 */
export function placedStart(n: PNode): number {
  if (n.kind === 'scalar' && (n.value === null || n.value === undefined)) throw UNPLACED;
  return n.start;
}

/**
 * `parsePositionedTree`'s nodes read as `AstTree` reads the `yaml` AST: the same values, keys and start
 * lines. No aliases or merge keys can occur (the parse refuses anchors and `<<`). What it cannot tell
 * alike (a node's source text or end, the line of an empty value) throws, and the file goes to the
 * exact pass.
 */
export class PositionedTree extends Tree {
  node(n: unknown): PNode | undefined {
    return n instanceof PNode ? n : undefined;
  }

  isMap(n: unknown): boolean {
    return n instanceof PNode && n.kind === 'map';
  }

  isSeq(n: unknown): boolean {
    return n instanceof PNode && n.kind === 'seq';
  }

  str(n: unknown): string | undefined {
    if (!(n instanceof PNode) || n.kind !== 'scalar') return undefined;
    const v = n.value;
    return v === null || v === undefined || typeof v === 'object' ? undefined : String(v);
  }

  text(n: unknown): string | undefined {
    return n instanceof PNode && n.kind === 'scalar' && typeof n.value === 'string' ? n.value : undefined;
  }

  tag(): string | undefined {
    return undefined;
  }

  line(n: unknown): number {
    return this.ctx.lineOf(n instanceof PNode ? placedStart(n) : 0);
  }

  source(_n: unknown): string {
    throw UNPLACED;
  }

  lineWithin(_n: unknown, _needle: string): number {
    throw UNPLACED;
  }

  protected pairs(map: unknown): Entry[] {
    return map instanceof PNode ? map.pairs.map((p) => ({ key: p.key, keyNode: p.keyNode, value: p.value })) : [];
  }

  protected rawItems(seq: unknown): unknown[] {
    return seq instanceof PNode ? [...seq.items] : [];
  }
}

/**
 * Runs `check` against a context that keeps its reports aside; when the check runs to its end they are
 * passed on to `ctx` in order and the answer is true. Any throw (`PositionedTree` unable to answer, or
 * anything else) drops them and answers false: the caller then runs its exact pass.
 */
export function settledPositioned(ctx: PostureContext, check: (recorder: PostureContext) => void): boolean {
  const reports: Array<Parameters<PostureContext['report']>[0]> = [];
  const malformed: string[] = [];
  const recorder: PostureContext = {
    path: ctx.path,
    text: ctx.text,
    lineOf: (offset) => ctx.lineOf(offset),
    findLine: (needle, fromLine) => ctx.findLine(needle, fromLine),
    report: (finding) => {
      reports.push(finding);
    },
    malformed: (reason) => {
      malformed.push(reason);
    },
  };
  try {
    check(recorder);
  } catch {
    return false;
  }
  for (const r of reports) ctx.report(r);
  for (const m of malformed) ctx.malformed(m);
  return true;
}
