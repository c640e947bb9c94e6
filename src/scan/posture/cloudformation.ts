import { Type } from 'js-yaml';
import {
  type CollectionTag,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type ScalarTag,
  type Node as YamlNode,
} from 'yaml';
import {
  adminAttachmentIssue,
  adminManagedPolicy,
  checkPolicy,
  IAM_RULES,
  type IamIssue,
  normalizePolicy,
  type PolicyDocument,
  parseLenientJson,
  toObjects,
  toText,
  toTexts,
} from './iam.js';
import { recentByText } from './recent.js';
import type { PostureAnalyzer, PostureContext } from './types.js';
import { certainYamlError, loadFast, parseFastPositioned, quietOn, YAML_FAILSAFE } from './yaml-fast.js';

/**
 * Templates above these sizes are skipped as malformed rather than parsed: the YAML parser reads
 * about 1.5 MB/s, JSON goes through a fast positional parser (CDK output can run to megabytes).
 */
const MAX_YAML_BYTES = 2 * 1024 * 1024;
const MAX_JSON_BYTES = 16 * 1024 * 1024;
/** Node budget for the position-keeping walk: aliases could otherwise expand exponentially. */
const MAX_NODES = 400_000;
const MAX_RESOURCES = 5000;

// ---------------------------------------------------------------------------------------------
// YAML/JSON with positions

/**
 * CloudFormation's short-form intrinsic tags. They are registered (so the parser does not warn) but
 * resolved by `toPlain`, which turns them into their long form (`!Ref X` → `{ Ref: 'X' }`) and keeps
 * each node's position. https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
 */
const INTRINSICS = [
  'Ref',
  'Sub',
  'GetAtt',
  'Join',
  'If',
  'Select',
  'Split',
  'FindInMap',
  'Base64',
  'Cidr',
  'ImportValue',
  'GetAZs',
  'Equals',
  'And',
  'Or',
  'Not',
  'Condition',
  'Transform',
  'ToJsonString',
  'Length',
];
const CUSTOM_TAGS: (ScalarTag | CollectionTag)[] = INTRINSICS.flatMap((name) => [
  { tag: `!${name}`, resolve: (s: string) => s } as ScalarTag,
  { tag: `!${name}`, collection: 'seq', resolve: (c: unknown) => c } as unknown as CollectionTag,
  { tag: `!${name}`, collection: 'map', resolve: (c: unknown) => c } as unknown as CollectionTag,
]);

/** A parsed YAML or JSON document as plain values, with the line of any key or item kept aside. */
export interface Positioned {
  readonly value: unknown;
  /**
   * 1-based line of `key` in a plain object or array of `value` (or of the container itself when
   * `key` is omitted); undefined when positions are unknown.
   */
  line(container: unknown, key?: string | number): number | undefined;
}

/** A parsed document with positions, or why the text could not be parsed. */
export type ParseResult = { ok: true; doc: Positioned } | { ok: false; reason: string };

function intrinsic(tag: string | undefined, inner: unknown): unknown {
  if (!tag?.startsWith('!')) return inner;
  const name = tag.slice(1);
  if (!INTRINSICS.includes(name)) return inner;
  const out: Record<string, unknown> = Object.create(null);
  if (name === 'Ref' || name === 'Condition') out[name] = inner;
  // !GetAtt Res.Attr is the short form of Fn::GetAtt: [Res, Attr].
  else if (name === 'GetAtt' && typeof inner === 'string') out['Fn::GetAtt'] = inner.split('.');
  else out[`Fn::${name}`] = inner;
  return out;
}

/**
 * Parses YAML (or JSON, a subset of it) into plain values while remembering where each object and
 * array came from, so findings land on the line of the offending value.
 * @example const r = parseWithPositions('a:\n  - b\n'); r.ok && r.doc.line(r.doc.value, 'a') // 1
 */
export const parseWithPositions = recentByText(positioned);

/**
 * One YAML document with CloudFormation's short-form tags known and a line counter, errors unprettified:
 * the one parse the CloudFormation and GitHub Actions analyzers and their inventory extractors share.
 */
export const parseTaggedDocument = recentByText((text): { doc: Document; lineCounter: LineCounter } => {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { customTags: CUSTOM_TAGS, lineCounter, uniqueKeys: false, prettyErrors: false });
  return { doc, lineCounter };
});

