import { createHash } from 'node:crypto';
import type { Alert, AnomalyEvidence, PolicyCitation } from '../model/alert.js';
import { type DetectConfig, DetectConfigSchema } from '../model/config.js';
import type { IdentityEvent } from '../model/identity-event.js';
import { type Severity, severityRank } from '../model/severity.js';
import { isoMs } from '../model/time.js';
import { rawRecordOf, rawRecordShared } from '../telemetry/raw-record.js';
import type { Detection, DetectionContext, Trigger } from './detection.js';
import { type FailureSlice, failuresThenSuccess } from './detections/failures-then-success/index.js';
import { fleetChange } from './detections/fleet-change/index.js';
import { DETECTIONS } from './detections/index.js';
import { newSource, type SourceSlice } from './detections/new-source/index.js';
import {
  compileGlob,
  DAY_MS,
  type GlobTest,
  HOUR_MS,
  inCidr,
  isAnonymous,
  isInteractive,
  isNonHumanIdentity,
  networkOf,
  resourceKey,
  userAgentFamily,
} from './features.js';
import {
  type CompiledChange,
  compileChanges,
  declaredChange,
  describeSignals,
  isQuiet,
  type Novelty,
  type NoveltySignal,
  noteSignals,
  noveltySeverity,
} from './novelty.js';
import { type SigmaRuleSet, type SigmaSavedState, sigmaDetection, sigmaRuleSetFor } from './sigma/index.js';
import { CredentialCore, IdentityCore, Recent, restoreFields } from './state.js';

export interface DetectorOptions {
  config?: DetectConfig | undefined;
  /** Severity per detection id, overriding the detection's own. */
  severity?: Readonly<Record<string, Severity>> | undefined;
  /** Events before this time (ms) only teach the baselines; nothing before it alerts. */
  learnUntil?: number | undefined;
  /**
   * 'final' (replays): an alert is emitted once, when its episode ends, with its final count.
   * 'first' (following live logs): emitted when the episode opens, and again as an update when it
   * closes with more than one event.
   */
  emit?: 'first' | 'final' | undefined;
  detections?: readonly Detection[] | undefined;
  /**
   * Declared expectations (the policy manifest's check, src/detect/policy-violation.ts): judged on
   * every event from the first, with no warm-up and regardless of `learnUntil`, beside the detections.
   */
  expectations?: readonly Detection[] | undefined;
  /** State saved by an earlier run (see `snapshot`). */
  initial?: DetectorSnapshot | undefined;
  /** The owner of an identity (from the policy manifest), for declared changes that name an owner. */
  ownerOf?: ((identityId: string) => string | undefined) | undefined;
  /** The name of an identity in the policy manifest, for declared changes that name declared identities. */
  nameOf?: ((identityId: string) => string | undefined) | undefined;
  /**
   * Sigma rules: a compiled set, `false` for none, or (when absent) the bundled pack unless
   * `detect.builtinRules` is false, plus `detect.rules` and `rules` (files or folders, resolved
   * against `baseDir`). See src/detect/sigma/.
   */
  sigma?: SigmaRuleSet | false | undefined;
  rules?: readonly string[] | undefined;
  baseDir?: string | undefined;
}

/**
 * Serialisable detector state: what the store keeps between runs.
 *
 * Version 2: each identity and credential is its shared core's fields plus `slices`, the detections'
 * own state by detection id (`{"first": …, "slices": {"runtime.identity.rate-spike": {"peak": 4, …}}}`).
 * Version 1 kept every field flat on the identity or credential; an entry without `slices` is read
 * that way, each slice taking the fields it knows by name.
 */
export interface DetectorSnapshot {
  version: 1 | 2;
  identities: Array<[string, object]>;
  credentials: Array<[string, object]>;
  /** Time of the newest event processed, ms. */
  watermark: number;
  /**
   * Episodes still open, so a process that restarts from the snapshot continues them (same uid, same
   * count) instead of opening new ones. Absent in snapshots of older versions: those start with none.
   */
  episodes?: SavedEpisode[] | undefined;
  /** When open episodes were last checked for closing, ms. */
  lastSweep?: number | undefined;
  /** Open Sigma correlation windows, by correlation id (absent before version 2). */
  sigma?: SigmaSavedState | undefined;
}

/** An open episode as the snapshot keeps it: the detection by id. */
export interface SavedEpisode {
  detection: string;
  key: string;
  identity: IdentityEvent['identity'];
  credential?: { key: string; type: string } | undefined;
  severity: Severity;
  message: string;
  first: number;
  last: number;
  count: number;
  evidences: IdentityEvent[];
  anomaly?: AnomalyEvidence | undefined;
  emitted: boolean;
  policy?: PolicyCitation | undefined;
  /** New-source episodes: the novelty with its signals as a list (see novelty.ts). */
  novelty?: (Omit<Novelty, 'signals'> & { signals: NoveltySignal[] }) | undefined;
  decided?: boolean;
  absorbedInto?: string | undefined;
  members?: Array<IdentityEvent['identity']>;
}

