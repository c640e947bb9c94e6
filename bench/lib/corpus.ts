import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileNameTest, loadSecretRules } from '../../src/scan/secrets/load-rules.js';
import { expandPlant, type PlantTemplate, plantTemplates, spread } from './plants.js';
import { createRng, type Rng, seedOf } from './rng.js';
import {
  AVG_LINE,
  cfnYamlLines,
  cleanLines,
  DATA_VARIANTS,
  type DataVariant,
  dataLines,
  EXTENSIONS,
  type FileKind,
} from './text.js';

/** Bump when generated content changes, so cached corpora are rebuilt. */
const GENERATOR_VERSION = 6;
/**
 * Clean lines kept between two plants. AWS key ids pair with a secret within 5 lines into one finding,
 * and scanners look at windows around keywords: spacing keeps every plant separately attributable.
 */
const GAP = 8;

export interface CorpusParams {
  /** Size of the clean text in bytes (plants add a little on top). */
  targetBytes: number;
  secrets: number;
  decoys: number;
  seed: number;
}

/** One planted secret or decoy: where it is, never what it is (the manifest holds no secret). */
export interface PlantRecord {
  path: string;
  /** 1-based first and last line (PEM blocks span lines). */
  line: number;
  endLine: number;
  kind: 'secret' | 'decoy';
  ruleId?: string;
  label: string;
  /** The example line sits behind its host file's comment marker, indentation or log prefix. */
  wrapped?: boolean;
}

export interface Manifest {
  generator: number;
  params: CorpusParams;
  key: string;
  files: number;
  bytes: number;
  plants: PlantRecord[];
}

interface Share {
  kind: FileKind;
  /** Fraction of the corpus bytes. */
  bytes: number;
  /** File size range in bytes, drawn log-uniformly. */
  min: number;
  max: number;
  /** Relative chance that a planted secret / decoy lands in a file of this kind. */
  secretWeight: number;
  decoyWeight: number;
}

// Shares follow a service monorepo: by file count mostly source code, about a fifth JSON/YAML (package
// manifests, tool and app configuration, CI workflows, Compose, Kubernetes, CloudFormation), some env and
// properties files; by bytes a few minified bundles, generated lock files and logs add their weight.
const SHARES: readonly Share[] = [
  { kind: 'ts', bytes: 0.265, min: 2e3, max: 60e3, secretWeight: 14, decoyWeight: 10 },
  { kind: 'py', bytes: 0.14, min: 2e3, max: 50e3, secretWeight: 10, decoyWeight: 8 },
  { kind: 'go', bytes: 0.1, min: 2e3, max: 40e3, secretWeight: 5, decoyWeight: 5 },
  { kind: 'java', bytes: 0.08, min: 2e3, max: 40e3, secretWeight: 5, decoyWeight: 5 },
  { kind: 'rb', bytes: 0.03, min: 1e3, max: 20e3, secretWeight: 3, decoyWeight: 3 },
  { kind: 'sh', bytes: 0.02, min: 5e2, max: 15e3, secretWeight: 4, decoyWeight: 3 },
  { kind: 'env', bytes: 0.01, min: 3e2, max: 4e3, secretWeight: 25, decoyWeight: 12 },
  // JSON and YAML sizes come from their variant (DATA_SIZES); min/max here are unused.
  { kind: 'yaml', bytes: 0.025, min: 0, max: 0, secretWeight: 12, decoyWeight: 12 },
  { kind: 'json', bytes: 0.12, min: 0, max: 0, secretWeight: 8, decoyWeight: 12 },
  { kind: 'properties', bytes: 0.01, min: 5e2, max: 6e3, secretWeight: 6, decoyWeight: 4 },
  { kind: 'log', bytes: 0.04, min: 100e3, max: 2e6, secretWeight: 3, decoyWeight: 8 },
  { kind: 'minjs', bytes: 0.1, min: 150e3, max: 2.5e6, secretWeight: 1, decoyWeight: 2 },
  { kind: 'md', bytes: 0.06, min: 1e3, max: 40e3, secretWeight: 4, decoyWeight: 16 },
];

