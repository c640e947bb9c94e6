/**
 * Sigma rules: YAML documents (one or many per file, with `action: global` collections) compiled
 * once into predicates over raw log records. What Warden cannot evaluate (an unknown modifier or log
 * source, a catastrophic regular expression, a malformed document) is reported as unsupported with
 * its reason; nothing here throws for bad rule content.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Severity } from '../../model/severity.js';
import { type Cond, evalCondition, parseCondition } from './condition.js';
import { asText, compileItem, compileKeyword, isPlain, Unsupported, unescapeSigma } from './match.js';

/** Where a rule applies: the raw records of one log source, or Warden's normalised IdentityEvent. */
export type SigmaSource = 'cloudtrail' | 'okta' | 'github-audit' | 'k8s-audit' | 'identity';

/** Sigma logsources Warden reads (CONTRACTS §6), keyed `product/service`. */
export const LOGSOURCES: Readonly<Record<string, SigmaSource>> = {
  'aws/cloudtrail': 'cloudtrail',
  'okta/okta': 'okta',
  'github/audit': 'github-audit',
  'kubernetes/audit': 'k8s-audit',
  'warden/identity': 'identity',
};

export interface Attack {
  id: string;
  name: string;
  tactic: string;
}

interface RuleMeta {
  /** The rule's `id` (else its `name`, else a hash of file and title): the alert's analytic uid. */
  id: string;
  name?: string | undefined;
  title: string;
  description: string;
  status: string;
  level: Severity;
  tags: string[];
  attacks: Attack[];
  /** Framework references (`owasp-nhi/NHI7:2025`, `nist-csf-2/DE.CM-09`): a Warden extension field. */
  frameworks: string[];
  path: string;
}

/** A required field value a record must have for the rule to match: what the prefilter indexes. */
export interface Requirement {
  field: string;
  values: string[];
}

export interface SigmaRule extends RuleMeta {
  kind: 'rule';
  source: SigmaSource;
  match(record: unknown): boolean;
  /** Set when the condition needs one of these (lower-cased) values in this field. */
  requires?: Requirement | undefined;
  /** False for a base rule of a correlation that does not ask for its own alerts (`generate`). */
  generate: boolean;
}

export type CorrelationType = 'event_count' | 'value_count' | 'temporal' | 'temporal_ordered';

export interface SigmaCorrelation extends RuleMeta {
  kind: 'correlation';
  type: CorrelationType;
  rules: SigmaRule[];
  groupBy: string[];
  /** Field alias → the field in each base rule's records, by rule id. */
  aliases: Record<string, Record<string, string>>;
  timespanMs: number;
  condition: { op: 'gt' | 'gte' | 'lt' | 'lte' | 'eq'; value: number; field?: string | undefined };
}

export interface LoadedRules {
  rules: SigmaRule[];
  correlations: SigmaCorrelation[];
  unsupported: Array<{ path: string; reason: string }>;
}

const MAX_FILE_BYTES = 1024 * 1024;
const MAX_DOCUMENTS = 5000;

const LEVELS: Record<string, Severity> = {
  informational: 'info',
  low: 'low',
  medium: 'medium',
  high: 'high',
  critical: 'critical',
};

const TACTICS: Record<string, string> = {
  reconnaissance: 'Reconnaissance',
  resource_development: 'Resource Development',
  initial_access: 'Initial Access',
  execution: 'Execution',
  persistence: 'Persistence',
  privilege_escalation: 'Privilege Escalation',
  defense_evasion: 'Defense Evasion',
  credential_access: 'Credential Access',
  discovery: 'Discovery',
  lateral_movement: 'Lateral Movement',
  collection: 'Collection',
  command_and_control: 'Command and Control',
  exfiltration: 'Exfiltration',
  impact: 'Impact',
};