export interface DetectorStats {
  events: number;
  learned: number;
  alerts: number;
  identities: number;
  credentials: number;
  /** Events whose time could not be read (they are skipped). */
  untimed: number;
}

export interface Detector {
  /** Processes one event (events should arrive in time order; see mergeByTime) and returns alerts now due. */
  process(e: IdentityEvent): Alert[];
  /**
   * Learns that a credential was revoked or deactivated, from an event another detector processes
   * (a partition's copy of a revocation whose event is routed elsewhere: see `copyPartitions` in wire.ts):
   * only the credential's state changes; no identity learns, nothing is judged, no alert is due.
   */
  learnRevocation(e: IdentityEvent): void;
  /** Ends every open episode and returns the alerts still due. */
  finish(): Alert[];
  snapshot(): DetectorSnapshot;
  readonly stats: DetectorStats;
}

/** An open episode: the saved form with the detection itself rather than its id, and a live novelty. */
type Episode = Omit<SavedEpisode, 'detection' | 'novelty'> & { detection: Detection; novelty?: Novelty | undefined };

const MAX_EVIDENCES = 5;
/** A fleet notice keeps one evidence per identity, up to this many. */
const MAX_NOTICE_EVIDENCES = 20;
/** How long a confirmed fleet move is remembered: members that reach the new network later (their next deploy) join it. */
const MOVE_MEMORY_MS = 7 * 24 * 3_600_000;
/** Novelty's evidence when the detector runs without new-source or failures-then-success (see observeNovelty). */
const NO_SOURCES: Pick<SourceSlice, 'actions' | 'agents'> = { actions: new Recent(1), agents: new Recent(1) };
const NO_FAILURES: Pick<FailureSlice, 'failBurstPeak'> = { failBurstPeak: 0 };

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface CompiledException {
  detections?: string[] | undefined;
  identity?: GlobTest | undefined;
  network?: string | undefined;
  region?: string | undefined;
  resource?: GlobTest | undefined;
}

function sigmaMessage(title: string, e: IdentityEvent, events: number): string {
  const who = e.identity.name ?? e.identity.id;
  const what = e.resource === undefined ? e.action : `${e.action} on ${e.resource.id}`;
  return events > 1 ? `${title}: ${events} matching events, the last ${what} by ${who}.` : `${title}: ${what} by ${who}.`;
}

/**
 * The streaming detection engine: per-identity and per-credential state, the detections of
 * src/detect/detections, and episodes that turn repeated triggers into one alert. Pure over its input:
 * the same events in the same order give the same alerts.
 * @example const d = createDetector({ learnUntil: Date.parse('2026-01-15') }); for (const e of events) out.push(...d.process(e)); out.push(...d.finish())
 */