/** File size range (bytes, drawn log-uniformly) of each JSON/YAML variant. */
const DATA_SIZES: Record<DataVariant, [number, number]> = {
  package: [5e2, 3e3],
  tsconfig: [3e2, 1.5e3],
  records: [1e3, 30e3],
  openapi: [2e3, 40e3],
  lock: [50e3, 600e3],
  policy: [3e2, 3e3],
  cfn: [1e3, 20e3],
  appconfig: [3e2, 6e3],
  workflow: [5e2, 5e3],
  compose: [5e2, 4e3],
  k8s: [1e3, 15e3],
  helm: [5e2, 8e3],
};

/** Where a file of each JSON/YAML variant lives (as a real repository would name it). */
function dataPath(v: DataVariant, kind: 'json' | 'yaml', project: string, i: number, r: Rng): string {
  const sub = r.pick(['core', 'util', 'v1', 'v2', 'internal', 'shared']);
  switch (v) {
    case 'package':
      return `${project}/packages/${sub}-${i}/package.json`;
    case 'tsconfig':
      return `${project}/packages/${sub}-${i}/${r.pick(['tsconfig.json', '.eslintrc.json', 'tsconfig.build.json'])}`;
    case 'openapi':
      return `${project}/api/${sub}/openapi-${i}.json`;
    case 'lock':
      return `${project}/web-${i}/package-lock.json`;
    case 'policy':
      return `${project}/iam/policy-${i}.json`;
    case 'cfn':
      return kind === 'json' ? `${project}/infra/stack-${i}.template.json` : `${project}/infra/${sub}-stack-${i}.yaml`;
    case 'workflow':
      return `${project}/.github/workflows/${sub}-${i}.yml`;
    case 'compose':
      return `${project}/svc-${i}/docker-compose.yml`;
    case 'k8s':
      return `${project}/deploy/k8s/${sub}-${i}.yaml`;
    case 'helm':
      return `${project}/charts/${sub}-${i}/values.yaml`;
    default:
      return `${project}/${DIRS[kind]}/${sub}/${kind}-${i}${r.pick(EXTENSIONS[kind])}`;
  }
}

const DIRS: Record<FileKind, string> = {
  ts: 'src',
  py: 'app',
  go: 'internal',
  java: 'src/main/java/com/example',
  rb: 'app/controllers',
  sh: 'scripts',
  env: 'services',
  yaml: 'deploy',
  json: 'config',
  properties: 'src/main/resources',
  log: 'logs',
  minjs: 'public/assets',
  md: 'docs',
};
const PROJECTS = ['billing', 'identity', 'gateway', 'search', 'ingest', 'reports', 'notify', 'storage', 'mobile-api', 'admin'];

interface PlannedFile {
  path: string;
  kind: FileKind;
  /** For JSON and YAML: which kind of file (package manifest, workflow, …). */
  variant?: DataVariant;
  bytes: number;
  plants: PlantTemplate[];
}

function planFiles(params: CorpusParams, r: Rng): PlannedFile[] {
  const files: PlannedFile[] = [];
  for (const s of SHARES) {
    const budget = params.targetBytes * s.bytes;
    let used = 0;
    for (let i = 0; used < budget; i++) {
      if (s.kind === 'json' || s.kind === 'yaml') {
        const variant = pickWeighted(DATA_VARIANTS[s.kind], r);
        const [min, max] = DATA_SIZES[variant];
        const size = Math.round(Math.min(Math.max(budget - used + 1, min), min * (max / min) ** r.next()));
        used += size;
        files.push({ path: dataPath(variant, s.kind, r.pick(PROJECTS), i, r), kind: s.kind, variant, bytes: size, plants: [] });
        continue;
      }
      const size = Math.round(Math.min(budget - used + 1, s.min * (s.max / s.min) ** r.next()));
      used += size;
      const project = r.pick(PROJECTS);
      const ext = r.pick(EXTENSIONS[s.kind]);
      // Dotfiles (.env) live one per service folder, like real ones.
      const path =
        s.kind === 'env'
          ? `${project}/${DIRS.env}/${r.pick(['api', 'worker', 'web', 'cron', 'db'])}-${i}/${ext}`
          : `${project}/${DIRS[s.kind]}/${r.pick(['core', 'util', 'v1', 'v2', 'internal', 'shared'])}/${s.kind}-${i}${ext}`;
      files.push({ path, kind: s.kind, bytes: size, plants: [] });
    }
  }
  return files;
}