/** Names of the techniques the bundled pack uses; others are named by their id. */
const TECHNIQUES: Record<string, string> = {
  T1078: 'Valid Accounts',
  'T1078.004': 'Valid Accounts: Cloud Accounts',
  T1098: 'Account Manipulation',
  'T1098.001': 'Account Manipulation: Additional Cloud Credentials',
  'T1098.003': 'Account Manipulation: Additional Cloud Roles',
  'T1098.006': 'Account Manipulation: Additional Container Cluster Roles',
  T1136: 'Create Account',
  'T1136.003': 'Create Account: Cloud Account',
  T1484: 'Domain or Tenant Policy Modification',
  'T1484.002': 'Domain or Tenant Policy Modification: Trust Modification',
  T1562: 'Impair Defenses',
  'T1562.001': 'Impair Defenses: Disable or Modify Tools',
  'T1562.008': 'Impair Defenses: Disable or Modify Cloud Logs',
  T1552: 'Unsecured Credentials',
  'T1552.007': 'Unsecured Credentials: Container API',
  T1555: 'Credentials from Password Stores',
  'T1555.006': 'Credentials from Password Stores: Cloud Secrets Management Stores',
  T1609: 'Container Administration Command',
  T1610: 'Deploy Container',
  T1613: 'Container and Resource Discovery',
  T1213: 'Data from Information Repositories',
  'T1213.003': 'Data from Information Repositories: Code Repositories',
  T1528: 'Steal Application Access Token',
  T1556: 'Modify Authentication Process',
  T1485: 'Data Destruction',
  T1537: 'Transfer Data to Cloud Account',
  T1530: 'Data from Cloud Storage',
  T1090: 'Proxy',
  T1070: 'Indicator Removal',
  'T1556.006': 'Modify Authentication Process: Multi-Factor Authentication',
  'T1562.007': 'Impair Defenses: Disable or Modify Cloud Firewall',
  T1567: 'Exfiltration Over Web Service',
};

type Doc = Record<string, unknown>;

function isObj(v: unknown): v is Doc {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Reads a field of a record by Sigma name: the whole name as a key first, then a dotted path into
 * nested objects (each step falls back to a case-insensitive key, so `eventtype` reads Okta's
 * `eventType`; a key as written wins over one that differs in case). Lists on the way fan out: the result is then the list of values found.
 */
export function fieldOf(record: unknown, path: string): unknown {
  if (!isObj(record)) return undefined;
  const direct = record[path];
  if (direct !== undefined) return direct;
  return walk(record, planOf(path), 0);
}

/** A key to look up, and its lower-case form for the case-insensitive fallback. */
interface Step {
  key: string;
  lower: string;
  /** The part index after this step. */
  next: number;
}

/**
 * A dotted path cut up once: at each part index the steps `walk` tries, the longest run of parts
 * joined first (a key may itself contain dots) down to the single part. Rules name a bounded set of
 * fields, so plans are kept; the cache is capped for callers with unbounded paths.
 */
type Plan = Step[][];

const PLANS = new Map<string, Plan>();
const MAX_PLANS = 10_000;

function planOf(path: string): Plan {
  let plan = PLANS.get(path);
  if (plan !== undefined) return plan;
  const parts = path.split('.');
  plan = [];
  for (let i = 0; i < parts.length; i++) {
    const steps: Step[] = [];
    for (let j = parts.length; j > i; j--) {
      const key = parts.slice(i, j).join('.');
      steps.push({ key, lower: key.toLowerCase(), next: j });
    }
    plan.push(steps);
  }
  if (PLANS.size >= MAX_PLANS) PLANS.clear();
  PLANS.set(path, plan);
  return plan;
}

/** U+0130 (İ), the one character whose lower case is longer (two code units); none is shorter. */
const DOTTED_CAPITAL_I = '\u0130';

function child(o: Doc, key: string, lower: string): unknown {
  const v = o[key];
  if (v !== undefined) return v;
  // for…in walks the enumeration cache with no array per call; own keys come first, in Object.keys order.
  for (const k in o) {
    if (!Object.hasOwn(o, k)) continue;
    // Lower case keeps a key's length, but for İ, which adds one: a key of another length cannot
    // match unless it is shorter and holds an İ. Most keys are skipped without lower-casing them.
    if (k.length !== lower.length && (k.length > lower.length || !k.includes(DOTTED_CAPITAL_I))) continue;
    if (k.toLowerCase() === lower) return o[k];
  }
  return undefined;
}

function walk(v: unknown, plan: Plan, i: number): unknown {
  if (i === plan.length) return v;
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const x of v.slice(0, 1000)) {
      const r = walk(x, plan, i);
      if (Array.isArray(r)) out.push(...r);
      else if (r !== undefined) out.push(r);
    }
    return out.length === 0 ? undefined : out;
  }
  if (!isObj(v)) return undefined;
  // A key may itself contain dots (`objectRef.resource` written flat): try the longest first, keys
  // as written before any case-insensitive match (a scan of the object's keys per step tried).
  const steps = plan[i]!;
  const last = steps.length - 1;
  for (let s = 0; s < last; s++) {
    const step = steps[s]!;
    const x = v[step.key];
    if (x !== undefined) return walk(x, plan, step.next);
  }
  const single = steps[last]!;
  const exact = v[single.key];
  if (exact !== undefined) return walk(exact, plan, i + 1);
  for (let s = 0; s < last; s++) {
    const step = steps[s]!;
    const x = child(v, step.key, step.lower);
    if (x !== undefined) return walk(x, plan, step.next);
  }
  return walk(child(v, single.key, single.lower), plan, i + 1);
}

