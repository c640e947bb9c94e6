import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { type Issue, WardenError } from '../model/errors.js';
import { parseDuration, windowIntervals } from './match.js';
import {
  type AllowEntry,
  DAYS,
  type Manifest,
  type ManifestChange,
  type ManifestDocument,
  ManifestDocumentSchema,
  type ManifestIdentity,
  type PolicyWindow,
  type SourceRef,
  type TrustEntry,
} from './schema.js';

/** The file Warden picks up from the working directory when no `--policy` is given. */
export const DEFAULT_POLICY_FILE = 'warden.policy.yaml';

type Segment = string | number;

/** A parsed YAML file and a way back from a path in it to its line. */
interface Located {
  file: string;
  doc: Document;
  counter: LineCounter;
}

/**
 * The 1-based line of the node at `path` (its key when `key`), or of the nearest ancestor that exists,
 * so a missing key is reported where it should have been written.
 */
function lineAt(src: Located, path: readonly Segment[], key = false): number {
  let node: unknown = src.doc.contents;
  let line = node && (node as { range?: number[] }).range ? src.counter.linePos((node as { range: number[] }).range[0]!).line : 1;
  let keyLine: number | undefined;
  for (const [i, seg] of path.entries()) {
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return keyLine ?? line;
      const k = pair.key as { range?: number[] };
      if (k.range) keyLine = src.counter.linePos(k.range[0]!).line;
      if (last && key && keyLine !== undefined) return keyLine;
      node = pair.value;
      const r = (node as { range?: number[] } | null)?.range ?? k.range;
      if (r) line = src.counter.linePos(r[0]!).line;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      const r = (node as { range?: number[] } | undefined)?.range;
      if (!r) return line;
      line = src.counter.linePos(r[0]!).line;
    } else return line;
  }
  return line;
}

/** Keys each object of the manifest accepts, for "did you mean" on an unknown key. */
const KEYS: Record<string, readonly string[]> = {
  root: ['version', 'identities', 'trust', 'changes'],
  identity: ['owner', 'description', 'match', 'environments', 'allow', 'sources', 'windows', 'credentials', 'agent', 'response'],
  allow: ['actions', 'resources'],
  sources: ['networks', 'regions'],
  window: ['days', 'from', 'to', 'timezone'],
  credentials: ['maxLifetime', 'longLived'],
  agent: ['tools', 'destinations'],
  response: ['automatic'],
  trust: ['issuer', 'audience', 'subject', 'identity'],
  change: ['reason', 'from', 'to', 'identities', 'owner', 'networks', 'regions'],
};

