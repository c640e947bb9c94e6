/**
 * Scenario generator: weeks of realistic benign telemetry from many non-human identities across
 * CloudTrail, Vault, Kubernetes audit, GitHub audit, Okta, OTLP agent traces and GCP Cloud Audit Logs, with labelled attack
 * episodes (one or more per detection) planted in the last days. It feeds the detection benchmark
 * (`npm run bench:detect`) and the detector's end-to-end tests.
 *
 * How it works: every identity is an actor with stable habits (addresses, client, resources,
 * schedule in its own time zone) and state (session keys, pods and their tokens, Vault tokens); each
 * day every actor plans its activities, the attack catalogue adds its steps as hooks at their times,
 * and everything runs in time order so an attack sees the victim's state as it is at that moment.
 * Records are bucketed per hour and format, and come out as files in replay order (hour by hour, the
 * formats of one hour one after another), so a replay is in time order within a format and at most an
 * hour out of order across formats, as collectors deliver.
 *
 * Deterministic: the same parameters give the same bytes (each identity and day draws from its own
 * seeded stream). Memory is bounded by a day of records, so `scenarioFiles` / `writeScenarioStream`
 * scale to thousands of identities over weeks; `generateScenario` keeps everything in memory.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { EventSource } from '../model/identity-event.js';
import { planAttacks } from './attacks.js';
import { AppRoleActor, CiRoleActor, IamUserActor } from './aws.js';
import { planGcp } from './gcp.js';
import { nodeProfile } from './k8s.js';
import { buildPopulation, type Population } from './population.js';
import { createRng, seedOf } from './random.js';
import {
  type Activity,
  type Actor,
  type BenignChange,
  DAY,
  type Emit,
  type Episode,
  HOUR,
  type IdentityProfile,
  MINUTE,
  type ResolvedParams,
  type Scenario,
  type ScenarioFile,
  type ScenarioParams,
  type ScenarioSummary,
} from './types.js';
import { REGIONS } from './world.js';

export type {
  BenignChange,
  Episode,
  IdentityProfile,
  ResolvedParams,
  Scenario,
  ScenarioFile,
  ScenarioParams,
  ScenarioSummary,
} from './types.js';

/** Bump when generated content changes, so cached scenarios are rebuilt. */
export const GENERATOR_VERSION = 4;

/** Most CloudTrail records in one file (CloudTrail itself delivers a file every few minutes). */
const MAX_CLOUDTRAIL_RECORDS = 2000;

/** Formats in the order their files of one hour are replayed. */
const SOURCE_ORDER: readonly EventSource[] = [
  'cloudtrail',
  'vault',
  'k8s-audit',
  'github-audit',
  'okta',
  'agent-trace',
  'gcp-audit',
];

const EXTENSION: Partial<Record<EventSource, string>> = {
  cloudtrail: 'json.gz',
  vault: 'log',
  'k8s-audit': 'log',
};

/**
 * Fills in defaults: all attacks, 40 events per identity per day, attacks in the last 3 days.
 * @example resolveParams({ seed: 1, identities: 20, days: 4, start: '2025-06-06' }).attackDays // 3
 */
export function resolveParams(p: ScenarioParams): ResolvedParams {
  const t = Date.parse(p.start);
  if (Number.isNaN(t)) throw new RangeError(`start is not a date: ${p.start}`);
  if (!(p.days >= 1 && Number.isInteger(p.days))) throw new RangeError('days must be a positive integer');
  if (!(p.identities >= 1 && Number.isInteger(p.identities))) throw new RangeError('identities must be a positive integer');
  const days = p.days;
  return {
    seed: p.seed >>> 0,
    identities: p.identities,
    days,
    start: new Date(Math.floor(t / DAY) * DAY).toISOString(),
    attacks: p.attacks ?? 'all',
    eventsPerIdentityPerDay: p.eventsPerIdentityPerDay ?? 40,
    attackDays: Math.max(1, Math.min(p.attackDays ?? 3, Math.max(1, days - 1))),
    changes: p.changes ?? true,
  };
}

interface Bucket {
  t: number[];
  lines: string[];
}