type Matcher = (record: unknown) => boolean;

interface CompiledSelection {
  match: Matcher;
  /** Alternative requirements: each, alone, is necessary for the selection to match. */
  requires: Requirement[];
}

function compileMap(m: Doc): CompiledSelection {
  const items: Matcher[] = [];
  const requires: Requirement[] = [];
  for (const [key, value] of Object.entries(m)) {
    const [field, ...mods] = key.split('|');
    if (field === undefined) throw new Unsupported('empty field name');
    if (isObj(value)) throw new Unsupported(`field ${field} has a map as value`);
    const test = compileItem(mods, value, fieldOf);
    if (field === '') {
      // `|all` or `|contains` on keywords: each value anywhere in the record.
      const kws = (Array.isArray(value) ? value : [value]).map((k) => compileKeyword(k, mods.includes('cased')));
      items.push(mods.includes('all') ? (r) => kws.every((k) => k(r)) : (r) => kws.some((k) => k(r)));
      continue;
    }
    items.push((r) => test(fieldOf(r, field), r));
    const vals = Array.isArray(value) ? value : [value];
    const plain =
      mods.every((x: string) => x === 'cased') &&
      vals.length > 0 &&
      vals.every((v) => (typeof v === 'string' && isPlain(v)) || typeof v === 'number' || typeof v === 'boolean');
    if (plain && !(Array.isArray(value) && (mods as string[]).includes('all') && vals.length > 1)) {
      requires.push({ field, values: vals.map((v) => unescapeSigma(String(v)).toLowerCase()) });
    }
  }
  return {
    match: (r) => {
      for (let i = 0; i < items.length; i++) if (!items[i]!(r)) return false;
      return true;
    },
    requires,
  };
}

/** Requirements every alternative shares a field for: their values united. */
function unionRequirements(options: Requirement[][]): Requirement[] {
  if (options.length === 0 || options.some((o) => o.length === 0)) return [];
  const out: Requirement[] = [];
  for (const first of options[0]!) {
    const per = options.map((o) => o.find((r) => r.field === first.field));
    if (per.every((r) => r !== undefined)) out.push({ field: first.field, values: [...new Set(per.flatMap((r) => r!.values))] });
  }
  return out;
}