function positioned(text: string): ParseResult {
  // Broken in a way both parsers agree on: js-yaml's words and place, without the slower parse.
  const certain = certainYamlError(text);
  if (certain) return { ok: false, reason: `invalid YAML: ${certain.message} at line ${certain.line}, column ${certain.column}` };
  const { doc, lineCounter } = parseTaggedDocument(text);
  if (doc.errors.length > 0) {
    // The first line of the message, placed as the parser's pretty errors place it.
    const e = doc.errors[0]!;
    const first = e.message.split('\n')[0]!;
    const at = e.pos[0] >= 0 ? lineCounter.linePos(e.pos[0]) : undefined;
    return { ok: false, reason: `invalid YAML: ${at ? `${first} at line ${at.line}, column ${at.col}` : first}` };
  }
  const nodes = new WeakMap<object, YamlNode>();
  let budget = MAX_NODES;
  const lineAt = (offset: number | undefined): number | undefined =>
    offset === undefined ? undefined : lineCounter.linePos(offset).line;

  const walk = (node: unknown, depth: number): unknown => {
    if (--budget < 0) throw new RangeError('document too large or too deeply aliased');
    if (depth > 100) return undefined;
    if (isAlias(node)) return walk(node.resolve(doc), depth + 1);
    if (isScalar(node)) {
      // Plain scalars keep their source text: an account id 012345678901 must not lose its zero.
      const v = typeof node.value !== 'string' && node.type === 'PLAIN' && node.source ? node.source : node.value;
      const out = intrinsic(node.tag, v);
      if (out !== v) nodes.set(out as object, node);
      return out;
    }
    if (isMap(node)) {
      const obj: Record<string, unknown> = Object.create(null);
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        obj[k] = walk(pair.value, depth + 1);
      }
      nodes.set(obj, node);
      const out = intrinsic(node.tag, obj);
      if (out !== obj) nodes.set(out as object, node);
      return out;
    }
    if (isSeq(node)) {
      const arr = node.items.map((x) => walk(x, depth + 1));
      nodes.set(arr, node);
      const out = intrinsic(node.tag, arr);
      if (out !== arr) nodes.set(out as object, node);
      return out;
    }
    return undefined;
  };

  let value: unknown;
  try {
    value = walk(doc.contents, 0);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  const line = (container: unknown, key?: string | number): number | undefined => {
    if (typeof container !== 'object' || container === null) return undefined;
    const node = nodes.get(container);
    if (!node) return undefined;
    if (key !== undefined && isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key));
      if (pair && isPair(pair))
        return lineAt((pair.key as YamlNode | null)?.range?.[0] ?? (pair.value as YamlNode | null)?.range?.[0]);
    }
    if (typeof key === 'number' && isSeq(node)) {
      const item = node.items[key] as YamlNode | undefined;
      if (item?.range) return lineAt(item.range[0]);
    }
    return lineAt(node.range?.[0]);
  };
  return { ok: true, doc: { value, line } };
}

/**
 * Parses JSON into plain values with the line of every key and item, about a hundred times faster
 * than going through the YAML parser (CDK templates run to megabytes). Run JSON.parse first for
 * validity and its error message; this parser trusts well-formed input and throws on anything else.
 * @example const r = parseJsonWithPositions('{\n "a": [1]\n}'); r.line(r.value, 'a') // 2
 */
