/**
 * bench:graph — the identity graph at estate scale: import throughput and query latency on SQLite and
 * PostgreSQL, each beside a reference measured in the same run on the same backend.
 *
 * 1. Generates a synthetic estate in-process, deterministic from BENCH_SEED: BENCH_IDENTITIES (100,000)
 *    identities of mixed types with ~1.5 credentials each, 1–3 workloads or source addresses, a few
 *    resources and actions; an inventory (owners, policies, grants, assume chains, runs-as); ~1 leaked
 *    AWS key per 100 identities as secret findings, a few of them then used from new addresses, a few
 *    deactivated. BENCH_EVENTS (10,000,000) events, generated lazily (never all in memory), with a
 *    Zipf-like skew over identities so a few are very busy.
 * 2. Per backend (BENCH_BACKENDS, 'sqlite,postgres'): the reference (a bare batched INSERT of one row
 *    per event into a plain table: 1,000 rows a statement, 50,000 a transaction) into a fresh database,
 *    then Warden's import (inventory, findings, events) into another, its size, the rescore pass, and
 *    query latencies (medians of BENCH_QUERY_RUNS, 31) next to a primary-key lookup of one node.
 * 3. Checks (prints, never asserts) that the top-ranked identity is one whose leaked key was used from
 *    an unknown source.
 *
 * Nothing is cached in .bench/: generating the estate is cheaper than reading 10M events back, and the
 * "generate only" row shows what generation adds to both sides of the import ratio.
 * Prints tables and one JSON line. Timings are reported, never asserted.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { type Kysely, sql } from 'kysely';
import type { Finding } from '../src/model/finding.js';
import type { CredentialLifecycle, EventSource, IdentityEvent } from '../src/model/identity-event.js';
import type { InventoryNode, InventoryRelation } from '../src/model/inventory.js';
import { createRandom, randomChars } from '../src/model/random.js';
import { getGraphNode } from '../src/store/graph.js';
import { importEvents, importFindings, importInventory } from '../src/store/graph-import.js';
import { blastRadius, evidenceOf, explainExposure, listIdentities, listRisk, rescoreGraph } from '../src/store/graph-query.js';
import { openStore, type Store } from '../src/store/store.js';
import { type Backend, postgresBackend, sqliteBackend } from '../src/store/testing.js';
import { fixed, formatTable, peakRssMb, round } from './lib/report.js';

const DAY = 86_400_000;
const env = (k: string, d: number) => (process.env[k] === undefined ? d : Number(process.env[k]));

const params = {
  seed: env('BENCH_SEED', 1),
  identities: env('BENCH_IDENTITIES', 100_000),
  events: env('BENCH_EVENTS', 10_000_000),
  backends: (process.env.BENCH_BACKENDS ?? 'sqlite,postgres')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== ''),
  days: env('BENCH_DAYS', 30),
  start: process.env.BENCH_START ?? '2025-06-01',
  queryRuns: Math.max(1, env('BENCH_QUERY_RUNS', 31)),
  /** BENCH_ANALYZE=1: ANALYZE the graph tables before the queries (PostgreSQL; SQLite runs ANALYZE too). */
  analyze: process.env.BENCH_ANALYZE === '1',
};
export const START = Date.parse(params.start);
/** The scan that found the leaks: uses of a leaked key from a new place come after it. */
export const FOUND_AT = START + 20 * DAY;
export const END = START + params.days * DAY;
/** Rows per statement and per transaction for the reference, as the import batches. */
const REF_BATCH = 1000;
const REF_TX = 50_000;

// ---------------------------------------------------------------- progress

const tty = process.stderr.isTTY === true;
/** Progress of one long phase on stderr: a rewritten line every 2 s on a terminal, a plain line every 10 s otherwise. */
function progress(phase: string, total: number): { tick(n: number): void; done(): void } {
  const t0 = performance.now();
  const every = tty ? 2000 : 10_000;
  let next = t0 + every;
  let printed = false;
  const line = (n: number) => {
    const s = (performance.now() - t0) / 1000;
    const rate = n / Math.max(s, 1e-9);
    const eta = rate > 0 ? (total - n) / rate : Number.NaN;
    return `${phase}: ${n.toLocaleString('en-US')}/${total.toLocaleString('en-US')} (${fixed((100 * n) / total, 0)} %), ${fixed(rate, 0)}/s, ${fixed(s, 0)} s, ETA ${fixed(eta, 0)} s`;
  };
  return {
    tick(n) {
      const now = performance.now();
      if (now < next) return;
      next = now + every;
      printed = true;
      if (tty) process.stderr.write(`\r${line(n)}\x1b[K`);
      else process.stderr.write(`${line(n)}\n`);
    },
    done() {
      if (printed && tty) process.stderr.write('\r\x1b[K');
    },
  };
}

// ---------------------------------------------------------------- the estate