function compileSelection(v: unknown): CompiledSelection {
  if (isObj(v)) return compileMap(v);
  if (Array.isArray(v)) {
    if (v.length === 0) throw new Unsupported('empty search identifier');
    if (v.every(isObj)) {
      const maps = v.map((m) => compileMap(m as Doc));
      return { match: (r) => maps.some((m) => m.match(r)), requires: unionRequirements(maps.map((m) => m.requires)) };
    }
    const kws = v.map((k) => compileKeyword(k));
    return { match: (r) => kws.some((k) => k(r)), requires: [] };
  }
  if (typeof v === 'string' || typeof v === 'number') {
    const k = compileKeyword(v);
    return { match: k, requires: [] };
  }
  throw new Unsupported('search identifier must be a map, a list or a keyword');
}

function conditionRequirements(c: Cond, sels: Map<string, CompiledSelection>): Requirement[] {
  switch (c.op) {
    case 'ref':
      return sels.get(c.name)?.requires ?? [];
    case 'and':
      return c.args.flatMap((a) => conditionRequirements(a, sels));
    case 'or':
      return unionRequirements(c.args.map((a) => conditionRequirements(a, sels)));
    case 'not':
      return [];
    case 'of':
      return c.all
        ? c.names.flatMap((n) => sels.get(n)?.requires ?? [])
        : unionRequirements(c.names.map((n) => sels.get(n)?.requires ?? []));
  }
}

/** Fields whose values tell events apart best (the event's name), preferred for the prefilter. */
const DISCRIMINATING = ['eventname', 'eventtype', 'action', 'objectref.subresource', 'objectref.resource', 'verb'];

function selectivity(r: Requirement): number {
  const rank = DISCRIMINATING.indexOf(r.field.toLowerCase());
  return (rank === -1 ? 0 : (DISCRIMINATING.length - rank) * 1000) - r.values.length;
}

function metaOf(doc: Doc, path: string): RuleMeta {
  const title = typeof doc.title === 'string' ? doc.title : undefined;
  if (title === undefined || title.trim() === '') throw new Unsupported('rule has no title');
  const name = typeof doc.name === 'string' ? doc.name : undefined;
  const id =
    typeof doc.id === 'string' && doc.id !== ''
      ? doc.id
      : (name ?? `sigma-${createHash('sha256').update(`${path}|${title}`).digest('hex').slice(0, 16)}`);
  const levelText = typeof doc.level === 'string' ? doc.level.toLowerCase() : 'medium';
  const level = LEVELS[levelText];
  if (level === undefined) throw new Unsupported(`unknown level ${levelText}`);
  const tags = Array.isArray(doc.tags) ? doc.tags.filter((t): t is string => typeof t === 'string') : [];
  let tactic = '';
  for (const t of tags) {
    const m = /^attack\.([a-z_-]+)$/i.exec(t);
    const name = m ? TACTICS[m[1]!.toLowerCase().replace(/-/g, '_')] : undefined;
    if (name !== undefined) {
      tactic = name;
      break;
    }
  }
  const attacks: Attack[] = [];
  for (const t of tags) {
    const m = /^attack\.(t\d{4}(?:\.\d{3})?)$/i.exec(t);
    if (!m) continue;
    const tid = m[1]!.toUpperCase();
    attacks.push({ id: tid, name: TECHNIQUES[tid] ?? tid, tactic });
  }
  const frameworks = Array.isArray(doc.frameworks) ? doc.frameworks.filter((t): t is string => typeof t === 'string') : [];
  return {
    id,
    ...(name !== undefined ? { name } : {}),
    title,
    description: typeof doc.description === 'string' ? doc.description : '',
    status: typeof doc.status === 'string' ? doc.status : 'experimental',
    level,
    tags,
    attacks,
    frameworks,
    path,
  };
}