export function createDetector(options: DetectorOptions = {}): Detector {
  const config = options.config ?? DetectConfigSchema.parse({});
  const t = config.thresholds;
  const detections = options.detections ?? DETECTIONS;
  const sigma = options.sigma === false ? undefined : (options.sigma ?? sigmaRuleSetFor(config, options.rules, options.baseDir));
  const expectations = options.expectations ?? [];
  const emit = options.emit ?? 'final';
  const learnUntil = options.learnUntil ?? Number.NEGATIVE_INFINITY;
  const gapMs = t.episodeGapHours * HOUR_MS;
  const exceptions: CompiledException[] = config.exceptions.map((x) => ({
    detections: x.detections,
    identity: x.identity === undefined ? undefined : compileGlob(x.identity),
    network: x.network,
    region: x.region,
    resource: x.resource === undefined ? undefined : compileGlob(x.resource),
  }));

  const changes: CompiledChange[] = compileChanges(config.changes);
  const fleetWindowMs = t.fleetWindowHours * HOUR_MS;
  /** The open new-source episode of each identity, whose signals later events add to. */
  const openNovelty = new Map<string, Episode>();
  /** New-source episodes by what was new (`net:…`, `region:…`), to find identities that moved together. */
  const sightings = new Map<string, Episode[]>();

  // Each detection's slices sit at a fixed position in its identity's or credential's `slices`.
  const identityUnits = detections.filter((d) => d.identitySlice !== undefined);
  const credentialUnits = detections.filter((d) => d.credentialSlice !== undefined);
  const identitySlot = detections.map((d) => identityUnits.indexOf(d));
  const credentialSlot = detections.map((d) => credentialUnits.indexOf(d));
  // The hot path calls the steps from flat arrays: one property load per detection per event saved,
  // and no lookup on detection objects of different shapes.
  type Step = (e: IdentityEvent, ctx: DetectionContext, mine: unknown, myCredential: unknown) => unknown;
  const evaluateSteps = detections.map((d) => d.evaluate.bind(d) as Step);
  const firedSteps = detections.map((d) => (d.fired === undefined ? undefined : (d.fired.bind(d) as Step)));
  const learners = detections.map((_, k) => k).filter((k) => detections[k]!.learn !== undefined);
  const learnSteps = learners.map((k) => detections[k]!.learn!.bind(detections[k]!) as Step);
  const learnIdentitySlot = learners.map((k) => identitySlot[k]!);
  const learnCredentialSlot = learners.map((k) => credentialSlot[k]!);
  /** The engine's novelty (new-source episodes) reads new-source's and failures-then-success's slices. */
  const sourceSlot = identityUnits.indexOf(newSource as Detection);
  const failureSlot = identityUnits.indexOf(failuresThenSuccess as Detection);

  const identities = new Map<string, IdentityCore>();
  const credentials = new Map<string, CredentialCore>();
  /** Long-term credentials by owning identity, to recognise a rotation. */
  const owned = new Map<string, Set<string>>();
  for (const [id, o] of options.initial?.identities ?? []) identities.set(id, restoreIdentity(o as Record<string, unknown>));
  /** Provider aliases of credentials (GitHub token_id → hashed_token). */
  const aliases = new Map<string, string>();
  for (const [key, o] of options.initial?.credentials ?? []) {
    const c = restoreCredential(o as Record<string, unknown>);
    credentials.set(key, c);
    if (c.owner) own(c.owner, key);
    if (c.alias) aliases.set(c.alias, key);
  }
  if (sigma !== undefined && options.initial?.sigma !== undefined) sigma.restore(options.initial.sigma);
  const episodes = new Map<string, Episode>();
  const byId = new Map([...detections, ...expectations].map((d) => [d.meta.id as string, d]));
  for (const saved of options.initial?.episodes ?? []) {
    // Sigma episodes name their rule or correlation, looked up in the rule set this detector runs.
    const rule = byId.has(saved.detection) ? undefined : sigma?.byId(saved.detection);
    const detection = byId.get(saved.detection) ?? (rule === undefined ? undefined : sigmaDetection(rule));
    // A detection since removed or renamed: its open episode ends with it.
    if (detection === undefined) continue;
    const { novelty, ...rest } = saved;
    const ep: Episode = {
      ...rest,
      detection,
      ...(novelty ? { novelty: { ...novelty, signals: new Set(novelty.signals) } } : {}),
    };
    episodes.set(saved.key, ep);
    if (ep.novelty !== undefined) {
      openNovelty.set(ep.identity.id, ep);
      for (const k of ep.novelty.keys) sightings.set(k, [...(sightings.get(k) ?? []), ep]);
    }
  }
  const stats: DetectorStats = { events: 0, learned: 0, alerts: 0, identities: 0, credentials: 0, untimed: 0 };
  let watermark = options.initial?.watermark ?? 0;
  let lastSweep = options.initial?.lastSweep ?? 0;

  function own(owner: string, key: string): void {
    const set = owned.get(owner);
    if (set === undefined) owned.set(owner, new Set([key]));
    else set.add(key);
  }

  function newIdentity(): IdentityCore {
    const s = new IdentityCore();
    s.slices = identityUnits.map((d) => d.identitySlice!());
    return s;
  }
  function newCredential(): CredentialCore {
    const c = new CredentialCore();
    if (credentialUnits.length > 0) c.slices = credentialUnits.map((d) => d.credentialSlice!());
    return c;
  }
  /** A saved entry's slice for a detection: under `slices` by id (version 2), else the flat entry itself (version 1). */
  function savedSlice(o: Record<string, unknown>, id: string): Record<string, unknown> | undefined {
    const slices = o.slices;
    if (slices === undefined) return o;
    const slice = slices !== null && typeof slices === 'object' ? (slices as Record<string, unknown>)[id] : undefined;
    return slice !== null && typeof slice === 'object' ? (slice as Record<string, unknown>) : undefined;
  }
  function restoreIdentity(o: Record<string, unknown>): IdentityCore {
    const s = restoreFields(new IdentityCore(), o);
    for (const d of identityUnits) {
      const saved = savedSlice(o, d.meta.id);
      const fresh = d.identitySlice!() as object;
      s.slices.push(saved === undefined ? fresh : restoreFields(fresh, saved));
    }
    return s;
  }
  function restoreCredential(o: Record<string, unknown>): CredentialCore {
    const c = restoreFields(new CredentialCore(), o);
    for (const d of credentialUnits) {
      const saved = savedSlice(o, d.meta.id);
      const fresh = d.credentialSlice!() as object;
      c.slices.push(saved === undefined ? fresh : restoreFields(fresh, saved));
    }
    return c;
  }
  function saveEntry(core: IdentityCore | CredentialCore, units: readonly Detection[]): object {
    const slices: Record<string, unknown> = {};
    for (let i = 0; i < units.length; i++) slices[units[i]!.meta.id] = { ...(core.slices[i] as object) };
    return { ...core.toJSON(), slices };
  }

  function identityState(id: string): IdentityCore {
    let s = identities.get(id);
    if (s === undefined) {
      s = newIdentity();
      identities.set(id, s);
      if (identities.size > t.maxIdentities) evictIdentities();
    }
    return s;
  }

  function credentialState(key: string): CredentialCore {
    let c = credentials.get(key);
    if (c === undefined) {
      c = newCredential();
      credentials.set(key, c);
      if (credentials.size > t.maxCredentials) evictCredentials();
    }
    return c;
  }

  /** Memory stays bounded: beyond the cap, the least recently seen tenth is forgotten. */
  function evictIdentities(): void {
    const byLast = [...identities].sort((a, b) => a[1].last - b[1].last);
    for (const [id] of byLast.slice(0, Math.ceil(identities.size / 10))) identities.delete(id);
  }
  function evictCredentials(): void {
    // Revoked, deactivated and rotated-out credentials are kept: forgetting them would hide their
    // reuse. Credentials seen on one day only (sessions, short tokens) go before long-term ones, whose
    // days of use the long-lived-idle detection needs; within each, the least recently seen go first.
    const byLast = [...credentials]
      .filter(([, c]) => c.revokedAt === 0 && c.deactivatedAt === 0 && c.replacedAt === 0)
      .sort((a, b) => (a[1].usedDays >= 2 ? 1 : 0) - (b[1].usedDays >= 2 ? 1 : 0) || a[1].last - b[1].last);
    for (const [key] of byLast.slice(0, Math.ceil(credentials.size / 10))) credentials.delete(key);
  }

  function excepted(detectionId: string, e: IdentityEvent): boolean {
    return exceptions.some(
      (x) =>
        (x.detections === undefined ||
          x.detections.some((d) => (d.endsWith('*') ? detectionId.startsWith(d.slice(0, -1)) : d === detectionId))) &&
        (x.identity === undefined ||
          x.identity.test(e.identity.id) ||
          (e.identity.name !== undefined && x.identity.test(e.identity.name))) &&
        (x.network === undefined || (e.client.ip !== undefined && inCidr(e.client.ip, x.network))) &&
        (x.region === undefined || e.client.region === x.region) &&
        (x.resource === undefined || (e.resource !== undefined && x.resource.test(e.resource.id))),
    );
  }

  function toAlert(ep: Episode): Alert {
    const first = ep.evidences[0]?.id ?? '';
    const uid = createHash('sha256').update(`${ep.key}|${first}`).digest('hex').slice(0, 32);
    const m = ep.detection.meta;
    return {
      uid,
      detectionId: m.id,
      title: m.title,
      severity: ep.severity,
      message: ep.message,
      identity: ep.identity,
      ...(ep.credential ? { credential: ep.credential } : {}),
      firstSeen: new Date(ep.first).toISOString(),
      lastSeen: new Date(ep.last).toISOString(),
      count: ep.count,
      evidences: ep.evidences,
      ...(ep.anomaly ? { anomaly: ep.anomaly } : {}),
      frameworks: m.frameworks,
      attacks: m.attacks,
      ...(ep.policy ? { policy: ep.policy } : {}),
    };
  }

  /** Closes episodes quiet for longer than the gap; returns the alerts that are due. */
  function sweep(now: number, all: boolean): Alert[] {
    const out: Alert[] = [];
    for (const [key, ep] of episodes) {
      if (ep.novelty !== undefined && ep.decided !== true) {
        // A quiet novelty waits out the fleet window: others of its fleet may still move.
        if (!all && now - ep.first <= fleetWindowMs) continue;
        out.push(...decide(ep, Number.isFinite(now) ? now : ep.last));
      }
      if (!all && now - ep.last <= gapMs) continue;
      episodes.delete(key);
      if (ep.novelty !== undefined && openNovelty.get(ep.identity.id) === ep) openNovelty.delete(ep.identity.id);
      if (ep.absorbedInto !== undefined) continue;
      if (emit === 'final' || (ep.emitted && ep.count > 1)) {
        out.push(toAlert(ep));
        stats.alerts++;
      }
    }
    for (const [k, list] of sightings) {
      const kept = list.filter((ep) => now - ep.first <= (ep.absorbedInto !== undefined ? MOVE_MEMORY_MS : 2 * fleetWindowMs));
      if (kept.length === 0) sightings.delete(k);
      else if (kept.length !== list.length) sightings.set(k, kept);
    }
    return out;
  }

  /**
   * Judges a new-source episode once: a quiet one that a declared change covers, or that identities of
   * its fleet share, folds into a notice; anything else is an alert (emitted now when following live).
   */
  function decide(ep: Episode, at: number): Alert[] {
    if (ep.decided === true) return [];
    ep.decided = true;
    const n = ep.novelty!;
    if (isQuiet(n)) {
      const declared = declaredChange(changes, n, ep.identity, ep.first, options.ownerOf, options.nameOf);
      if (declared !== undefined) return absorb(ep, `declared:${changes.indexOf(declared)}`, n.keys[0]!, [], declared.reason, at);
      for (const k of n.keys) {
        const members = fleetOf(ep, k);
        if (members.length + 1 >= t.fleetMinIdentities) return absorb(ep, `fleet:${k}`, k, members, undefined, at);
      }
    }
    return emitNow(ep);
  }

  function emitNow(ep: Episode): Alert[] {
    if (emit !== 'first' || ep.emitted) return [];
    ep.emitted = true;
    stats.alerts++;
    return [toAlert(ep)];
  }

  /** Quiet new-source episodes of other identities that share a network with this one's past, for the same new thing, about the same time. */
  function fleetOf(ep: Episode, k: string): Episode[] {
    const prior = new Set(ep.novelty!.priorNets);
    const seen = new Set<string>([ep.identity.id]);
    const out: Episode[] = [];
    for (const o of sightings.get(k) ?? []) {
      // A confirmed move (members already folded into a notice) is remembered for days; an unconfirmed sighting for the window.
      const reach = o.absorbedInto !== undefined ? MOVE_MEMORY_MS : fleetWindowMs;
      if (seen.has(o.identity.id) || Math.abs(o.first - ep.first) > reach || !isQuiet(o.novelty!)) continue;
      if (!o.novelty!.priorNets.some((net) => prior.has(net))) continue;
      seen.add(o.identity.id);
      out.push(o);
    }
    return out;
  }

  /** Folds a quiet novelty into the notice for its fleet (or declared change), opening the notice if needed. */
  function absorb(
    ep: Episode,
    noticeKey: string,
    what: string,
    members: Episode[],
    reason: string | undefined,
    at: number,
  ): Alert[] {
    ep.absorbedInto = noticeKey;
    // Watched for one more episode gap: a member that turns noisy after all still alerts.
    ep.last = Math.max(ep.last, at);
    const key = `${fleetChange.meta.id}|${noticeKey}`;
    let notice = episodes.get(key);
    if (notice === undefined) {
      notice = {
        detection: fleetChange,
        key,
        identity: ep.identity,
        severity: options.severity?.[fleetChange.meta.id] ?? fleetChange.meta.severity,
        message: '',
        first: ep.first,
        last: at,
        count: 0,
        evidences: [],
        emitted: false,
        members: [],
      };
      episodes.set(key, notice);
    }
    for (const m of [ep, ...members]) {
      if (notice.members!.some((x) => x.id === m.identity.id)) continue;
      notice.members!.push(m.identity);
      notice.count++;
      notice.first = Math.min(notice.first, m.first);
      notice.last = Math.max(notice.last, m.last, at);
      if (notice.evidences.length < MAX_NOTICE_EVIDENCES && m.evidences[0] !== undefined) notice.evidences.push(m.evidences[0]);
    }
    const value = what.slice(what.indexOf(':') + 1);
    const names = notice.members!.map((m) => m.name ?? m.id);
    const shown = names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');
    notice.message =
      reason === undefined
        ? `${names.length} identities that shared a network began using ${what.startsWith('net:') ? 'network' : 'region'} ${value} at about the same time, with nothing else changed (${shown}): an infrastructure change, not a compromise.`
        : `A declared change (${reason}) covers the new ${what.startsWith('net:') ? 'network' : 'region'} ${value} of ${shown}.`;
    notice.anomaly = {
      parameter: what.startsWith('net:') ? 'source network' : 'region',
      pattern: 'UNSEEN',
      observed: [value],
      expected: [],
      targets: notice.members!.map((m) => ({ id: m.id, type: m.type })),
      signals: [reason === undefined ? `${names.length} identities moved together` : `declared change: ${reason}`],
    };
    return emitNow(notice);
  }

  /** What one more event of an identity with an open novelty, from the new source, says about it. */
  function observeNovelty(
    ep: Episode,
    e: IdentityEvent,
    at: number,
    s: IdentityCore,
    net: string | undefined,
    fam: string | undefined,
    rkey: string | undefined,
  ): Alert[] {
    const n = ep.novelty!;
    const fromNew =
      (net !== undefined && n.keys.includes(`net:${net}`)) ||
      (e.client.region !== undefined && n.keys.includes(`region:${e.client.region}`));
    if (!fromNew) return [];
    const before = n.signals.size;
    const src = (sourceSlot < 0 ? NO_SOURCES : s.slices[sourceSlot]) as Pick<SourceSlice, 'actions' | 'agents'>;
    const fails = (failureSlot < 0 ? NO_FAILURES : s.slices[failureSlot]) as Pick<FailureSlice, 'failBurstPeak'>;
    noteSignals(
      n,
      e,
      { actions: src.actions, agents: src.agents, resources: s.resources, failBurstPeak: fails.failBurstPeak },
      fam,
      rkey,
      config.hostingNetworks,
    );
    if (n.signals.size === before) return [];
    if (options.severity?.[ep.detection.meta.id] === undefined) {
      const sev = noveltySeverity(n);
      if (severityRank(sev) > severityRank(ep.severity)) ep.severity = sev;
    }
    if (ep.anomaly !== undefined) ep.anomaly = { ...ep.anomaly, signals: describeSignals(n) };
    // Noisy now: an alert at once, even if it had been folded into a fleet notice.
    if (ep.absorbedInto !== undefined) {
      ep.absorbedInto = undefined;
      return emitNow(ep);
    }
    return ep.decided === true ? [] : decide(ep, at);
  }

  function trigger(
    d: Detection,
    e: IdentityEvent,
    now: number,
    tr: NonNullable<ReturnType<Detection['evaluate']>>,
    earlier: readonly IdentityEvent[] = [],
  ): Alert[] {
    const credKey = tr.credentialKey ?? e.credential?.key;
    // A use the log attributes to nobody (a revoked Vault token, an anonymous request) is about the
    // identity that held the credential: name that one in the alert.
    const holder = e.credential === undefined ? null : (credentials.get(e.credential.key)?.holder ?? null);
    if (isAnonymous(e.identity) && holder !== null) e = { ...e, identity: holder as IdentityEvent['identity'] };
    const per = d.meta.per === 'credential' && credKey !== undefined;
    const base = per ? `${d.meta.id}|${e.identity.id}|${credKey}` : `${d.meta.id}|${e.identity.id}`;
    const key = tr.episodeKey === undefined ? base : `${base}|${tr.episodeKey}`;
    const severity = options.severity?.[d.meta.id] ?? tr.severity;
    const ep = episodes.get(key);
    if (ep !== undefined) {
      ep.count++;
      ep.last = now;
      for (const x of [...earlier, e]) if (ep.evidences.length < MAX_EVIDENCES && !ep.evidences.includes(x)) ep.evidences.push(x);
      if (severityRank(severity) > severityRank(ep.severity)) {
        ep.severity = severity;
        ep.message = tr.message;
      }
      if (tr.novelty !== undefined && ep.novelty !== undefined) {
        for (const k of tr.novelty.keys) {
          if (ep.novelty.keys.includes(k)) continue;
          ep.novelty.keys.push(k);
          sightings.set(k, [...(sightings.get(k) ?? []), ep]);
        }
        if (tr.novelty.publicNet) ep.novelty.publicNet = true;
      }
      return [];
    }
    const credential =
      credKey === undefined ? undefined : { key: credKey, type: e.credential?.key === credKey ? e.credential.type : 'unknown' };
    const opened: Episode = {
      detection: d,
      key,
      identity: e.identity,
      credential,
      severity,
      message: tr.message,
      first: now,
      last: now,
      count: 1,
      evidences: [...earlier, e].slice(-MAX_EVIDENCES),
      anomaly: tr.anomaly,
      policy: tr.policy,
      emitted: false,
    };
    episodes.set(key, opened);
    if (tr.novelty !== undefined) {
      // Judged later: what comes with it (observeNovelty) and who moved with it (decide).
      opened.novelty = tr.novelty;
      opened.decided = false;
      openNovelty.set(e.identity.id, opened);
      for (const k of tr.novelty.keys) sightings.set(k, [...(sightings.get(k) ?? []), opened]);
      return [];
    }
    if (emit === 'first') {
      opened.emitted = true;
      stats.alerts++;
      return [toAlert(opened)];
    }
    return [];
  }

  /**
   * Updates the shared core with an event, alerting or not (the detections' `learn` steps update their
   * own slices): a novelty alerts once and is then part of the identity's history (the alert stands;
   * a benign change does not alert forever).
   */
  function learnCore(
    e: IdentityEvent,
    now: number,
    s: IdentityCore,
    c: CredentialCore | undefined,
    net: string | undefined,
    rkey: string | undefined,
  ): void {
    if (s.first === 0) s.first = now;
    if (now > s.last) s.last = now;
    s.events++;
    const day = Math.floor(now / DAY_MS);
    s.activeDays.touch(String(day), now);
    if (net !== undefined) s.nets.touch(net, now);
    if (rkey !== undefined) s.resources.touch(rkey, now);
    if (isInteractive(e)) s.interactive++;
    else if (e.credential?.lifecycle === 'used' && e.outcome !== 'failure') s.programmatic++;
    // Credentials: who last presented them, their lifetime as the log states it, their days of use.
    if (c !== undefined && e.credential !== undefined) {
      if (c.first === 0) c.first = now;
      if (now > c.last) c.last = now;
      // Issuance events name the issuer (an STS caller, an OIDC subject) next to the key they issue:
      // only presenting a credential says who holds it.
      if (e.credential.lifecycle === 'used' && !isAnonymous(e.identity) && c.holder?.id !== e.identity.id) {
        c.holder = { id: e.identity.id, type: e.identity.type, ...(e.identity.name ? { name: e.identity.name } : {}) };
      }
      if (e.credential.issuedAt !== undefined) {
        const issued = Date.parse(e.credential.issuedAt);
        if (!Number.isNaN(issued)) c.issuedAt = issued;
      }
      if (e.credential.expiresAt !== undefined && e.credential.lifecycle === 'used') {
        const exp = Date.parse(e.credential.expiresAt);
        if (!Number.isNaN(exp)) c.expiresAt = exp;
      }
      if (e.tags.includes('credential.no-expiry')) c.noExpiry = true;
      if (e.outcome !== 'failure' && c.today !== day) {
        c.today = day;
        c.usedDays++;
      }
    }
  }

  /**
   * Issuance, deactivation and revocation name a credential (the subject), often not the caller's.
   * Reads only normalised fields: the parsers say which name is an alias of which key
   * (credential.alias) and which credentials are long-term ones a newer one rotates out (credential.longTerm).
   */
  function lifecycle(e: IdentityEvent, now: number): void {
    const cred = e.credential;
    if (cred === undefined || e.outcome === 'failure') return;
    // A token in use may carry the other name its lifecycle events use (GitHub's token_id): remember
    // the pair so a revocation reaches the key in use.
    if (cred.lifecycle === 'used' && cred.alias !== undefined && cred.alias !== '') {
      const c = credentials.get(cred.key);
      if (c !== undefined && c.alias === '') {
        c.alias = cred.alias;
        aliases.set(c.alias, cred.key);
      }
    }
    const subjectKey = subjectKeyOf(cred);
    if (e.tags.includes('credential.issued') && cred.subject !== undefined) {
      const sub = credentialState(subjectKey);
      // A login's token belongs to whoever logged in (a Vault login names its entity): it holds the
      // token before presenting it, so a use of the token after a revocation is about that identity.
      if (sub.holder === null && e.tags.includes('auth.login') && !isAnonymous(e.identity))
        sub.holder = { id: e.identity.id, type: e.identity.type, ...(e.identity.name ? { name: e.identity.name } : {}) };
      sub.issuedAt = now;
      sub.deactivatedAt = 0;
      if (sub.first === 0) sub.first = now;
      if (cred.expiresAt !== undefined) {
        const exp = Date.parse(cred.expiresAt);
        if (!Number.isNaN(exp)) sub.expiresAt = exp;
      }
      if (cred.longTerm === true) {
        const owner = e.identity.id;
        // A new long-term credential for an identity that already has one: the old ones are being rotated out.
        for (const other of owned.get(owner) ?? []) {
          if (other === subjectKey) continue;
          const o = credentials.get(other);
          if (o !== undefined && o.replacedAt === 0 && o.revokedAt === 0) o.replacedAt = now;
        }
        sub.owner = owner;
        own(owner, subjectKey);
      }
    }
    endCredential(e, subjectKey, now);
    // A long-term key seen in use becomes known as its identity's, so a later new key means rotation.
    if (cred.lifecycle === 'used' && cred.longTerm === true && e.identity.type !== 'unknown') {
      const c = credentials.get(cred.key);
      if (c !== undefined && c.owner === '') {
        c.owner = e.identity.id;
        own(e.identity.id, cred.key);
      }
    }
  }

  /** The credential a lifecycle event is about: its subject (else its key), by the key it is used under when an alias names it. */
  function subjectKeyOf(cred: NonNullable<IdentityEvent['credential']>): string {
    const named = cred.subject ?? cred.key;
    return aliases.get(named) ?? named;
  }

  /** Stamps a deactivation or revocation the event records on the credential it names. */
  function endCredential(e: IdentityEvent, subjectKey: string, now: number): void {
    if (e.tags.includes('credential.deactivated')) credentialState(subjectKey).deactivatedAt = now;
    if (e.tags.includes('credential.revoked')) credentialState(subjectKey).revokedAt = now;
  }

  function learnRevocation(e: IdentityEvent): void {
    const now = isoMs(e.time);
    if (e.credential === undefined || e.outcome === 'failure' || Number.isNaN(now)) return;
    endCredential(e, subjectKeyOf(e.credential), now);
  }

  /** The one context handed to every detection, refilled per event (detections read it and never keep it). */
  const ctx: Mutable<DetectionContext> = {
    config: t,
    windows: config.windows,
    now: 0,
    identity: new IdentityCore(),
    credential: undefined,
    warm: false,
    nonHuman: false,
    learning: false,
    net: undefined,
    agentFamily: undefined,
    resource: undefined,
    credentialState: (key) => credentials.get(key),
  };

  function process(e: IdentityEvent): Alert[] {
    const now = isoMs(e.time);
    if (Number.isNaN(now)) {
      stats.untimed++;
      return [];
    }
    stats.events++;
    if (now > watermark) watermark = now;
    const out: Alert[] = now - lastSweep > 60_000 ? sweep(now, false) : [];
    if (now - lastSweep > 60_000) lastSweep = now;
    const s = identityState(e.identity.id);
    const c = e.credential === undefined ? undefined : credentialState(e.credential.key);
    const net = networkOf(e.client.ip);
    const fam = userAgentFamily(e.client.userAgent);
    const rkey = resourceKey(e);
    const learning = now < learnUntil;
    ctx.now = now;
    ctx.identity = s;
    ctx.credential = c;
    ctx.nonHuman = isNonHumanIdentity(e.identity.type, s);
    ctx.learning = learning;
    ctx.net = net;
    ctx.agentFamily = fam;
    ctx.resource = rkey;
    if (expectations.length > 0) {
      ctx.warm = true;
      for (const d of expectations) {
        const tr = d.evaluate(e, ctx, undefined, undefined);
        if (tr !== undefined && !excepted(d.meta.id, e)) out.push(...trigger(d, e, now, tr));
      }
    }
    ctx.warm = s.events >= t.warmupEvents && now - s.first >= t.warmupHours * HOUR_MS;
    const iSlices = s.slices;
    const cSlices = c?.slices;
    if (learning) {
      stats.learned++;
    } else {
      for (let k = 0; k < evaluateSteps.length; k++) {
        const is = identitySlot[k]!;
        const cs = credentialSlot[k]!;
        const mine = is < 0 ? undefined : iSlices[is];
        const myCredential = cs < 0 || cSlices === undefined ? undefined : cSlices[cs];
        const tr = evaluateSteps[k]!(e, ctx, mine, myCredential) as Trigger | undefined;
        if (tr === undefined) continue;
        const d = detections[k]!;
        if (excepted(d.meta.id, e)) continue;
        out.push(...trigger(d, e, now, tr));
        // Detections that fire once per bucket or per day remember that they did.
        firedSteps[k]?.(e, ctx, mine, myCredential);
      }
      const open = openNovelty.get(e.identity.id);
      if (open !== undefined) out.push(...observeNovelty(open, e, now, s, net, fam, rkey));
    }
    // Sigma rules judge single records (and correlations over them) and need no baseline, but like
    // every detection they stay quiet while learning and honour exceptions.
    if (sigma !== undefined) {
      for (const m of sigma.evaluate(e, rawRecordOf(e), now, rawRecordShared(e))) {
        if (learning) continue;
        const d = sigmaDetection(m.rule);
        if (excepted(d.meta.id, e)) continue;
        const earlier = m.events.filter((x) => x !== e);
        out.push(
          ...trigger(d, e, now, { severity: d.meta.severity, message: sigmaMessage(m.rule.title, e, m.events.length) }, earlier),
        );
      }
    }
    // Every detection learns from the event, after all have judged it: the hour profile and the rate
    // and network peaks commit late, so a burst never excuses itself while it happens.
    for (let j = 0; j < learnSteps.length; j++) {
      const is = learnIdentitySlot[j]!;
      const cs = learnCredentialSlot[j]!;
      learnSteps[j]!(e, ctx, is < 0 ? undefined : iSlices[is], cs < 0 || cSlices === undefined ? undefined : cSlices[cs]);
    }
    learnCore(e, now, s, c, net, rkey);
    lifecycle(e, now);
    return out;
  }

  return {
    process,
    learnRevocation,
    finish: () => sweep(Number.POSITIVE_INFINITY, true),
    snapshot: () => ({
      version: 2,
      identities: [...identities].map(([id, s]) => [id, saveEntry(s, identityUnits)]),
      credentials: [...credentials].map(([key, c]) => [key, saveEntry(c, credentialUnits)]),
      watermark,
      episodes: [...episodes.values()].map(({ novelty, ...ep }) => ({
        ...ep,
        detection: ep.detection.meta.id,
        ...(novelty ? { novelty: { ...novelty, signals: [...novelty.signals] } } : {}),
      })),
      lastSweep,
      ...(sigma === undefined ? {} : { sigma: sigma.snapshot() }),
    }),
    get stats() {
      stats.identities = identities.size;
      stats.credentials = credentials.size;
      return stats;
    },
  };
}