type Family = 'aws' | 'k8s' | 'vault' | 'github' | 'okta' | 'agent';
const SOURCE_OF: Record<Family, EventSource> = {
  aws: 'cloudtrail',
  k8s: 'k8s-audit',
  vault: 'vault',
  github: 'github-audit',
  okta: 'okta',
  agent: 'agent-trace',
};
const ACTIONS: Record<Family, readonly string[]> = {
  aws: [
    's3:GetObject',
    's3:PutObject',
    's3:ListBucket',
    'dynamodb:GetItem',
    'dynamodb:Query',
    'secretsmanager:GetSecretValue',
    'sts:AssumeRole',
    'kms:Decrypt',
  ],
  k8s: ['k8s:get', 'k8s:list', 'k8s:watch', 'k8s:create', 'k8s:patch'],
  vault: ['vault:read', 'vault:list', 'vault:update', 'vault:create'],
  github: ['git.clone', 'git.fetch', 'git.push', 'repo.download_zip'],
  okta: ['auth.login', 'app.access', 'token.refresh'],
  agent: ['tool.call', 'tool.result', 'http.request'],
};
const CREDENTIAL_TYPE: Record<Family, string> = {
  aws: 'aws-access-key',
  k8s: 'k8s-service-account-token',
  vault: 'vault-token',
  github: 'github-token',
  okta: 'okta-token',
  agent: 'api-key',
};
/** Share of identities by type, and the family (log source) each type speaks through. */
const TYPES: ReadonlyArray<{ type: IdentityEvent['identity']['type']; weight: number; family: Family; workload: number }> = [
  { type: 'iam-role', weight: 28, family: 'aws', workload: 0.6 },
  { type: 'iam-user', weight: 12, family: 'aws', workload: 0.2 },
  { type: 'service-account', weight: 25, family: 'k8s', workload: 0.9 },
  { type: 'vault-token', weight: 15, family: 'vault', workload: 0.5 },
  { type: 'app', weight: 5, family: 'github', workload: 0.7 },
  { type: 'app', weight: 5, family: 'okta', workload: 0.3 },
  { type: 'agent', weight: 8, family: 'agent', workload: 0.7 },
  { type: 'user', weight: 2, family: 'okta', workload: 0 },
];
const TEAMS = 60;
const NAMES = [
  'billing',
  'identity',
  'gateway',
  'search',
  'ingest',
  'reports',
  'notify',
  'storage',
  'mobile',
  'admin',
  'etl',
  'ml',
];
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const HEX = '0123456789abcdef';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

interface Credential {
  /** As the logs write it: AKIA…, hmac-sha256:…, JTI=…, … */
  key: string;
  type: string;
}
interface Place {
  workload?: string;
  ip?: string;
}
interface Resource {
  id: string;
  type: string;
}
interface Identity {
  id: string;
  type: IdentityEvent['identity']['type'];
  name: string;
  scope: string;
  family: Family;
  team: number;
  credentials: Credential[];
  places: Place[];
  resources: Resource[];
  actions: string[];
  /** Seen in no log: only the inventory declares it. */
  dormant: boolean;
}
interface Special {
  time: number;
  identity: Identity;
  credential: Credential;
  kind: 'attack' | 'deactivate';
  n: number;
}
export interface Estate {
  identities: Identity[];
  /** Indices of identities that act (the Zipf rank order: the first are the busiest). */
  active: number[];
  workloads: string[];
  inventory: InventoryRelation[];
  findings: Array<{ repo: string; visibility: 'public' | 'private'; findings: Finding[] }>;
  leaked: Array<{ identity: Identity; credential: Credential }>;
  /** Leaked keys used from a new address after the leak was found. */
  attacked: Array<{ identity: Identity; credential: Credential }>;
  deactivated: Array<{ identity: Identity; credential: Credential }>;
  specials: Special[];
  /** Events of day 0: every active identity's every credential from every place it uses. */
  baseline: number;
}

const uuid = (rnd: () => number) =>
  `${randomChars(HEX, 8, rnd)}-${randomChars(HEX, 4, rnd)}-4${randomChars(HEX, 3, rnd)}-a${randomChars(HEX, 3, rnd)}-${randomChars(HEX, 12, rnd)}`;
const ipOf = (rnd: () => number) => `10.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${1 + Math.floor(rnd() * 254)}`;
/** Rank in [0, n) with a Zipf-like skew (rank 0 the most likely). */
const skewed = (n: number, rnd: () => number, power: number) => Math.min(n - 1, Math.floor(n * rnd() ** power));
const pick = <T>(xs: readonly T[], rnd: () => number): T => xs[Math.floor(rnd() * xs.length)]!;

function credentialOf(family: Family, rnd: () => number): Credential {
  const type = CREDENTIAL_TYPE[family];
  switch (family) {
    case 'aws':
      // Synthetic key ids, assembled at run time from the seeded random.
      return { key: `AKIA${randomChars(UPPER_DIGITS, 16, rnd)}`, type };
    case 'vault':
      return { key: `hmac-sha256:${randomChars(HEX, 64, rnd)}`, type };
    case 'k8s':
      return { key: `JTI=${uuid(rnd)}`, type };
    case 'github':
      return { key: `${randomChars(B64, 43, rnd)}=`, type };
    case 'okta':
      return { key: `00T${randomChars(UPPER_DIGITS, 17, rnd)}`, type };
    case 'agent':
      return { key: `agk_${randomChars(HEX, 24, rnd)}`, type };
  }
}