export function parseJsonWithPositions(text: string): Positioned {
  interface Where {
    line: number;
    keys?: Map<string, number>;
    items?: number[];
  }
  const where = new WeakMap<object, Where>();
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at line ${line}`);
  };
  const ws = (): void => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 10) line++;
      else if (c !== 32 && c !== 9 && c !== 13) return;
      i++;
    }
  };
  const str = (): string => {
    const start = i;
    i++;
    let escaped = false;
    for (;;) {
      const c = text.charCodeAt(i);
      if (Number.isNaN(c) || c === 10) fail('unterminated string');
      i++;
      if (c === 92) {
        escaped = true;
        i++;
      } else if (c === 34) break;
    }
    return escaped ? (JSON.parse(text.slice(start, i)) as string) : text.slice(start + 1, i - 1);
  };
  const LITERAL = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
  const value = (depth: number): unknown => {
    if (depth > 1000) fail('nesting too deep');
    ws();
    const c = text[i];
    if (c === '"') return str();
    if (c === '{') {
      const obj: Record<string, unknown> = Object.create(null);
      const w: Where = { line, keys: new Map() };
      where.set(obj, w);
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const keyLine = line;
        const k = str();
        ws();
        if (text[i++] !== ':') fail('expected ":"');
        obj[k] = value(depth + 1);
        if (!w.keys!.has(k)) w.keys!.set(k, keyLine);
        ws();
        const sep = text[i++];
        if (sep === '}') return obj;
        if (sep !== ',') fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      const arr: unknown[] = [];
      const w: Where = { line, items: [] };
      where.set(arr, w);
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        ws();
        w.items!.push(line);
        arr.push(value(depth + 1));
        ws();
        const sep = text[i++];
        if (sep === ']') return arr;
        if (sep !== ',') fail('expected "," or "]"');
      }
    }
    LITERAL.lastIndex = i;
    const m = LITERAL.exec(text);
    if (!m) return fail('unexpected character');
    i += m[0].length;
    return JSON.parse(m[0]);
  };
  const root = value(0);
  ws();
  if (i < text.length) fail('trailing characters');
  return {
    value: root,
    line(container, key) {
      if (typeof container !== 'object' || container === null) return undefined;
      const w = where.get(container);
      if (!w) return undefined;
      if (typeof key === 'string') return w.keys?.get(key) ?? w.line;
      if (typeof key === 'number') return w.items?.[key] ?? w.line;
      return w.line;
    },
  };
}

/** Plain JSON without positions, for documents the YAML parser rejects but JSON.parse accepts. */
export function withoutPositions(value: unknown): Positioned {
  return { value, line: () => undefined };
}

// ---------------------------------------------------------------------------------------------
// Locating issues

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Line of the first leaf under `container` whose text is `text`, searched depth-first. */
function findLeaf(pos: Positioned, container: unknown, text: string, depth = 0): number | undefined {
  if (depth > 8 || typeof container !== 'object' || container === null) return undefined;
  const entries: [string | number, unknown][] = Array.isArray(container)
    ? container.map((v, i) => [i, v] as [number, unknown])
    : Object.entries(container);
  for (const [k, v] of entries) {
    if (toText(v) === text) return pos.line(container, k);
    const inner = findLeaf(pos, v, text, depth + 1);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

/**
 * Line of an issue inside a policy document: the offending value, else its field, else the statement;
 * undefined when the document carries no positions.
 */
export function locateIssue(pos: Positioned, doc: PolicyDocument, issue: IamIssue): number | undefined {
  const source = doc.statements[issue.statement]?.source;
  if (!isObj(source)) return undefined;
  if (issue.field) {
    const key = issue.field in source ? issue.field : issue.field.toLowerCase();
    if (issue.value !== undefined) {
      const v = source[key];
      if (toText(v) === issue.value) return pos.line(source, key);
      const leaf = findLeaf(pos, v, issue.value);
      if (leaf !== undefined) return leaf;
    }
    const l = pos.line(source, key);
    if (l !== undefined) return l;
  }
  return pos.line(source);
}

/** Line of a value by text, preferring its quoted JSON form (`"*"` rather than any asterisk). */
function findValue(ctx: PostureContext, value: string | undefined, from: number): number {
  if (value === undefined) return from;
  const quoted = JSON.stringify(value);
  return ctx.findLine(ctx.text.includes(quoted) ? quoted : value, from);
}

/**
 * Reports the issues of one policy document value (an object, a JSON string, or Fn::If branches).
 * `fallback` places findings when the value carries no positions.
 */
export function reportPolicy(ctx: PostureContext, pos: Positioned, value: unknown, fallback: number): void {
  let candidates: unknown[] = toObjects(value);
  if (typeof value === 'string') {
    try {
      candidates = [JSON.parse(value)];
    } catch {
      return; // a string that is not JSON (a Fn::Sub template, a file reference): nothing to check
    }
  }
  for (const candidate of candidates) {
    const doc = normalizePolicy(candidate);
    if (!doc) continue;
    for (const issue of checkPolicy(doc)) {
      const line = locateIssue(pos, doc, issue) ?? findValue(ctx, issue.value, fallback);
      ctx.report({ ruleId: issue.ruleId, line, evidence: issue.evidence, message: issue.message });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Templates

/** `Policies: [{ PolicyName, PolicyDocument }]` on roles, users and groups. */
function reportInlinePolicies(ctx: PostureContext, pos: Positioned, policies: unknown, fallback: number): void {
  for (const p of toObjects(policies)) {
    reportPolicy(ctx, pos, p.PolicyDocument, pos.line(p, 'PolicyDocument') ?? fallback);
  }
}

/** `ManagedPolicyArns` (or SAM `Policies` names): flags AdministratorAccess and IAMFullAccess. */
function reportManaged(ctx: PostureContext, pos: Positioned, arns: unknown, fallback: number): void {
  const items = Array.isArray(arns) ? arns : [arns];
  for (const [i, item] of items.entries()) {
    for (const arn of toTexts(item)) {
      const name = adminManagedPolicy(arn);
      if (!name) continue;
      const issue = adminAttachmentIssue(name);
      const line = (Array.isArray(arns) ? pos.line(arns, i) : undefined) ?? ctx.findLine(name, fallback);
      ctx.report({ ruleId: issue.ruleId, line, evidence: issue.evidence, message: issue.message });
    }
  }
}

/**
 * SAM `Policies`: a managed policy name or ARN, an inline document, a list of those, or SAM policy
 * templates ({ S3ReadPolicy: … }, scoped by construction and not checked here).
 * https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-function.html
 */
function reportSamPolicies(ctx: PostureContext, pos: Positioned, policies: unknown, fallback: number): void {
  const items = Array.isArray(policies) ? policies : [policies];
  for (const [i, item] of items.entries()) {
    const at = (Array.isArray(policies) ? pos.line(policies, i) : undefined) ?? fallback;
    if (isObj(item) && ('Statement' in item || 'statement' in item)) reportPolicy(ctx, pos, item, at);
    else if (typeof item === 'string' || (isObj(item) && Object.keys(item)[0]?.startsWith('Fn::'))) {
      reportManaged(ctx, pos, [item], at);
    }
  }
}

function analyzeTemplate(ctx: PostureContext, pos: Positioned): void {
  const root = pos.value;
  if (!isObj(root) || !isObj(root.Resources)) return;
  const resources = root.Resources;
  for (const [name, res] of Object.entries(resources).slice(0, MAX_RESOURCES)) {
    if (!isObj(res)) continue;
    const type = toText(res.Type);
    if (!type?.startsWith('AWS::IAM::') && !type?.startsWith('AWS::Serverless::')) continue;
    const at = pos.line(res, 'Type') ?? pos.line(resources, name) ?? 1;
    const props = isObj(res.Properties) ? res.Properties : {};
    const line = (key: string): number => pos.line(props, key) ?? at;
    switch (type) {
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy':
      case 'AWS::IAM::RolePolicy':
      case 'AWS::IAM::UserPolicy':
      case 'AWS::IAM::GroupPolicy':
        reportPolicy(ctx, pos, props.PolicyDocument, line('PolicyDocument'));
        break;
      case 'AWS::IAM::Role':
        reportPolicy(ctx, pos, props.AssumeRolePolicyDocument, line('AssumeRolePolicyDocument'));
        reportInlinePolicies(ctx, pos, props.Policies, line('Policies'));
        reportManaged(ctx, pos, props.ManagedPolicyArns, line('ManagedPolicyArns'));
        break;
      case 'AWS::IAM::User':
      case 'AWS::IAM::Group':
        reportInlinePolicies(ctx, pos, props.Policies, line('Policies'));
        reportManaged(ctx, pos, props.ManagedPolicyArns, line('ManagedPolicyArns'));
        break;
      case 'AWS::IAM::AccessKey': {
        // An inactive key cannot sign requests; everything else is a long-lived user credential.
        if (toText(props.Status)?.toLowerCase() === 'inactive') break;
        ctx.report({
          ruleId: IAM_RULES.accessKey,
          line: at,
          evidence: `AWS::IAM::AccessKey ${name}`,
          message: `${name} creates a long-lived IAM user access key`,
        });
        break;
      }
      case 'AWS::Serverless::Function':
      case 'AWS::Serverless::StateMachine':
        if (props.Policies !== undefined) reportSamPolicies(ctx, pos, props.Policies, line('Policies'));
        break;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Fast pass (yaml-fast.ts): js-yaml reads a YAML template as `parseWithPositions` renders it, and only
// a template with something to report is parsed again with positions.

/**
 * The intrinsic tags for js-yaml, converted as `parseWithPositions` converts them. An empty tagged
 * value (`!Ref` alone) throws, which leaves the template to the exact pass.
 */
const FAST_SCHEMA = YAML_FAILSAFE.extend({
  explicit: INTRINSICS.flatMap((name) =>
    (['scalar', 'sequence', 'mapping'] as const).map(
      (kind) =>
        new Type(`!${name}`, {
          kind,
          construct: (data: unknown) => {
            if (data === null || data === undefined) throw new Error(`empty !${name}`);
            return intrinsic(`!${name}`, data);
          },
        }),
    ),
  ),
});

/**
 * Whether js-yaml's reading of a YAML template settles it: nothing to report. The failsafe schema keeps
 * every plain scalar as its text, as `parseWithPositions` does (an account id keeps its leading zero),
 * and an empty value as null. Anchors go to the exact pass, whose node budget stops alias bombs; so do
 * texts that could hold more nodes than that budget (two characters a node at the least).
 */
function settledFast(ctx: PostureContext): boolean {
  if (ctx.text.length > 2 * MAX_NODES) return false;
  const fast = loadFast(ctx.text, { schema: FAST_SCHEMA, anchors: 'none' });
  // parseWithPositions reads one document; more is an error it words.
  if (!fast.ok || fast.docs.length > 1) return false;
  const value = fast.docs[0] ?? null;
  return quietOn(ctx, (probe) => analyzeTemplate(probe, withoutPositions(value)));
}

const INTRINSIC_TAGS: ReadonlySet<string> = new Set(INTRINSICS);

/**
 * A YAML template (or GitHub Actions workflow) as `parseWithPositions` gives it, through js-yaml with
 * positions (`parseFastPositioned` with the intrinsic tags), or undefined where the two could differ:
 * anchors, other tags, more than one document, … (yaml-fast.ts). Shared by text with the inventory
 * extractors. Read-only for callers.
 */
export const parseTemplateFast = recentByText((text): Positioned | undefined => {
  const fast = parseFastPositioned(text, FAST_SCHEMA, INTRINSIC_TAGS);
  return fast !== undefined && fast.values.length === 1 ? { value: fast.values[0], line: fast.line } : undefined;
});

/**
 * One template, YAML or JSON; `fast` lets the fast pass settle a YAML template that has nothing to
 * report, and place the findings of one that has through js-yaml when it reads as the exact parse would.
 */
function analyzeFile(ctx: PostureContext, fast: boolean): void {
  const json = /^\uFEFF?\s*\{/.test(ctx.text);
  const max = json ? MAX_JSON_BYTES : MAX_YAML_BYTES;
  if (ctx.text.length > max) {
    ctx.malformed(`template larger than ${max / 1024 / 1024} MiB, not analyzed`);
    return;
  }
  let parsed: ParseResult;
  if (json) {
    // JSON.parse decides validity (and gives the reason); the positional parser then places findings.
    const checked = parseLenientJson(ctx.text);
    if (!checked.ok || !checked.exact) {
      ctx.malformed(checked.ok ? 'invalid JSON: interpolation outside a string' : checked.reason);
      return;
    }
    try {
      parsed = { ok: true, doc: parseJsonWithPositions(ctx.text) };
    } catch {
      parsed = { ok: true, doc: withoutPositions(checked.value) };
    }
  } else {
    // The positioned js-yaml read first: where it can be had it decides the file (findings placed alike),
    // and the inventory extractor reads the same parse next; a quiet check would be a second js-yaml read.
    const positioned = fast ? parseTemplateFast(ctx.text) : undefined;
    if (positioned === undefined && fast && settledFast(ctx)) return;
    parsed = positioned ? { ok: true, doc: positioned } : parseWithPositions(ctx.text);
  }
  if (!parsed.ok) {
    ctx.malformed(parsed.reason);
    return;
  }
  analyzeTemplate(ctx, parsed.doc);
}

const TEMPLATE_PATH = /\.(ya?ml|json|template|cfn)$/i;

/**
 * CloudFormation and SAM templates, YAML or JSON: IAM policies, roles (trust and permissions),
 * users, groups and access keys. A file is a template when it names AWSTemplateFormatVersion or the
 * SAM transform, or has a top-level Resources map with `Type: AWS::…` entries.
 */
export const cloudformationAnalyzer: PostureAnalyzer = {
  id: 'cloudformation',
  accepts(path, head) {
    if (!TEMPLATE_PATH.test(path)) return false;
    if (/AWSTemplateFormatVersion|AWS::Serverless-2016-10-31/.test(head)) return true;
    return /(^|\n|\{)\s*"?Resources"?\s*:/.test(head) && /"?Type"?\s*:\s*["']?AWS::/.test(head);
  },
  analyze: (ctx) => analyzeFile(ctx, true),
};

/** The same analyzer without the fast pass: for tests that hold the two to the same results. */
export const cloudformationExactAnalyzer: PostureAnalyzer = {
  ...cloudformationAnalyzer,
  analyze: (ctx) => analyzeFile(ctx, false),
};