function objectKind(path: readonly Segment[]): string {
  if (path.length === 0) return 'root';
  if (path[0] === 'trust') return 'trust';
  if (path[0] === 'changes') return 'change';
  if (path.length === 2) return 'identity';
  const k = path[2];
  if (k === 'allow' || k === 'windows') return k === 'allow' ? 'allow' : 'window';
  return typeof k === 'string' ? k : 'root';
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

/** The closest of `options` to a misspelt word, when one is close enough to be what was meant. */
export function closest(word: string, options: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const o of options) {
    const dd = distance(word, o);
    if (dd < bestD) {
      bestD = dd;
      best = o;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

function dotted(path: readonly Segment[]): string {
  return (
    path
      .map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`))
      .join('')
      .replace(/^\./, '') || '(root)'
  );
}

class Collector {
  readonly issues: Issue[] = [];
  add(src: Located, path: readonly Segment[], message: string, key = false): void {
    const at = `${src.file}:${lineAt(src, path, key)}`;
    this.issues.push({ path: at, message: path.length > 0 ? `${dotted(path)}: ${message}` : message });
  }
}

function readYaml(file: string, text: string, out: Collector): Located | undefined {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const line = e.linePos?.[0]?.line ?? 1;
      const hint = /duplicate key|keys must be unique/i.test(e.message) ? ' (each key once: merge the two entries)' : '';
      out.issues.push({ path: `${file}:${line}`, message: `not valid YAML: ${e.message.split('\n')[0]}${hint}` });
    }
    return undefined;
  }
  return { file, doc, counter };
}

function schemaIssues(src: Located, raw: unknown, out: Collector): ManifestDocument | undefined {
  const parsed = ManifestDocumentSchema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  for (const i of parsed.error.issues) {
    const path = i.path.filter((p): p is Segment => typeof p === 'string' || typeof p === 'number');
    if (i.code === 'unrecognized_keys') {
      const allowed = KEYS[objectKind(path)] ?? [];
      for (const k of i.keys) {
        const guess = closest(k, allowed);
        out.add(
          src,
          [...path, k],
          `unknown key "${k}": ${guess ? `did you mean "${guess}"?` : `expected one of ${allowed.join(', ')}`}`,
          true,
        );
      }
    } else if (i.code === 'invalid_value' && path.at(-2) === 'days') {
      const value = String(lookup(raw, path) ?? '');
      const guess = closest(value, DAYS);
      out.add(src, path, `"${value}" is not a day: ${guess ? `did you mean "${guess}"? ` : ''}write ${DAYS.join(', ')}`);
    } else if (i.code === 'invalid_type' && i.input === undefined) {
      out.add(src, path, `missing: ${fieldHint(path)}`);
    } else {
      out.add(src, path, i.message);
    }
  }
  return undefined;
}

function fieldHint(path: readonly Segment[]): string {
  const last = path.at(-1);
  if (last === 'owner') return 'every identity needs an owner (the team answerable for it), e.g. owner: platform-team';
  if (last === 'version') return 'start the file with `version: 1`';
  if (last === 'actions') return 'each allow entry lists actions, e.g. actions: ["s3:GetObject"]';
  return `add "${String(last)}"`;
}

function lookup(raw: unknown, path: readonly Segment[]): unknown {
  let v = raw;
  for (const s of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[s as string] : undefined;
  return v;
}

function fmtMinute(m: number): string {
  const d = DAYS[Math.floor(m / 1440) % 7]!;
  const mm = m % 1440;
  return `${d} ${String(Math.floor(mm / 60)).padStart(2, '0')}:${String(mm % 60).padStart(2, '0')}`;
}

/** Turns one validated document into identities (with their lines), checking what a schema cannot. */
function buildIdentities(
  src: Located,
  doc: ManifestDocument,
  out: Collector,
): { identities: ManifestIdentity[]; trust: TrustEntry[]; changes: ManifestChange[] } {
  const at = (path: readonly Segment[], key = false): SourceRef => ({ file: src.file, line: lineAt(src, path, key) });
  const identities: ManifestIdentity[] = [];
  for (const [name, e] of Object.entries(doc.identities)) {
    const base: Segment[] = ['identities', name];
    const allow: AllowEntry[] | undefined = e.allow?.map((a, i) => ({
      actions: a.actions,
      resources: a.resources,
      id: `${name}/allow/${i}`,
      at: at([...base, 'allow', i]),
    }));
    const windows: PolicyWindow[] | undefined = e.windows?.map((w, i) => {
      const wp: Segment[] = [...base, 'windows', i];
      const timezone = w.timezone ?? 'UTC';
      return { days: w.days, from: w.from, to: w.to, timezone, at: at(wp) };
    });
    if (windows) {
      // Overlapping windows of one identity are a mistake (or a merge waiting to happen); compare those in one zone.
      for (let a = 0; a < windows.length; a++) {
        for (let b = a + 1; b < windows.length; b++) {
          if (windows[a]!.timezone !== windows[b]!.timezone) continue;
          const ia = windowIntervals(windows[a]!);
          const ib = windowIntervals(windows[b]!);
          const hit = ia.flatMap(([s1, e1]) => ib.filter(([s2, e2]) => s1 < e2 && s2 < e1).map(([s2]) => Math.max(s1, s2)))[0];
          if (hit !== undefined)
            out.add(
              src,
              [...base, 'windows', b],
              `overlaps window ${a} (both cover ${fmtMinute(hit)}): merge them into one window or split the days`,
            );
        }
      }
    }
    const maxLifetimeSeconds = e.credentials?.maxLifetime === undefined ? undefined : parseDuration(e.credentials.maxLifetime);
    const entry: ManifestIdentity = {
      name,
      owner: e.owner,
      description: e.description,
      match: e.match,
      environments: e.environments,
      allow,
      sources: e.sources && { ...e.sources, at: at([...base, 'sources'], true) },
      windows,
      credentials: e.credentials && { ...e.credentials, maxLifetimeSeconds, at: at([...base, 'credentials'], true) },
      agent: e.agent && { ...e.agent, at: at([...base, 'agent'], true) },
      response: e.response && { ...e.response, at: at([...base, 'response'], true) },
      at: at(base, true),
    };
    matchLines.set(
      entry,
      e.match.map((_, i) => lineAt(src, [...base, 'match', i])),
    );
    identities.push(entry);
  }
  const trust = doc.trust.map((t, i) => ({ ...t, at: at(['trust', i]) }));
  const changes = doc.changes.map((c, i) => ({ ...c, at: at(['changes', i]) }));
  return { identities, trust, changes };
}

/** The line of each `match` entry, for problems that point at one. */
const matchLines = new WeakMap<ManifestIdentity, number[]>();

/** Normalised form of a match name for duplicate detection and exact lookup (an assumed-role session is its role). */
export function canonicalName(name: string): string {
  const m = /^arn:([^:]+):sts::(\d*):assumed-role\/([^/]+)(?:\/.*)?$/.exec(name);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : name;
}

function crossChecks(identities: ManifestIdentity[], trust: TrustEntry[], changes: ManifestChange[], issues: Issue[]): void {
  const names = new Map<string, ManifestIdentity>();
  for (const id of identities) {
    const prev = names.get(id.name);
    if (prev)
      issues.push({
        path: `${id.at.file}:${id.at.line}`,
        message: `identity "${id.name}" is declared twice (also at ${prev.at.file}:${prev.at.line}): keep one entry`,
      });
    else names.set(id.name, id);
  }
  const claims = new Map<string, { id: ManifestIdentity; line: number }>();
  for (const id of names.values()) claims.set(canonicalName(id.name), { id, line: id.at.line });
  for (const id of names.values()) {
    for (const [i, m] of id.match.entries()) {
      const c = canonicalName(m);
      const prev = claims.get(c);
      if (prev && prev.id !== id) {
        issues.push({
          path: `${id.at.file}:${matchLines.get(id)?.[i] ?? id.at.line}`,
          message: `identities.${id.name}.match: "${m}" is also claimed by identity "${prev.id.name}" (${prev.id.at.file}:${prev.id.at.line}): one name can belong to one identity only; remove it from one of them`,
        });
      } else if (!prev) claims.set(c, { id, line: id.at.line });
    }
  }
  for (const t of trust) {
    if (!names.has(t.identity)) {
      const guess = closest(t.identity, [...names.keys()]);
      issues.push({
        path: `${t.at.file}:${t.at.line}`,
        message: `trust.identity: "${t.identity}" is not a declared identity${guess ? `: did you mean "${guess}"?` : ''}`,
      });
    }
  }
  const owners = [...new Set(identities.map((id) => id.owner))];
  for (const c of changes) {
    for (const name of c.identities ?? []) {
      if (names.has(name)) continue;
      const guess = closest(name, [...names.keys()]);
      issues.push({
        path: `${c.at.file}:${c.at.line}`,
        message: `changes.identities: "${name}" is not a declared identity${guess ? `: did you mean "${guess}"?` : ': declare it under identities: first'}`,
      });
    }
    if (c.owner !== undefined && !owners.includes(c.owner)) {
      const guess = closest(c.owner, owners);
      issues.push({
        path: `${c.at.file}:${c.at.line}`,
        message: `changes.owner: no declared identity has owner "${c.owner}"${guess ? `: did you mean "${guess}"?` : ''}`,
      });
    }
  }
}

/**
 * Validates manifest text (one file). Every problem is an Issue whose `path` is `file:line`.
 * @example const r = parseManifest('version: 1\nidentities: {}\n', 'warden.policy.yaml'); r.ok // true
 */
export function parseManifest(
  text: string,
  file = DEFAULT_POLICY_FILE,
): { ok: true; value: Manifest } | { ok: false; issues: Issue[] } {
  return assemble([{ file, text }]);
}

function assemble(files: Array<{ file: string; text: string }>): { ok: true; value: Manifest } | { ok: false; issues: Issue[] } {
  const out = new Collector();
  const identities: ManifestIdentity[] = [];
  const trust: TrustEntry[] = [];
  const changes: ManifestChange[] = [];
  for (const { file, text } of files) {
    const src = readYaml(file, text, out);
    if (!src) continue;
    const raw = src.doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (raw !== null && raw !== undefined && (typeof raw !== 'object' || Array.isArray(raw))) {
      out.issues.push({ path: `${file}:1`, message: 'a manifest is a mapping: start with `version: 1` and `identities:`' });
      continue;
    }
    const doc = schemaIssues(src, raw, out);
    if (!doc) continue;
    const built = buildIdentities(src, doc, out);
    identities.push(...built.identities);
    trust.push(...built.trust);
    changes.push(...built.changes);
  }
  if (out.issues.length === 0) crossChecks(identities, trust, changes, out.issues);
  if (out.issues.length > 0) {
    const lineOf = (i: Issue) => Number(/:(\d+)$/.exec(i.path)?.[1] ?? 0);
    const fileOf = (i: Issue) => i.path.replace(/:\d+$/, '');
    const order = files.map((f) => f.file);
    out.issues.sort((a, b) => order.indexOf(fileOf(a)) - order.indexOf(fileOf(b)) || lineOf(a) - lineOf(b));
    return { ok: false, issues: out.issues };
  }
  return {
    ok: true,
    value: deepFreeze({ version: 1 as const, identities, trust, changes, files: files.map((f) => f.file) }),
  };
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

function manifestFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...manifestFiles(p));
    else if (e.isFile() && /\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out;
}

/**
 * Loads a manifest from a file or a folder of `.yaml`/`.yml` files (read recursively, in name order,
 * as one manifest). All or nothing: any problem throws WARDEN_POLICY_INVALID listing every problem as
 * `file:line` with a fix; nothing is half-loaded. `cwd` makes the cited file names relative.
 * @example const manifest = loadManifest('warden.policy.yaml'); manifest.identities[0]?.owner
 */
export function loadManifest(path: string, cwd = process.cwd()): Manifest {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new WardenError('WARDEN_POLICY_INVALID', `policy manifest not found: ${path}`, [
      { path, message: 'no such file or folder: write a warden.policy.yaml or pass --policy FILE' },
    ]);
  }
  const paths = isDir ? manifestFiles(path) : [path];
  if (isDir && paths.length === 0)
    throw new WardenError('WARDEN_POLICY_INVALID', `no manifest in ${path}`, [
      { path, message: 'the folder holds no .yaml or .yml file' },
    ]);
  const files = paths.map((p) => {
    const rel = relative(cwd, p);
    const file = rel && !rel.startsWith('..') ? rel : p;
    try {
      return { file, text: readFileSync(p, 'utf8') };
    } catch (err) {
      throw new WardenError('WARDEN_POLICY_INVALID', `cannot read policy manifest ${file}: ${(err as Error).message}`);
    }
  });
  const r = assemble(files);
  if (!r.ok) {
    const n = r.issues.length;
    throw new WardenError(
      'WARDEN_POLICY_INVALID',
      `${path} is not a valid policy manifest (${n} problem${n === 1 ? '' : 's'})`,
      r.issues,
    );
  }
  return r.value;
}