/** The resource pool of one family; identities draw from it with a skew, so some resources are hot. */
function resourcePool(family: Family, n: number, accounts: string[], rnd: () => number): Resource[] {
  const out: Resource[] = [];
  for (let k = 0; k < n; k++) {
    const name = `${pick(NAMES, rnd)}-${k}`;
    switch (family) {
      case 'aws': {
        const acct = pick(accounts, rnd);
        const r = rnd();
        out.push(
          r < 0.5
            ? { id: `arn:aws:s3:::${name}`, type: 'AWS::S3::Bucket' }
            : r < 0.8
              ? { id: `arn:aws:dynamodb:us-east-1:${acct}:table/${name}`, type: 'AWS::DynamoDB::Table' }
              : { id: `arn:aws:secretsmanager:us-east-1:${acct}:secret:${name}`, type: 'AWS::SecretsManager::Secret' },
        );
        break;
      }
      case 'k8s':
        out.push({ id: `k8s:ns-${k % 200}/${pick(['secrets', 'configmaps', 'pods', 'deployments'], rnd)}`, type: 'k8s' });
        break;
      case 'vault':
        out.push({ id: `vault:secret/data/${name}`, type: 'vault-path' });
        break;
      case 'github':
        out.push({ id: `github:acme/${name}`, type: 'repository' });
        break;
      case 'okta':
        out.push({ id: `okta:app/${name}`, type: 'app' });
        break;
      case 'agent':
        out.push({ id: `mcp:${name}`, type: 'tool' });
        break;
    }
  }
  return out;
}