function pickWeighted<T>(items: ReadonlyArray<[T, number]>, r: Rng): T {
  let x = r.next() * items.reduce((n, [, w]) => n + w, 0);
  for (const [v, w] of items) {
    x -= w;
    if (x < 0) return v;
  }
  return items[items.length - 1]![0];
}

/** Puts each plant in a file of a kind chosen by weight, within the file's room for spaced plants. */
function assignPlants(files: PlannedFile[], plants: readonly PlantTemplate[], r: Rng): void {
  const byKind = new Map<FileKind, PlannedFile[]>();
  for (const f of files) byKind.set(f.kind, [...(byKind.get(f.kind) ?? []), f]);
  const room = (f: PlannedFile): boolean => (f.plants.length + 1) * GAP * AVG_LINE[f.kind] <= f.bytes || f.plants.length === 0;
  for (const p of plants) {
    if (p.paths !== undefined) {
      // A rule limited to some files (configuration) is planted in one of those.
      const applies = fileNameTest(p.paths);
      const fits = files.filter((f) => applies(f.path));
      const roomy = fits.filter(room);
      const pick = roomy.length > 0 ? roomy : fits;
      if (pick.length > 0) {
        pick[r.int(0, pick.length - 1)]!.plants.push(p);
        continue;
      }
    }
    const weight = (s: Share): number => (p.kind === 'secret' ? s.secretWeight : s.decoyWeight);
    const total = SHARES.reduce((n, s) => n + weight(s), 0);
    let target: PlannedFile | undefined;
    for (let attempt = 0; attempt < 20 && target === undefined; attempt++) {
      let x = r.next() * total;
      let share = SHARES[0]!;
      for (const s of SHARES) {
        share = s;
        x -= weight(s);
        if (x < 0) break;
      }
      const candidates = byKind.get(share.kind) ?? [];
      const f = candidates[r.int(0, candidates.length - 1)];
      if (f && room(f)) target = f;
    }
    (target ?? r.pick(files)).plants.push(p);
  }
}

/**
 * How a host file would hold a pasted line: behind a comment marker, indented, after a log prefix.
 * Only prefixes, so the example line itself is intact: a rule that misses it is anchored too tightly.
 */
const WRAPS: Record<FileKind, readonly ((r: Rng) => string)[]> = {
  ts: [() => '  // ', () => '   * '],
  py: [() => '    # ', () => '        '],
  go: [() => '\t// '],
  java: [() => '        // ', () => '     * '],
  rb: [() => '  # '],
  sh: [() => '# ', () => 'export '],
  env: [() => 'export ', () => '# '],
  yaml: [() => '# ', () => '      '],
  json: [() => '    '],
  properties: [() => '# '],
  log: [(r) => `2024-05-12T10:${String(r.int(10, 59))}:00.000Z DEBUG config loaded: `],
  minjs: [() => '// ', () => ' '],
  md: [() => '    ', () => '> '],
};