/**
 * The scenario's files, one at a time in replay order; the generator's return value is the summary
 * (truth, identities). Holds about a day of records at a time.
 * @example
 * const it = scenarioFiles({ seed: 7, identities: 2000, days: 21, start: '2025-06-06' });
 * for (let r = it.next(); !r.done; r = it.next()) write(r.value);
 */
export function* scenarioFiles(params: ScenarioParams): Generator<ScenarioFile, ScenarioSummary, undefined> {
  const p = resolveParams(params);
  const start = Date.parse(p.start);
  const end = start + p.days * DAY;
  const scale = p.eventsPerIdentityPerDay / 40;
  const pop = buildPopulation(p);
  const buckets = new Map<number, Map<EventSource, Bucket>>();
  let lines = 0;

  const emit: Emit = (source, t, record) => {
    // Traffic of a time zone's local day can fall before the first UTC day or after the last: cut it.
    if (!(t >= start && t < end)) return;
    const hour = Math.floor(t / HOUR);
    let byFormat = buckets.get(hour);
    if (byFormat === undefined) {
      byFormat = new Map();
      buckets.set(hour, byFormat);
    }
    let b = byFormat.get(source);
    if (b === undefined) {
      b = { t: [], lines: [] };
      byFormat.set(source, b);
    }
    b.t.push(t);
    b.lines.push(JSON.stringify(record));
    lines++;
  };

  // Attack steps, by the victim's local day, so they run among the victim's own activities of that day.
  const hooks = new Map<number, Activity[]>();
  const attackFrom = Math.max(0, p.days - p.attackDays);
  const planContext = {
    params: p,
    start,
    attackFrom,
    pop,
    emit,
    hook: (t: number, run: () => void, tz = 0) => addHook(hooks, start, p.days, t, tz, run),
  };
  const planned = planAttacks(planContext);
  // The GCP estate writes its own traffic and episodes (its identities are not in the population).
  const gcpEpisodes = planGcp(planContext);
  const victims = new Set(planned.map((e) => e.victim));
  planBenignRotations(p, pop, start, victims);
  const changes = p.changes
    ? planBenignChanges(p, pop, start, attackFrom, victims, emit, (t, run, tz) => addHook(hooks, start, p.days, t, tz, run))
    : [];

  for (let d = 0; d < p.days; d++) {
    const dayStart = start + d * DAY;
    const acts: Activity[] = [];
    pop.actors.forEach((a, i) => {
      const planned = a.plan({ day: d, dayStart, rng: createRng(seedOf(p.seed, 'identity', i, 'day', d)), emit, scale });
      for (const act of inLocalDay(a, dayStart, planned)) acts.push(act);
    });
    for (const [account, rot] of pop.rotators) {
      const planned = rot.plan({ day: d, dayStart, rng: createRng(seedOf(p.seed, 'rotator', account, 'day', d)), emit, scale });
      for (const act of inLocalDay(rot, dayStart, planned)) acts.push(act);
    }
    for (const act of hooks.get(d) ?? []) acts.push(act);
    runInOrder(acts);
    // Later days write at most a couple of hours before their own UTC day: earlier hours are final.
    yield* flush(buckets, dayStart - 2 * HOUR);
  }
  yield* flush(buckets, Number.POSITIVE_INFINITY);

  const truth: Episode[] = [];
  for (const b of [...planned.map((e) => e.builder), ...gcpEpisodes]) {
    const ep = b.finish();
    if (ep !== undefined) truth.push(ep);
  }
  return { params: p, truth, changes, identities: profilesOf(pop), lines };
}

/**
 * Checks that an actor planned its day inside its own local day. Each day's plans run one after the
 * other, so an activity planned outside would run out of order with the actor's other activities
 * (a read with a token that a later-planned restart already revoked): a generator bug, not noise.
 */
function inLocalDay(a: Actor, dayStart: number, acts: Activity[]): Activity[] {
  const from = dayStart - a.profile.tzOffsetHours * HOUR;
  for (const act of acts) {
    if (act.t < from || act.t >= from + DAY) {
      throw new Error(
        `${a.profile.kind} ${a.profile.id} planned an activity at ${new Date(act.t).toISOString()}, outside its local day`,
      );
    }
  }
  return acts;
}