function sourceOf(doc: Doc): SigmaSource {
  const ls = doc.logsource;
  if (!isObj(ls)) throw new Unsupported('rule has no logsource');
  const product = typeof ls.product === 'string' ? ls.product.toLowerCase() : '';
  const service = typeof ls.service === 'string' ? ls.service.toLowerCase() : '';
  const category = typeof ls.category === 'string' ? ls.category.toLowerCase() : undefined;
  const key = `${product}/${service}`;
  const src = LOGSOURCES[key];
  if (src === undefined || (category !== undefined && category !== 'application')) {
    throw new Unsupported(
      `logsource ${[category && `category ${category}`, product && `product ${product}`, service && `service ${service}`].filter(Boolean).join(', ') || '(empty)'} is not one Warden reads`,
    );
  }
  return src;
}

/** Compiles one detection-rule document. */
export function compileRule(doc: Doc, path: string): SigmaRule {
  const meta = metaOf(doc, path);
  const source = sourceOf(doc);
  const det = doc.detection;
  if (!isObj(det)) throw new Unsupported('rule has no detection');
  const sels = new Map<string, CompiledSelection>();
  for (const [name, v] of Object.entries(det)) {
    if (name === 'condition' || name === 'timeframe') continue;
    sels.set(name, compileSelection(v));
  }
  if (det.timeframe !== undefined)
    throw new Unsupported('timeframe (Sigma v1 aggregation) is not supported; use a correlation rule');
  const condText = det.condition;
  const texts = typeof condText === 'string' ? [condText] : Array.isArray(condText) ? condText : undefined;
  if (texts === undefined || texts.length === 0 || texts.some((t) => typeof t !== 'string')) {
    throw new Unsupported('detection has no condition');
  }
  const names = [...sels.keys()];
  const conds = (texts as string[]).map((t) => parseCondition(t, names));
  const cond: Cond = conds.length === 1 ? conds[0]! : { op: 'or', args: conds };
  const cache = new Map<string, boolean>();
  const match = (record: unknown): boolean => {
    cache.clear();
    return evalCondition(cond, (n) => {
      let r = cache.get(n);
      if (r === undefined) {
        r = sels.get(n)!.match(record);
        cache.set(n, r);
      }
      return r;
    });
  };
  const reqs = conditionRequirements(cond, sels);
  const requires = reqs.length === 0 ? undefined : reqs.reduce((a, b) => (selectivity(b) > selectivity(a) ? b : a));
  return { ...meta, kind: 'rule', source, match, requires, generate: true };
}

const SPAN_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