export function buildEstate(seed: number, n: number): Estate {
  const rnd = createRandom(seed);
  const accounts = Array.from({ length: 20 }, () => randomChars('0123456789', 12, rnd));
  const pools = {} as Record<Family, Resource[]>;
  for (const f of Object.keys(SOURCE_OF) as Family[]) pools[f] = resourcePool(f, Math.max(50, Math.round(n / 20)), accounts, rnd);
  const totalWeight = TYPES.reduce((a, t) => a + t.weight, 0);

  const identities: Identity[] = [];
  const workloads = new Set<string>();
  for (let i = 0; i < n; i++) {
    let x = rnd() * totalWeight;
    let t = TYPES[0]!;
    for (const c of TYPES) {
      t = c;
      x -= c.weight;
      if (x < 0) break;
    }
    const name = `${pick(NAMES, rnd)}-${i}`;
    const acct = pick(accounts, rnd);
    const ns = `ns-${Math.floor(rnd() * 200)}`;
    let id: string;
    let scope: string;
    switch (t.type) {
      case 'iam-role':
        id = `arn:aws:iam::${acct}:role/${name}`;
        scope = acct;
        break;
      case 'iam-user':
        id = `arn:aws:iam::${acct}:user/${name}`;
        scope = acct;
        break;
      case 'service-account':
        id = `system:serviceaccount:${ns}:${name}`;
        scope = ns;
        break;
      case 'vault-token':
        id = uuid(rnd);
        scope = 'vault';
        break;
      case 'agent':
        id = `agent:${name}`;
        scope = 'agents';
        break;
      case 'user':
        id = `00u${randomChars(UPPER_DIGITS, 17, rnd)}`;
        scope = 'okta';
        break;
      default:
        id = t.family === 'github' ? `github-app:${name}` : `0oa${randomChars(UPPER_DIGITS, 17, rnd)}`;
        scope = t.family;
    }
    const credentials = Array.from({ length: rnd() < 0.5 ? 1 : 2 }, () => credentialOf(t.family, rnd));
    const places: Place[] = [];
    const nPlaces = 1 + Math.floor(rnd() * 3);
    for (let p = 0; p < nPlaces; p++) {
      if (rnd() < t.workload) {
        const w =
          t.family === 'github'
            ? `github-workflow:acme/${name}/.github/workflows/${pick(['ci', 'release', 'deploy'], rnd)}-${p}.yml`
            : t.family === 'aws' && rnd() < 0.3
              ? `terraform:aws_instance.${name.replace(/-/g, '_')}_${p}`
              : `k8s:${ns}/deployment/${name}-${p}`;
        places.push({ workload: w });
        workloads.add(w);
      } else places.push({ ip: ipOf(rnd) });
    }
    const resources: Resource[] = [];
    const nRes = 2 + Math.floor(rnd() * 7);
    for (let r = 0; r < nRes; r++) resources.push(pools[t.family][skewed(pools[t.family].length, rnd, 2)]!);
    const actions = [...new Set(Array.from({ length: 2 + Math.floor(rnd() * 3) }, () => pick(ACTIONS[t.family], rnd)))];
    identities.push({
      id,
      type: t.type,
      name,
      scope,
      family: t.family,
      team: Math.floor(rnd() * TEAMS),
      credentials,
      places,
      resources,
      actions,
      dormant: rnd() < 0.1,
    });
  }
  const active = identities.flatMap((p, i) => (p.dormant ? [] : [i]));

  // ---- inventory
  const inventory: InventoryRelation[] = [];
  let line = 0;
  const rel = (
    kind: InventoryRelation['kind'],
    src: InventoryNode,
    dst: InventoryNode,
    path: string,
    props?: Record<string, unknown>,
  ) => inventory.push({ kind, src, dst, path, line: (line++ % 5000) + 1, ...(props ? { props } : {}) });
  const node = (p: Identity): InventoryNode => ({ kind: 'identity', id: p.id, label: p.name });
  const policies: Record<'aws' | 'k8s' | 'vault', string[]> = { aws: [], k8s: [], vault: [] };
  const nPolicies = Math.max(20, Math.round(n / 300));
  for (const fam of ['aws', 'k8s', 'vault'] as const) {
    for (let k = 0; k < nPolicies; k++) {
      const name = `${pick(NAMES, rnd)}-${k}`;
      const id = fam === 'aws' ? `aws-policy:${name}` : fam === 'k8s' ? `k8s-role:ns-${k % 200}/${name}` : `vault-policy:${name}`;
      policies[fam].push(id);
      const path =
        fam === 'aws' ? 'infra/aws/iam.tf' : fam === 'k8s' ? `k8s/ns-${k % 200}/rbac.yaml` : `vault/policies/${name}.hcl`;
      const pnode: InventoryNode = { kind: 'policy', id, label: name };
      if (rnd() < 0.03) {
        const star = fam === 'aws' ? '*' : fam === 'k8s' ? 'k8s:*/*' : 'vault:*';
        rel('can-access', pnode, { kind: 'resource', id: star }, path, { actions: ['*'], admin: true });
      } else {
        for (let g = 1 + Math.floor(rnd() * 4); g > 0; g--) {
          const r = pools[fam][skewed(pools[fam].length, rnd, 2)]!;
          const acts = [...new Set(Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => pick(ACTIONS[fam], rnd)))];
          rel('can-access', pnode, { kind: 'resource', id: r.id }, path, { actions: acts });
        }
      }
    }
  }
  const awsRoles = identities.filter((p) => p.type === 'iam-role');
  for (const p of identities) {
    if (rnd() >= 0.9) continue; // most identities are declared somewhere, not all
    const path =
      p.family === 'aws'
        ? `infra/aws/${NAMES[p.team % NAMES.length]}.tf`
        : p.family === 'k8s'
          ? `k8s/${p.scope}/serviceaccounts.yaml`
          : `config/${p.family}/${NAMES[p.team % NAMES.length]}.yaml`;
    if (rnd() < 0.85) rel('owned-by', node(p), { kind: 'owner', id: `team-${p.team}` }, path);
    if (p.family === 'aws' || p.family === 'k8s' || p.family === 'vault') {
      const pool = policies[p.family];
      for (let k = 1 + Math.floor(rnd() * 2); k > 0; k--)
        rel('has-policy', node(p), { kind: 'policy', id: pool[skewed(pool.length, rnd, 1.5)]! }, path);
    }
    if (rnd() < 0.5) {
      const r = pick(p.resources, rnd);
      rel('can-access', node(p), { kind: 'resource', id: r.id }, path, { actions: p.actions.slice(0, 2) });
    }
    if (rnd() < 0.005) rel('can-access', node(p), { kind: 'resource', id: '*' }, path, { actions: ['*'], admin: true });
    for (const pl of p.places)
      if (pl.workload !== undefined) rel('runs-as', { kind: 'workload', id: pl.workload }, node(p), path);
    // Assume chains of depth 2–3 from a few AWS identities.
    if (p.family === 'aws' && awsRoles.length > 3 && rnd() < 0.03) {
      let from = p;
      for (let d = rnd() < 0.5 ? 2 : 3; d > 0; d--) {
        const to = pick(awsRoles, rnd);
        if (to === from) continue;
        rel('assumes', node(from), node(to), 'infra/aws/trust.tf');
        from = to;
      }
      if (rnd() < 0.3) rel('has-policy', node(from), { kind: 'policy', id: pick(policies.aws, rnd) }, 'infra/aws/trust.tf');
    }
  }

  // ---- leaked keys, their findings, and what happens to them after the leak
  const awsCreds = identities.flatMap((identity) =>
    identity.family === 'aws' ? identity.credentials.map((credential) => ({ identity, credential })) : [],
  );
  const nLeaked = Math.min(awsCreds.length, Math.max(5, Math.round(n / 100)));
  const leaked: Estate['leaked'] = [];
  const taken = new Set<number>();
  while (leaked.length < nLeaked) {
    const k = Math.floor(rnd() * awsCreds.length);
    if (taken.has(k)) continue;
    taken.add(k);
    leaked.push(awsCreds[k]!);
  }
  const live = leaked.filter((l) => !l.identity.dormant);
  const nAttacked = Math.min(live.length, Math.max(2, Math.round(nLeaked / 100)));
  const attacked = live.slice(0, nAttacked);
  const deactivated = live.slice(nAttacked, nAttacked + Math.max(1, Math.round(nLeaked / 50)));
  const repos = Array.from({ length: 10 }, (_, r) => ({
    repo: `github.com/acme/${NAMES[r]}`,
    visibility: (r < 2 ? 'public' : 'private') as 'public' | 'private',
    findings: [] as Finding[],
  }));
  for (const [k, l] of leaked.entries()) {
    const key = l.credential.key;
    const committed = START + (10 + rnd() * 9) * DAY;
    pick(repos, rnd).findings.push({
      ruleId: 'aws-access-key-id',
      kind: 'secret',
      title: 'AWS access key',
      severity: 'critical',
      provider: 'aws',
      message: `AWS access key: ${key.slice(0, 3)}************`,
      path: `services/${l.identity.name}/.env`,
      line: 1 + Math.floor(rnd() * 40),
      column: 1,
      fingerprint: createHash('sha256').update(`bench-graph-secret-${seed}-${k}`).digest('hex'),
      preview: `${key.slice(0, 3)}************`,
      credentialKey: { type: 'aws-access-key-id', value: key },
      commit: {
        sha: randomChars(HEX, 40, rnd),
        author: 'dev',
        email: 'dev@example.com',
        date: new Date(committed).toISOString(),
      },
      frameworks: [],
    });
  }

  const specials: Special[] = [];
  for (const a of attacked)
    for (let j = 0; j < 25; j++)
      specials.push({ time: FOUND_AT + DAY + rnd() * (END - FOUND_AT - DAY), ...a, kind: 'attack', n: j });
  for (const d of deactivated) specials.push({ time: FOUND_AT + DAY / 2 + rnd() * DAY, ...d, kind: 'deactivate', n: 0 });
  specials.sort((a, b) => a.time - b.time);

  let baseline = 0;
  for (const i of active) baseline += identities[i]!.credentials.length * identities[i]!.places.length;
  return {
    identities,
    active,
    workloads: [...workloads],
    inventory,
    findings: repos.filter((r) => r.findings.length > 0),
    leaked,
    attacked,
    deactivated,
    specials,
    baseline,
  };
}