/** Runs activities in time order; ties keep planning order (stable sort). */
function runInOrder(acts: Activity[]): void {
  const order = acts.map((_, i) => i);
  order.sort((a, b) => acts[a]!.t - acts[b]!.t || a - b);
  for (const i of order) acts[i]!.run();
}

/**
 * Files a step under the victim's local day (`tz`): a step at 01:00 UTC belongs with a US workload's
 * previous local day, whose activities were planned together and must interleave with it.
 */
function addHook(hooks: Map<number, Activity[]>, start: number, days: number, t: number, tz: number, run: () => void): void {
  const day = Math.floor((t - start + tz * HOUR) / DAY);
  if (day < 0 || day >= days) return;
  let list = hooks.get(day);
  if (list === undefined) {
    list = [];
    hooks.set(day, list);
  }
  list.push({ t, run });
}

/** Benign planned key rotations for a quarter of the IAM users that no attack uses. */
function planBenignRotations(p: ResolvedParams, pop: Population, start: number, victims: Set<Actor>): void {
  if (p.days < 3) return;
  for (const a of pop.actors) {
    if (!(a instanceof IamUserActor) || a.rotation !== undefined || victims.has(a)) continue;
    const rng = createRng(seedOf(p.seed, 'rotation', a.user.arn));
    if (!rng.chance(0.25)) continue;
    const day = rng.int(1, p.days - 2);
    pop.rotators.get(a.user.account)!.planRotation(rng, a, start + day * DAY + 31 * MINUTE, 24 * HOUR, 72 * HOUR);
  }
}

/**
 * Benign changes in the evaluation days, on identities no attack uses: the runner pool shared by the
 * most CI roles moves to a new egress range; an application role rolls out to a second region (new
 * private addresses, same client); another triples its traffic; a CI role deploys on a weekend night from its usual runners. None of them is an attack: the detector
 * should answer with at most low-severity notices.
 */
function planBenignChanges(
  p: ResolvedParams,
  pop: Population,
  start: number,
  attackFrom: number,
  victims: Set<Actor>,
  emit: Emit,
  hook: (t: number, run: () => void, tz: number) => void,
): BenignChange[] {
  if (p.days < 3) return [];
  const rng = createRng(seedOf(p.seed, 'changes'));
  const changes: BenignChange[] = [];
  const day0 = start + attackFrom * DAY;
  const add = (kind: BenignChange['kind'], title: string, identities: string[], t: number) =>
    changes.push({
      id: `change-${String(changes.length + 1).padStart(2, '0')}-${kind}`,
      kind,
      title,
      identities,
      start: new Date(t).toISOString(),
    });
  const free = pop.actors.filter((a) => !victims.has(a));
  const taken = new Set<Actor>();
  const pick = <T extends Actor>(list: T[]): T | undefined => {
    const left = list.filter((a) => !taken.has(a));
    const a = left.length === 0 ? undefined : rng.pick(left);
    if (a !== undefined) taken.add(a);
    return a;
  };

  // The runner pool with the most CI roles moves to a new /24 at the start of the first evaluation day.
  const bySite = new Map<string, CiRoleActor[]>();
  for (const a of free) {
    if (!(a instanceof CiRoleActor)) continue;
    const net = a.runnerIps[0]!.split('.').slice(0, 3).join('.');
    bySite.set(net, [...(bySite.get(net) ?? []), a]);
  }
  const pool = [...bySite.values()].sort((x, y) => y.length - x.length)[0];
  if (pool !== undefined && pool.length >= 2) {
    const t = day0 + 30 * MINUTE;
    const site = 200 + rng.int(0, 50);
    for (const a of pool) taken.add(a);
    hook(
      t,
      () => {
        for (const a of pool) a.movePool(site);
      },
      0,
    );
    // The web-identity subjects the runners present move with them.
    const ids = pool.flatMap((a) => [a.profile.id, a.supportProfile().id]);
    add('pool-move', `Runner pool of ${pool.length} CI roles moves to 198.19.${site}.0/24`, ids, t);
  }

  const apps = free.filter((a): a is AppRoleActor => a instanceof AppRoleActor);
  const rollout = pick(apps);
  if (rollout !== undefined) {
    const t = day0 + rng.int(2, 10) * HOUR;
    const region = rng.pick(REGIONS.map((r) => r.region).filter((r) => r !== rollout.region));
    const b = rollout.vpcB + 64;
    rollout.rollout = {
      from: t,
      region,
      ips: Array.from({ length: 3 }, () => `10.${b}.${rng.int(0, 63)}.${rng.int(4, 250)}`),
      share: 0.4,
    };
    add('region-rollout', `${rollout.role.name} rolls out to ${region} (new VPC, same client)`, [rollout.profile.id], t);
  }
  const grown = pick(apps);
  if (grown !== undefined) {
    const t = day0;
    grown.growth = { from: t, factor: 3 };
    add('traffic-growth', `${grown.role.name} triples its traffic (a sale)`, [grown.profile.id], t);
  }
  const cis = free.filter((a): a is CiRoleActor => a instanceof CiRoleActor);
  const weekend = pick(cis);
  if (weekend !== undefined) {
    // The first Saturday or Sunday of the evaluation days, else its first day, at 02:00 local time.
    let d = attackFrom;
    while (d < p.days - 1 && ![0, 6].includes(new Date(start + d * DAY).getUTCDay())) d++;
    const t = start + d * DAY - weekend.tz * HOUR + 2 * HOUR + rng.int(0, 40) * MINUTE;
    const r = createRng(seedOf(p.seed, 'change', 'weekend-deploy'));
    hook(t, () => weekend.deployAt(r, emit, t), weekend.tz);
    add(
      'weekend-deploy',
      `${weekend.role.name}: an on-call deploy at night on a weekend from its usual runners`,
      [weekend.profile.id],
      t,
    );
  }
  return changes;
}