function compileCorrelation(doc: Doc, path: string, byRef: Map<string, SigmaRule>): SigmaCorrelation {
  const meta = metaOf(doc, path);
  const c = doc.correlation;
  if (!isObj(c)) throw new Unsupported('correlation is not a map');
  const type = c.type;
  if (type !== 'event_count' && type !== 'value_count' && type !== 'temporal' && type !== 'temporal_ordered') {
    throw new Unsupported(`correlation type ${String(type)} is not supported`);
  }
  const refs = Array.isArray(c.rules) ? c.rules : typeof c.rules === 'string' ? [c.rules] : [];
  if (refs.length === 0) throw new Unsupported('correlation names no rules');
  const rules = refs.map((r) => {
    const rule = typeof r === 'string' ? byRef.get(r) : undefined;
    if (rule === undefined) throw new Unsupported(`correlation refers to ${String(r)}, not a loaded detection rule`);
    return rule;
  });
  const span = typeof c.timespan === 'string' ? /^(\d+)\s*([smhdw])$/.exec(c.timespan.trim()) : null;
  if (!span) throw new Unsupported('correlation timespan must be like 10m, 1h or 2d');
  const groupBy = Array.isArray(c['group-by']) ? c['group-by'].filter((g): g is string => typeof g === 'string') : [];
  const aliases: Record<string, Record<string, string>> = {};
  if (isObj(c.aliases)) {
    for (const [alias, m] of Object.entries(c.aliases)) {
      if (!isObj(m)) continue;
      aliases[alias] = {};
      for (const [ref, field] of Object.entries(m)) {
        const rule = byRef.get(ref);
        if (rule !== undefined && typeof field === 'string') aliases[alias]![rule.id] = field;
      }
    }
  }
  let condition: SigmaCorrelation['condition'];
  const ops = ['gt', 'gte', 'lt', 'lte', 'eq'] as const;
  if (isObj(c.condition)) {
    const op = ops.find((o) => typeof (c.condition as Doc)[o] === 'number');
    if (op === undefined) throw new Unsupported('correlation condition needs gt, gte, lt, lte or eq with a number');
    const field = (c.condition as Doc).field;
    condition = { op, value: (c.condition as Doc)[op] as number, field: typeof field === 'string' ? field : undefined };
  } else if (c.condition === undefined && (type === 'temporal' || type === 'temporal_ordered')) {
    condition = { op: 'gte', value: rules.length };
  } else throw new Unsupported('correlation has no condition');
  if (type === 'value_count' && condition.field === undefined) throw new Unsupported('value_count needs condition.field');
  if (c.generate !== true) for (const r of rules) r.generate = false;
  return {
    ...meta,
    kind: 'correlation',
    type,
    rules,
    groupBy,
    aliases,
    timespanMs: Number(span[1]) * SPAN_UNITS[span[2]!]!,
    condition,
  };
}

/** Merges an `action: global` document into the documents after it. */
function merge(base: Doc, doc: Doc): Doc {
  const out: Doc = { ...base };
  for (const [k, v] of Object.entries(doc)) out[k] = isObj(v) && isObj(base[k]) ? merge(base[k] as Doc, v) : v;
  return out;
}

/** Reads the YAML documents of one file (multi-document files and `action: global` collections). */
export function readRuleDocuments(text: string, path: string, unsupported: LoadedRules['unsupported']): Doc[] {
  const out: Doc[] = [];
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseAllDocuments(text) as ReturnType<typeof parseAllDocuments>;
  } catch (err) {
    unsupported.push({ path, reason: `not YAML: ${(err as Error).message}` });
    return out;
  }
  if (!Array.isArray(docs)) {
    unsupported.push({ path, reason: 'not YAML' });
    return out;
  }
  if (docs.length > MAX_DOCUMENTS) {
    unsupported.push({ path, reason: `more than ${MAX_DOCUMENTS} documents` });
    return out;
  }
  let global: Doc | undefined;
  let previous: Doc | undefined;
  docs.forEach((d, i) => {
    const where = docs.length > 1 ? `${path}#${i + 1}` : path;
    if (d.errors.length > 0) {
      unsupported.push({ path: where, reason: `invalid YAML: ${d.errors[0]!.message.split('\n')[0]}` });
      return;
    }
    let v: unknown;
    try {
      v = d.toJS({ maxAliasCount: 100 });
    } catch (err) {
      unsupported.push({ path: where, reason: `invalid YAML: ${(err as Error).message}` });
      return;
    }
    if (v === null || v === undefined) return;
    if (!isObj(v)) {
      unsupported.push({ path: where, reason: 'a rule must be a YAML map' });
      return;
    }
    const action = v.action;
    if (action === 'global') {
      const { action: _a, ...rest } = v;
      global = rest;
      return;
    }
    if (action === 'reset') {
      global = undefined;
      return;
    }
    let doc: Doc = v;
    if (action === 'repeat' && previous !== undefined) {
      const { action: _a, ...rest } = v;
      doc = merge(previous, rest);
    } else if (global !== undefined) doc = merge(global, v);
    previous = doc;
    out.push({ ...doc, __where: where });
  });
  return out;
}