// ---------------------------------------------------------------- events

const USER_AGENTS = ['aws-sdk-go/1.44', 'Boto3/1.34 Python/3.12', 'kubectl/v1.30', 'vault/1.16', 'okhttp/4.12', 'agent/0.3'];
const ATTACK_ACTIONS = [
  'sts:GetCallerIdentity',
  'iam:ListUsers',
  'secretsmanager:GetSecretValue',
  's3:ListBucket',
  'iam:CreateAccessKey',
];

function eventOf(
  k: number,
  t: number,
  p: Identity,
  c: Credential,
  place: Place,
  action: string,
  resource: Resource,
  outcome: IdentityEvent['outcome'],
  lifecycle: CredentialLifecycle,
): IdentityEvent {
  const e: IdentityEvent = {
    id: `bench-${params.seed}-${k}`,
    time: new Date(t).toISOString(),
    source: SOURCE_OF[p.family],
    identity: { id: p.id, type: p.type, name: p.name, scope: p.scope },
    credential: { key: c.key, type: c.type, lifecycle, ...(lifecycle === 'used' ? {} : { subject: c.key }) },
    action,
    resource,
    outcome,
    client: place.workload !== undefined ? { workload: place.workload } : { ip: place.ip!, userAgent: USER_AGENTS[p.team % 6]! },
    tags: lifecycle === 'used' ? ['credential.used'] : [`credential.${lifecycle}`],
    raw: {},
  };
  return e;
}

/**
 * The event stream, in time order and generated as it is read: day 0 has every active identity use
 * every credential from every place it uses (what the owners' normal looks like), then BENCH_EVENTS
 * spread over the remaining days with a skew over identities, the attacks and deactivations merged in
 * at their times. Same seed, same events.
 */
export function* eventStream(estate: Estate, total: number, onCount?: (n: number) => void): Generator<IdentityEvent> {
  const rnd = createRandom(params.seed ^ 0x9e3779b9);
  const ids = estate.identities;
  let k = 0;
  const baseline = Math.min(estate.baseline, Math.max(0, total - estate.specials.length));
  const step0 = DAY / Math.max(1, baseline);
  outer: for (const i of estate.active) {
    const p = ids[i]!;
    for (const c of p.credentials)
      for (const place of p.places) {
        if (k >= baseline) break outer;
        yield eventOf(k, START + k * step0, p, c, place, pick(p.actions, rnd), pick(p.resources, rnd), 'success', 'used');
        k++;
        if ((k & 1023) === 0) onCount?.(k);
      }
  }
  const main = Math.max(0, total - k - estate.specials.length);
  const span = END - START - DAY;
  const step = span / Math.max(1, main);
  const active = estate.active;
  let s = 0;
  const specials = estate.specials;
  for (let m = 0; m < main; m++) {
    const t = START + DAY + m * step + rnd() * step;
    while (s < specials.length && specials[s]!.time <= t) {
      const sp = specials[s++]!;
      yield sp.kind === 'attack'
        ? eventOf(
            k++,
            sp.time,
            sp.identity,
            sp.credential,
            { ip: `198.51.100.${1 + (sp.n % 200)}` },
            ATTACK_ACTIONS[sp.n % ATTACK_ACTIONS.length]!,
            sp.identity.resources[0]!,
            'success',
            'used',
          )
        : eventOf(
            k++,
            sp.time,
            sp.identity,
            sp.credential,
            sp.identity.places[0]!,
            'iam:UpdateAccessKey',
            sp.identity.resources[0]!,
            'success',
            'deactivated',
          );
    }
    const p = ids[active[skewed(active.length, rnd, 3)]!]!;
    const c = p.credentials.length === 1 ? p.credentials[0]! : pick(p.credentials, rnd);
    const place = p.places.length === 1 ? p.places[0]! : pick(p.places, rnd);
    const resource = p.resources[skewed(p.resources.length, rnd, 2)]!;
    const outcome = rnd() < 0.02 ? 'failure' : 'success';
    yield eventOf(k, t, p, c, place, pick(p.actions, rnd), resource, outcome, 'used');
    k++;
    if ((k & 1023) === 0) onCount?.(k);
  }
  // Specials after the last ordinary event (a short run), still in time order.
  while (s < specials.length) {
    const sp = specials[s++]!;
    yield eventOf(
      k++,
      sp.time,
      sp.identity,
      sp.credential,
      sp.kind === 'attack' ? { ip: `198.51.100.${1 + (sp.n % 200)}` } : sp.identity.places[0]!,
      sp.kind === 'attack' ? ATTACK_ACTIONS[sp.n % ATTACK_ACTIONS.length]! : 'iam:UpdateAccessKey',
      sp.identity.resources[0]!,
      'success',
      sp.kind === 'attack' ? 'used' : 'deactivated',
    );
  }
  onCount?.(k);
}

function streamTotal(estate: Estate): number {
  const baseline = Math.min(estate.baseline, Math.max(0, params.events - estate.specials.length));
  return baseline + Math.max(0, params.events - baseline - estate.specials.length) + estate.specials.length;
}