/** Files for every hour before `upTo`, in replay order, removed from the buckets. */
function* flush(buckets: Map<number, Map<EventSource, Bucket>>, upTo: number): Generator<ScenarioFile> {
  const hours = [...buckets.keys()].filter((h) => h * HOUR < upTo).sort((a, b) => a - b);
  for (const h of hours) {
    const byFormat = buckets.get(h)!;
    buckets.delete(h);
    const stamp = new Date(h * HOUR).toISOString().slice(0, 13);
    for (const source of SOURCE_ORDER) {
      const b = byFormat.get(source);
      if (b === undefined) continue;
      const order = b.t.map((_, i) => i);
      order.sort((x, y) => b.t[x]! - b.t[y]! || x - y);
      const sorted = order.map((i) => b.lines[i]!);
      const ext = EXTENSION[source] ?? 'jsonl';
      if (source === 'cloudtrail' && sorted.length > MAX_CLOUDTRAIL_RECORDS) {
        for (let part = 0; part * MAX_CLOUDTRAIL_RECORDS < sorted.length; part++) {
          yield {
            name: `${source}/${stamp}-${part + 1}.${ext}`,
            format: source,
            lines: sorted.slice(part * MAX_CLOUDTRAIL_RECORDS, (part + 1) * MAX_CLOUDTRAIL_RECORDS),
          };
        }
      } else {
        yield { name: `${source}/${stamp}.${ext}`, format: source, lines: sorted };
      }
    }
  }
}

/** Primary identities, then the supporting ones that appear in the logs. */
function profilesOf(pop: Population): IdentityProfile[] {
  const out: IdentityProfile[] = pop.actors.map((a) => a.profile);
  const seen = new Set(out.map((p) => p.id));
  const add = (p: IdentityProfile | undefined) => {
    if (p === undefined || seen.has(p.id)) return;
    seen.add(p.id);
    out.push(p);
  };
  for (const a of pop.actors) {
    const s = (a as { supportProfile?: () => IdentityProfile | undefined }).supportProfile;
    if (s !== undefined) add(s.call(a));
  }
  for (const rot of pop.rotators.values()) add(rot.profile);
  for (const { node, cluster } of pop.nodes.used.values()) add(nodeProfile(node, cluster));
  if (pop.actors.some((a) => a.profile.kind === 'aws-app-role')) {
    add({
      id: 'ecs-tasks.amazonaws.com',
      kind: 'aws-service',
      source: 'cloudtrail',
      name: 'ecs-tasks.amazonaws.com',
      schedule: 'always',
      tzOffsetHours: 0,
      support: true,
    });
  }
  return out;
}

