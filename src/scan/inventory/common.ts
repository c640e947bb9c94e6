import { isAlias, isMap, isPair, isScalar, isSeq, type Node as YamlNode } from 'yaml';
import type { InventoryNode, InventoryRelation, InventoryRelationKind } from '../../model/inventory.js';
import {
  type ParseResult,
  type Positioned,
  parseTaggedDocument,
  parseTemplateFast,
  parseWithPositions,
} from '../posture/cloudformation.js';
import { createPostureContext } from '../posture/context.js';
import { hostileNesting } from '../posture/hcl.js';
import { certainYamlError, firstDocumentError, parseFastCore, parseYamlDocuments } from '../posture/yaml-fast.js';

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A string value, or undefined for anything else (numbers and booleans as their text). */
export function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** Every string of a scalar or a list of scalars. */
export function texts(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(text).filter((s): s is string => s !== undefined);
  const s = text(v);
  return s === undefined ? [] : [s];
}

/** A node of the inventory; `props` and `label` only when given (exact optional properties). */
export function node(kind: InventoryNode['kind'], id: string, label?: string, props?: Obj): InventoryNode {
  const n: InventoryNode = { kind, id };
  if (label !== undefined && label !== id) n.label = label;
  if (props !== undefined && Object.keys(props).length > 0) n.props = props;
  return n;
}

/** A relation declared at `path`:`line` (clamped to line 1). */
export function relation(
  kind: InventoryRelationKind,
  src: InventoryNode,
  dst: InventoryNode,
  path: string,
  line: number,
  props?: Obj,
): InventoryRelation {
  const r: InventoryRelation = { kind, src, dst, path, line: Math.max(1, Math.trunc(line) || 1) };
  if (props !== undefined && Object.keys(props).length > 0) r.props = props;
  return r;
}

/** Line lookups over a text, the same ones posture analyzers use (`lineOf`, `findLine`). */
export function lines(
  path: string,
  body: string,
): { lineOf(offset: number): number; findLine(needle: string | RegExp, fromLine?: number): number } {
  const { ctx } = createPostureContext(path, body, new Map());
  return { lineOf: ctx.lineOf, findLine: ctx.findLine };
}

// ---------------------------------------------------------------------------------------------
// Ids (see src/model/inventory.ts)

export const k8sServiceAccountId = (ns: string, name: string): string => `system:serviceaccount:${ns}:${name}`;
export const awsRoleArn = (name: string, account = '*'): string => `arn:aws:iam::${account}:role/${name}`;
export const awsUserArn = (name: string, account = '*'): string => `arn:aws:iam::${account}:user/${name}`;

/** Label and tag keys that name an owner, compared case-insensitively. */
const OWNER_KEYS = new Set(['owner', 'team', 'app.kubernetes.io/owner']);