// ---------------------------------------------------------------- measuring

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

/** The database's size in bytes: the SQLite file (WAL checkpointed), or PostgreSQL tables matching `like`. */
async function sizeOf(store: Store, file: string | undefined, like: string): Promise<number> {
  if (store.dialect === 'sqlite') {
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(store.db);
    let bytes = statSync(file!).size;
    if (existsSync(`${file}-wal`)) bytes += statSync(`${file}-wal`).size;
    return bytes;
  }
  const { rows } = await sql<{ bytes: number | string | null }>`
    select sum(pg_total_relation_size(c.oid)) as bytes from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = current_schema() and c.relkind = 'r' and c.relname like ${like}`.execute(store.db);
  return Number(rows[0]?.bytes ?? 0);
}

interface RefDatabase {
  bench_ref_events: { id: string; identity: string; credential: string | null; resource: string | null; time: number };
}

/** The reference: one plain row per event, 1,000 rows a statement, 50,000 a transaction. */
async function referenceImport(store: Store, estate: Estate, total: number): Promise<number> {
  const db = store.db as unknown as Kysely<RefDatabase>;
  await sql`create table bench_ref_events (id text primary key, identity text not null, credential text, resource text, time bigint not null)`.execute(
    db,
  );
  const bar = progress(`reference ${store.dialect}`, total);
  let n = 0;
  let chunk: IdentityEvent[] = [];
  const flush = async () => {
    const events = chunk;
    chunk = [];
    await store.transaction(async (trx) => {
      const t = trx as unknown as Kysely<RefDatabase>;
      for (let i = 0; i < events.length; i += REF_BATCH) {
        await t
          .insertInto('bench_ref_events')
          .values(
            events.slice(i, i + REF_BATCH).map((e) => ({
              id: e.id,
              identity: e.identity.id,
              credential: e.credential?.key ?? null,
              resource: e.resource?.id ?? null,
              time: Date.parse(e.time),
            })),
          )
          .execute();
      }
    });
  };
  for (const e of eventStream(estate, params.events, (k) => bar.tick(k))) {
    chunk.push(e);
    n++;
    if (chunk.length >= REF_TX) await flush();
  }
  if (chunk.length > 0) await flush();
  bar.done();
  return n;
}

interface QueryResult {
  name: string;
  medianMs: number;
  p90Ms: number;
  runs: number;
  /** Mean size of the answer: rows; nodes reached for a blast radius; uses for evidence; sources for an exposure. */
  size: number;
}

function resultSize(v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (Array.isArray(v)) return v.length;
  const o = v as Record<string, unknown>;
  const len = (k: string) => (Array.isArray(o[k]) ? (o[k] as unknown[]).length : 0);
  if (Array.isArray(o.resources)) return len('resources') + len('identities') + len('credentials');
  if (Array.isArray(o.uses)) return len('uses');
  if (Array.isArray(o.sources)) return len('sources');
  return 1;
}

async function timeQuery(name: string, fn: (rnd: () => number) => Promise<unknown>): Promise<QueryResult> {
  const rnd = createRandom(params.seed * 7919 + name.length);
  await fn(rnd); // warm-up: first statement preparation, cold pages
  const ms: number[] = [];
  let size = 0;
  for (let r = 0; r < params.queryRuns; r++) {
    const t = performance.now();
    const v = await fn(rnd);
    ms.push(performance.now() - t);
    size += resultSize(v);
  }
  return { name, medianMs: median(ms), p90Ms: quantile(ms, 0.9), runs: ms.length, size: size / ms.length };
}

interface BackendResult {
  backend: string;
  events: number;
  reference: { ms: number; eventsPerSec: number; bytes: number };
  inventory: { ms: number; relations: number };
  findings: { ms: number; findings: number };
  import: { ms: number; eventsPerSec: number; imported: number; skipped: number };
  bytes: number;
  rescore: { ms: number; identities: number; findings: number; posture: number };
  queries: QueryResult[];
  /** Peak RSS of the bench process when this backend was done (a high-water mark: includes earlier phases). */
  peakRssMb: number;
  check: {
    topIdentity: string | undefined;
    topIsAttacked: boolean;
    attackedInTop10: number;
    attackedInTop50: number;
    attacked: number;
  };
}