/**
 * A whole scenario in memory: files in replay order, the truth and the identities.
 * @example
 * const s = generateScenario({ seed: 1, identities: 20, days: 4, start: '2025-06-06' });
 * s.truth.length // one or more episodes per detection id
 */
export function generateScenario(params: ScenarioParams): Scenario {
  const it = scenarioFiles(params);
  const files: ScenarioFile[] = [];
  for (let r = it.next(); ; r = it.next()) {
    if (r.done)
      return { params: r.value.params, files, truth: r.value.truth, changes: r.value.changes, identities: r.value.identities };
    files.push(r.value);
  }
}

/** What writeScenario leaves next to the files: `manifest.json`. */
export interface ScenarioManifest {
  generator: number;
  params: ResolvedParams;
  /** Paths relative to the directory, in replay order. */
  files: string[];
  lines: number;
  episodes: number;
  identities: number;
}

/** Writes generated files one at a time, then truth.json, identities.json and manifest.json. */
class ScenarioWriter {
  readonly files: string[] = [];
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  add(f: ScenarioFile): void {
    const path = join(this.dir, f.name);
    mkdirSync(dirname(path), { recursive: true });
    if (f.name.endsWith('.json.gz')) {
      // CloudTrail delivers gzip'd `{"Records": [...]}` documents (one per file), not JSON lines.
      writeFileSync(path, gzipSync(`{"Records":[${f.lines.join(',')}]}\n`));
    } else {
      writeFileSync(path, f.lines.length === 0 ? '' : `${f.lines.join('\n')}\n`);
    }
    this.files.push(f.name);
  }

  finish(s: ScenarioSummary): ScenarioManifest {
    writeFileSync(join(this.dir, 'truth.json'), `${JSON.stringify(s.truth, null, 2)}\n`);
    writeFileSync(join(this.dir, 'changes.json'), `${JSON.stringify(s.changes, null, 2)}\n`);
    writeFileSync(join(this.dir, 'identities.json'), `${JSON.stringify(s.identities)}\n`);
    const manifest: ScenarioManifest = {
      generator: GENERATOR_VERSION,
      params: s.params,
      files: this.files,
      lines: s.lines,
      episodes: s.truth.length,
      identities: s.identities.length,
    };
    writeFileSync(join(this.dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    return manifest;
  }
}

/**
 * Writes an in-memory scenario to `dir`: its files (CloudTrail as gzip'd Records documents), then
 * truth.json, identities.json and manifest.json (the replay order).
 * @example writeScenario('/tmp/scn', generateScenario({ seed: 1, identities: 20, days: 4, start: '2025-06-06' }))
 */
export function writeScenario(dir: string, scenario: Scenario): ScenarioManifest {
  const w = new ScenarioWriter(dir);
  let lines = 0;
  for (const f of scenario.files) {
    w.add(f);
    lines += f.lines.length;
  }
  return w.finish({
    params: scenario.params,
    truth: scenario.truth,
    changes: scenario.changes,
    identities: scenario.identities,
    lines,
  });
}

/**
 * Generates and writes a scenario file by file, never holding more than a day of records: the way to
 * build large scenarios (thousands of identities over weeks).
 * @example writeScenarioStream('.bench/detect/abc', { seed: 1, identities: 2000, days: 21, start: '2025-06-06' })
 */
export function writeScenarioStream(dir: string, params: ScenarioParams): ScenarioManifest {
  const w = new ScenarioWriter(dir);
  const it = scenarioFiles(params);
  for (let r = it.next(); ; r = it.next()) {
    if (r.done) return w.finish(r.value);
    w.add(r.value);
  }
}