/** `owned-by` relations for owner/team labels or tags of `src` (values lower-cased; templated values skipped). */
export function ownerRelations(
  src: InventoryNode,
  entries: Iterable<[string, unknown, number]>,
  path: string,
): InventoryRelation[] {
  const out: InventoryRelation[] = [];
  for (const [key, value, line] of entries) {
    if (!OWNER_KEYS.has(key.toLowerCase())) continue;
    const v = text(value)?.trim();
    if (!v || v.includes('{{') || v.includes('${')) continue;
    out.push(relation('owned-by', src, node('owner', v.toLowerCase(), v), path, line, { key }));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// YAML streams with positions

/**
 * Nesting no hand-written manifest reaches: flow brackets, or block sequences opened on one line
 * (`- - - …`). The `yaml` parser recurses per level, and hostile nesting once parsed can abort the
 * process later (seen as a V8 "RegExpCompiler Allocation failed"), so such text is never parsed.
 */
export function tooDeep(body: string): boolean {
  return hostileNesting(body) !== undefined;
}

/** Node budget for the walk: aliases could otherwise expand exponentially. */
const MAX_NODES = 200_000;

/**
 * Every document of a YAML stream as plain values, with the line of any key or item kept aside (the
 * multi-document sibling of posture's `parseWithPositions`); undefined when the text is not YAML.
 * @example parseYamlStream('a: 1\n---\nb: 2\n')?.values // [{ a: 1 }, { b: 2 }]
 */
export function parseYamlStream(body: string): { values: unknown[]; line: Positioned['line'] } | undefined {
  if (tooDeep(body)) return undefined;
  // A posture analyzer that just read this file exactly left its parse: walking it costs little.
  if (parseYamlDocuments.peek(body) !== undefined) return parseYamlStreamExact(body);
  // Shared with the Kubernetes analyzer's fast pass, which read this file just before.
  return parseFastCore(body).fast ?? parseYamlStreamExact(body);
}

/**
 * One YAML (or JSON) document as `parseWithPositions` gives it, through the fast positioned parse when
 * it is sure to agree, else through `parseWithPositions` itself (shared with the posture analyzers).
 */
export function parseDocumentPositioned(body: string): ParseResult {
  // A posture analyzer that just read this file exactly (it had something to report) left its parse.
  if (parseWithPositions.peek(body) !== undefined || parseTaggedDocument.peek(body) !== undefined)
    return parseWithPositions(body);
  const fast = parseTemplateFast(body);
  return fast ? { ok: true, doc: fast } : parseWithPositions(body);
}

/** `parseYamlStream` through the `yaml` package only (source ranges for lines): the reference for the fast parse. */
export function parseYamlStreamExact(body: string): { values: unknown[]; line: Positioned['line'] } | undefined {
  if (tooDeep(body)) return undefined;
  // The Kubernetes analyzer that just read this file found a broken document: nothing to walk.
  if (firstDocumentError.peek(body) || certainYamlError(body)) return undefined;
  const { docs, lineCounter } = parseYamlDocuments(body);
  if (!Array.isArray(docs) || docs.some((d) => d.errors.length > 0)) return undefined;
  const nodes = new WeakMap<object, YamlNode>();
  let budget = MAX_NODES;
  const values: unknown[] = [];
  for (const doc of docs) {
    const walk = (n: unknown, depth: number): unknown => {
      if (--budget < 0) throw new RangeError('document too large');
      if (depth > 100) return undefined;
      if (isAlias(n)) return walk(n.resolve(doc), depth + 1);
      if (isScalar(n)) return n.value;
      if (isMap(n)) {
        const obj: Obj = Object.create(null);
        for (const pair of n.items) {
          if (!isPair(pair)) continue;
          obj[isScalar(pair.key) ? String(pair.key.value) : String(pair.key)] = walk(pair.value, depth + 1);
        }
        nodes.set(obj, n);
        return obj;
      }
      if (isSeq(n)) {
        const arr = n.items.map((x) => walk(x, depth + 1));
        nodes.set(arr, n);
        return arr;
      }
      return undefined;
    };
    values.push(walk(doc.contents, 0));
  }
  const lineAt = (offset: number | undefined): number | undefined =>
    offset === undefined ? undefined : lineCounter.linePos(offset).line;
  const line = (container: unknown, key?: string | number): number | undefined => {
    if (typeof container !== 'object' || container === null) return undefined;
    const n = nodes.get(container);
    if (!n) return undefined;
    if (typeof key === 'string' && isMap(n)) {
      const pair = n.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
      if (pair) return lineAt((pair.key as YamlNode | null)?.range?.[0]);
    }
    if (typeof key === 'number' && isSeq(n)) {
      const item = n.items[key] as YamlNode | undefined;
      if (item?.range) return lineAt(item.range[0]);
    }
    return lineAt(n.range?.[0]);
  };
  return { values, line };
}

/** Entries of a plain object as [key, value, line] triples, for `ownerRelations`. */
export function entriesWithLines(
  obj: unknown,
  line: (container: unknown, key: string) => number,
): Array<[string, unknown, number]> {
  if (!isObj(obj)) return [];
  return Object.entries(obj).map(([k, v]) => [k, v, line(obj, k)]);
}

/**
 * Seconds in a declared lifetime: a number of seconds, or a Go/Vault duration (`1h`, `768h`, `1h30m`,
 * `30s`); undefined for anything else (an expression, a variable).
 * @example lifetimeSeconds('1h30m') // 5400
 */
export function lifetimeSeconds(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? v : undefined;
  const s = typeof v === 'string' ? v.trim() : '';
  if (/^\d+$/.test(s)) return Number(s) > 0 ? Number(s) : undefined;
  if (!/^(\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/.test(s)) return undefined;
  const unit: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 };
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) total += Number(m[1]) * unit[m[2]!]!;
  return total > 0 ? total : undefined;
}

/** An identity → credential relation (see `has-credential` in src/model/inventory.ts). */
export function credentialRelation(
  identity: InventoryNode,
  id: string,
  props: { type: string; static: boolean; lifetimeSeconds?: number | undefined },
  path: string,
  line: number,
): InventoryRelation {
  const p: Obj = { type: props.type, static: props.static };
  if (props.lifetimeSeconds !== undefined) p.lifetimeSeconds = props.lifetimeSeconds;
  return relation('has-credential', identity, node('credential', id, undefined, p), path, line);
}