async function runBackend(name: string, estate: Estate, total: number): Promise<BackendResult> {
  const backend: Backend = name === 'postgres' ? postgresBackend('warden_bench') : sqliteBackend('warden-bench-graph-');
  await backend.start();
  try {
    const fileOf = (url: string) => (url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : undefined);

    // ---- reference, in its own fresh database
    const refUrl = await backend.fresh();
    const refStore = await openStore(refUrl);
    let reference: BackendResult['reference'];
    try {
      const { ms, value: n } = await timed(() => referenceImport(refStore, estate, total));
      reference = { ms, eventsPerSec: (n / ms) * 1000, bytes: await sizeOf(refStore, fileOf(refUrl), 'bench_ref%') };
      console.log(`  ${name} reference: ${n} rows in ${fixed(ms / 1000, 1)} s, ${fixed(reference.eventsPerSec, 0)} events/s`);
    } finally {
      await refStore.close();
    }

    // ---- Warden's import
    const url = await backend.fresh();
    const store = await openStore(url);
    try {
      const inv = await timed(() => importInventory(store, estate.inventory, { repo: 'github.com/acme/infra', at: START }));
      console.log(`  ${name} inventory: ${estate.inventory.length} relations in ${fixed(inv.ms / 1000, 1)} s`);
      const fnd = await timed(async () => {
        for (const r of estate.findings)
          await importFindings(store, r.findings, { repo: r.repo, visibility: r.visibility, foundAt: FOUND_AT });
      });
      console.log(`  ${name} findings: ${estate.leaked.length} in ${fixed(fnd.ms / 1000, 2)} s`);
      const bar = progress(`import ${name}`, total);
      const imp = await timed(() =>
        importEvents(
          store,
          eventStream(estate, params.events, (k) => bar.tick(k)),
        ),
      );
      bar.done();
      const eventsPerSec = (imp.value.imported / imp.ms) * 1000;
      console.log(
        `  ${name} events: ${imp.value.imported} imported (${imp.value.skipped} skipped) in ${fixed(imp.ms / 1000, 1)} s, ${fixed(eventsPerSec, 0)} events/s; peak RSS so far ${fixed(peakRssMb(), 0)} MiB`,
      );
      const bytes = await sizeOf(store, fileOf(url), 'graph%');
      const rs = await timed(() => rescoreGraph(store, { now: END }));
      console.log(
        `  ${name} rescore: ${fixed(rs.ms / 1000, 1)} s (${rs.value.identities} identities, ${rs.value.findings} findings, ${rs.value.posture} posture findings)`,
      );
      if (params.analyze) await sql`analyze`.execute(store.db);

      // ---- queries
      const top = await listRisk(store, { kind: 'identity', limit: 50 });
      const topId = top[0]?.id;
      const attackedIds = new Set(estate.attacked.map((a) => `identity:${a.identity.id}`));
      const ids = top.map((r) => r.id);
      const check = {
        topIdentity: topId,
        topIsAttacked: topId !== undefined && attackedIds.has(topId),
        attackedInTop10: ids.slice(0, 10).filter((i) => attackedIds.has(i)).length,
        attackedInTop50: ids.filter((i) => attackedIds.has(i)).length,
        attacked: attackedIds.size,
      };
      console.log(`  ${name} top 5 identities by risk (* = leaked key used from an unknown source):`);
      for (const r of top.slice(0, 5)) {
        const d = r.detail as { exposure?: string; posture?: unknown[] };
        const factors = r.factors.map((f) => `${f.factor} ×${fixed(f.weight, 2)}`).join(', ');
        console.log(
          `    ${attackedIds.has(r.id) ? '*' : ' '} ${r.score} ${r.band} ${r.id} (${d.exposure ?? '?'}; ${factors}; ${d.posture?.length ?? 0} posture)`,
        );
      }
      const activeIds = estate.active;
      const randomIdentity = (rnd: () => number) =>
        `identity:${estate.identities[activeIds[Math.floor(rnd() * activeIds.length)]!]!.id}`;
      const pages = Math.max(1, Math.floor(estate.identities.length / 100));
      const queries: QueryResult[] = [];
      const q = async (label: string, fn: (rnd: () => number) => Promise<unknown>) => {
        const r = await timeQuery(label, fn);
        queries.push(r);
        process.stderr.write(tty ? '' : `  ${name} ${label}: median ${fixed(r.medianMs, 2)} ms\n`);
      };
      await q('getGraphNode (reference: primary-key lookup)', (rnd) => getGraphNode(store, randomIdentity(rnd)));
      await q('listRisk identities top 50', () => listRisk(store, { kind: 'identity', limit: 50 }));
      await q('listRisk findings top 50', () => listRisk(store, { kind: 'finding', limit: 50 }));
      await q('listIdentities first page of 100', () => listIdentities(store, { limit: 100, offset: 0 }));
      await q('listIdentities random page of 100', (rnd) =>
        listIdentities(store, { limit: 100, offset: 100 * Math.floor(rnd() * pages) }),
      );
      await q('blastRadius of a random identity', (rnd) => blastRadius(store, randomIdentity(rnd)));
      await q('blastRadius of a random workload', (rnd) =>
        blastRadius(store, `workload:${estate.workloads[Math.floor(rnd() * estate.workloads.length)]!}`),
      );
      if (topId !== undefined) await q('evidenceOf the top-ranked identity', () => evidenceOf(store, topId));
      await q('explainExposure of a leaked key', (rnd) =>
        explainExposure(store, `aws-key:${estate.leaked[Math.floor(rnd() * estate.leaked.length)]!.credential.key}`),
      );
      return {
        backend: name,
        events: imp.value.imported + imp.value.skipped,
        reference,
        inventory: { ms: inv.ms, relations: estate.inventory.length },
        findings: { ms: fnd.ms, findings: estate.leaked.length },
        import: { ms: imp.ms, eventsPerSec, imported: imp.value.imported, skipped: imp.value.skipped },
        bytes,
        rescore: { ms: rs.ms, identities: rs.value.identities, findings: rs.value.findings, posture: rs.value.posture },
        queries,
        peakRssMb: peakRssMb(),
        check,
      };
    } finally {
      await store.close();
    }
  } finally {
    await backend.cleanup();
  }
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  let t = performance.now();
  const estate = buildEstate(params.seed, params.identities);
  const estateMs = performance.now() - t;
  const total = streamTotal(estate);
  console.log(
    `bench:graph — ${params.identities} identities (${estate.active.length} active), ${total} events over ${params.days} days from ${params.start}, ` +
      `${estate.inventory.length} inventory relations, ${estate.leaked.length} leaked keys (${estate.attacked.length} used from a new address, ` +
      `${estate.deactivated.length} deactivated), seed ${params.seed}; estate built in ${fixed(estateMs / 1000, 1)} s\n`,
  );

  // Generation alone: both the reference and the import pay it, so it bounds both.
  const bar = progress('generate only', total);
  t = performance.now();
  let generated = 0;
  for (const _ of eventStream(estate, params.events, (k) => bar.tick(k))) generated++;
  const generateMs = performance.now() - t;
  bar.done();
  const generatePerSec = (generated / generateMs) * 1000;
  console.log(
    `generate only: ${generated} events in ${fixed(generateMs / 1000, 1)} s, ${fixed(generatePerSec, 0)} events/s; peak RSS so far ${fixed(peakRssMb(), 0)} MiB\n`,
  );

  const results: BackendResult[] = [];
  for (const b of params.backends) {
    if (b !== 'sqlite' && b !== 'postgres') {
      console.log(`unknown backend ${b}: skipped (sqlite, postgres)`);
      continue;
    }
    console.log(`${b}:`);
    try {
      results.push(await runBackend(b, estate, total));
    } catch (error) {
      console.log(`  ${b} failed: ${(error as Error).stack ?? String(error)}`);
    }
    console.log('');
  }
  if (results.length === 0) return;

  const mb = (bytes: number) => fixed(bytes / 2 ** 20, 0);
  const cols = results.map((r) => r.backend);
  const row = (label: string, f: (r: BackendResult) => string) => [label, ...results.map(f)];
  console.log(
    formatTable(
      ['import', ...cols],
      [
        row('inventory relations/s', (r) => fixed((r.inventory.relations / r.inventory.ms) * 1000, 0)),
        row('findings import s', (r) => fixed(r.findings.ms / 1000, 2)),
        row('warden events/s', (r) => fixed(r.import.eventsPerSec, 0)),
        row('reference events/s (bare INSERT)', (r) => fixed(r.reference.eventsPerSec, 0)),
        row('warden / reference', (r) => `${fixed(r.import.eventsPerSec / r.reference.eventsPerSec, 2)}x`),
        row('generate-only events/s (in both)', () => fixed(generatePerSec, 0)),
        row('events import s', (r) => fixed(r.import.ms / 1000, 1)),
        row('graph DB MB', (r) => mb(r.bytes)),
        row('reference DB MB', (r) => mb(r.reference.bytes)),
        row('rescore s (risk + posture)', (r) => fixed(r.rescore.ms / 1000, 1)),
        row('peak RSS MiB (process, when done)', (r) => fixed(r.peakRssMb, 0)),
      ],
    ),
  );
  const names = results[0]!.queries.map((q) => q.name);
  const qrows = names.map((qn) => {
    const cells = [qn];
    for (const r of results) {
      const q = r.queries.find((x) => x.name === qn);
      const ref = r.queries[0]!.medianMs;
      cells.push(
        q ? fixed(q.medianMs, 2) : 'n/a',
        q ? fixed(q.p90Ms, 2) : 'n/a',
        q ? `${fixed(q.medianMs / ref, 0)}x` : 'n/a',
        q ? fixed(q.size, 0) : 'n/a',
      );
    }
    return cells;
  });
  console.log(
    `\n${formatTable(
      [
        'query (median of ' + params.queryRuns + ')',
        ...results.flatMap((r) => [`${r.backend} ms`, 'p90 ms', '/ getGraphNode', 'answer size']),
      ],
      qrows,
    )}`,
  );
  console.log('');
  for (const r of results)
    console.log(
      `check ${r.backend}: top-ranked identity ${r.check.topIdentity ?? '(none)'} ` +
        `${r.check.topIsAttacked ? 'IS' : 'is NOT'} one whose leaked key was used from an unknown source; ` +
        `${r.check.attackedInTop10}/${r.check.attacked} such identities in the top 10, ${r.check.attackedInTop50} in the top 50`,
    );

  const summary = {
    bench: 'graph',
    params: { ...params, eventsTotal: total },
    estate: {
      active: estate.active.length,
      inventory: estate.inventory.length,
      leaked: estate.leaked.length,
      attacked: estate.attacked.length,
      deactivated: estate.deactivated.length,
    },
    generateEventsPerSec: round(generatePerSec, 0),
    backends: Object.fromEntries(
      results.map((r) => [
        r.backend,
        {
          eventsPerSec: round(r.import.eventsPerSec, 0),
          referenceEventsPerSec: round(r.reference.eventsPerSec, 0),
          ratioToReference: round(r.import.eventsPerSec / r.reference.eventsPerSec, 3),
          importMs: round(r.import.ms, 0),
          imported: r.import.imported,
          inventoryMs: round(r.inventory.ms, 0),
          findingsMs: round(r.findings.ms, 0),
          graphBytes: r.bytes,
          referenceBytes: r.reference.bytes,
          rescoreMs: round(r.rescore.ms, 0),
          peakRssMb: round(r.peakRssMb, 0),
          queries: Object.fromEntries(
            r.queries.map((q) => [
              q.name,
              {
                medianMs: round(q.medianMs, 3),
                p90Ms: round(q.p90Ms, 3),
                ratio: round(q.medianMs / r.queries[0]!.medianMs, 1),
                size: round(q.size, 1),
              },
            ]),
          ),
          check: r.check,
        },
      ]),
    ),
  };
  console.log(`\n${JSON.stringify(summary)}`);
}

// Run when executed, not when bench:dashboard imports the estate generator.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