/** Every `.yml`/`.yaml` file under a path (a file or a directory), in name order; example files are not rules. */
export function ruleFiles(path: string): string[] {
  const st = statSync(path);
  if (st.isFile()) return [path];
  const out: string[] = [];
  const walkDir = (dir: string, depth: number) => {
    if (depth > 16) return;
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'examples') walkDir(p, depth + 1);
      } else if (e.isFile() && /\.ya?ml$/i.test(e.name)) out.push(p);
    }
  };
  walkDir(path, 0);
  return out;
}

/**
 * Compiles documents (detection rules first, then correlations, which refer to them by id or name).
 * Ids must be unique across the set: a later duplicate is unsupported.
 */
export function compileDocuments(docs: ReadonlyArray<{ doc: Doc; path: string }>, out: LoadedRules): void {
  const byRef = new Map<string, SigmaRule>();
  for (const r of out.rules) {
    byRef.set(r.id, r);
    if (r.name) byRef.set(r.name, r);
  }
  const ids = new Set([...out.rules.map((r) => r.id), ...out.correlations.map((c) => c.id)]);
  const correlations: Array<{ doc: Doc; path: string }> = [];
  for (const { doc, path } of docs) {
    if (isObj(doc.correlation)) {
      correlations.push({ doc, path });
      continue;
    }
    if (doc.filter !== undefined && doc.detection === undefined) {
      out.unsupported.push({ path, reason: 'filter rules are not supported' });
      continue;
    }
    try {
      const rule = compileRule(doc, path);
      if (ids.has(rule.id)) throw new Unsupported(`duplicate rule id ${rule.id}`);
      ids.add(rule.id);
      out.rules.push(rule);
      byRef.set(rule.id, rule);
      if (rule.name) byRef.set(rule.name, rule);
    } catch (err) {
      out.unsupported.push({ path, reason: reasonOf(err) });
    }
  }
  for (const { doc, path } of correlations) {
    try {
      const c = compileCorrelation(doc, path, byRef);
      if (ids.has(c.id)) throw new Unsupported(`duplicate rule id ${c.id}`);
      ids.add(c.id);
      out.correlations.push(c);
    } catch (err) {
      out.unsupported.push({ path, reason: reasonOf(err) });
    }
  }
}

function reasonOf(err: unknown): string {
  if (err instanceof Unsupported) return err.message;
  return `invalid rule: ${(err as Error).message}`;
}

/**
 * Loads Sigma rules from files and directories. A missing path is the caller's error (checked
 * before); every problem inside a rule is counted in `unsupported` with its reason.
 * @example const { rules, unsupported } = loadSigmaRules(['rules/detections'])
 */
export function loadSigmaRules(paths: readonly string[], base?: string): LoadedRules {
  const out: LoadedRules = { rules: [], correlations: [], unsupported: [] };
  const docs: Array<{ doc: Doc; path: string }> = [];
  for (const p of paths) {
    for (const file of ruleFiles(p)) {
      const shown = base === undefined ? file : relative(base, file) || file;
      let text: string;
      try {
        if (statSync(file).size > MAX_FILE_BYTES) {
          out.unsupported.push({ path: shown, reason: 'file larger than 1 MB' });
          continue;
        }
        text = readFileSync(file, 'utf8');
      } catch (err) {
        out.unsupported.push({ path: shown, reason: `unreadable: ${(err as NodeJS.ErrnoException).code ?? 'error'}` });
        continue;
      }
      for (const d of readRuleDocuments(text, shown, out.unsupported)) {
        const where = String(d.__where);
        delete d.__where;
        docs.push({ doc: d, path: where });
      }
    }
  }
  compileDocuments(docs, out);
  return out;
}

/** Text of a field for grouping and value counts (lists joined), or '' when absent. */
export function groupText(v: unknown): string {
  if (Array.isArray(v)) return v.map((x) => asText(x) ?? '').join(',');
  return asText(v) ?? (isObj(v) ? JSON.stringify(v) : '');
}