/** Writes one file: clean lines with the plants spliced in at spaced random positions. */
function writeFile(root: string, f: PlannedFile, seed: number, out: PlantRecord[]): number {
  const r = createRng(seedOf(seed, f.path));
  const k = f.plants.length;
  const minLines = k * (GAP + 1) + 1;
  const base =
    f.variant === undefined
      ? cleanLines(f.kind, r, f.bytes, minLines)
      : f.variant === 'cfn' && f.kind === 'yaml'
        ? cfnYamlLines(r, f.bytes, minLines)
        : dataLines(f.variant, r, f.bytes, minLines);
  // k positions in [0, n] at least GAP apart: draw in the shrunk range, sort, then spread out.
  const span = base.length - (k - 1) * GAP;
  const slots = Array.from({ length: k }, () => r.int(0, Math.max(0, span))).sort((a, b) => a - b);
  const positions = slots.map((s, i) => s + i * GAP);
  const order = [...f.plants];
  const lines: string[] = [];
  let next = 0;
  const emitPlant = (): void => {
    const p = order[next++]!;
    const text = expandPlant(p, r);
    // Half the single-line plants take their host's context; the rest stand as the rule example wrote them.
    const wrap = text.length === 1 && r.chance(0.5) ? r.pick(WRAPS[f.kind])(r) : '';
    if (wrap !== '') text[0] = wrap + text[0];
    const record: PlantRecord = {
      path: f.path,
      line: lines.length + 1,
      endLine: lines.length + text.length,
      kind: p.kind,
      label: p.label,
    };
    if (p.ruleId !== undefined) record.ruleId = p.ruleId;
    if (wrap !== '') record.wrapped = true;
    out.push(record);
    lines.push(...text);
  };
  for (let i = 0; i < base.length; i++) {
    while (next < k && positions[next] === i) emitPlant();
    lines.push(base[i]!);
  }
  while (next < k) emitPlant();
  const text = `${lines.join('\n')}\n`;
  const abs = join(root, f.path);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, text);
  return Buffer.byteLength(text);
}

/** The cache key: parameters, generator version and the rule examples (new rules mean new plants). */
function corpusKey(params: CorpusParams): string {
  const rules = loadSecretRules().map((r) => [r.id, r.examples, r.paths]);
  return createHash('sha256')
    .update(JSON.stringify({ v: GENERATOR_VERSION, params, rules }))
    .digest('hex')
    .slice(0, 12);
}

/**
 * Returns the corpus for `params` under `cacheDir`, generating it first unless a complete one with the
 * same key is there. Other (stale) corpora in the cache are removed: each is hundreds of megabytes.
 * @example const { dir, manifest } = ensureCorpus('.bench/corpus', { targetBytes: 20 << 20, secrets: 200, decoys: 200, seed: 1 }, console.log)
 */
export function ensureCorpus(
  cacheDir: string,
  params: CorpusParams,
  log: (s: string) => void,
): { dir: string; manifest: Manifest; reused: boolean } {
  const key = corpusKey(params);
  const dir = join(cacheDir, key);
  const manifestPath = join(cacheDir, `${key}.manifest.json`);
  // The manifest is written last: its presence marks a complete corpus.
  if (existsSync(manifestPath) && existsSync(dir)) {
    return { dir, manifest: JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest, reused: true };
  }
  mkdirSync(cacheDir, { recursive: true });
  for (const name of readdirSync(cacheDir)) {
    if (!name.startsWith(key)) rmSync(join(cacheDir, name), { recursive: true, force: true });
  }
  rmSync(dir, { recursive: true, force: true });
  const started = performance.now();
  const r = createRng(params.seed);
  const files = planFiles(params, r);
  const { secrets, decoys } = plantTemplates();
  const negatives = decoys.filter((d) => d.label === 'rule-negative');
  const common = decoys.filter((d) => d.label !== 'rule-negative');
  // Half the decoys are the rules' own negatives, half the everyday look-alikes.
  const halfDecoys = Math.floor(params.decoys / 2);
  const chosen = [
    ...spread(secrets, params.secrets, (t) => t.ruleId ?? ''),
    ...spread(negatives, halfDecoys, (t) => t.ruleId ?? ''),
    ...spread(common, params.decoys - halfDecoys, (t) => t.label),
  ];
  assignPlants(files, chosen, r);
  const plants: PlantRecord[] = [];
  let bytes = 0;
  for (const f of files) bytes += writeFile(dir, f, params.seed, plants);
  const manifest: Manifest = { generator: GENERATOR_VERSION, params, key, files: files.length, bytes, plants };
  writeFileSync(manifestPath, `${JSON.stringify(manifest)}\n`);
  log(
    `generated ${files.length} files, ${(bytes / 2 ** 20).toFixed(1)} MB in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return { dir, manifest, reused: false };
}
