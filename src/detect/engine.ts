import { createHash } from 'node:crypto';
import type { Alert, AnomalyEvidence, PolicyCitation } from '../model/alert.js';
import { type DetectConfig, DetectConfigSchema } from '../model/config.js';
import type { IdentityEvent } from '../model/identity-event.js';
import { type Severity, severityRank } from '../model/severity.js';
import { rawRecordOf } from '../telemetry/raw-record.js';
import type { Detection, DetectionContext } from './detection.js';
import { fleetChange } from './detections/fleet-change.js';
import { DETECTIONS } from './detections/index.js';
import { BUCKET_MS } from './detections/rate-spike.js';
import {
  DAY_MS,
  type GlobTest,
  globToRegExp,
  HOUR_MS,
  hourOfWeek,
  inCidr,
  isAnonymous,
  isInteractive,
  isNonHumanIdentity,
  networkOf,
  resourceKey,
  resourceNamespace,
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
import { type SigmaRuleSet, sigmaDetection, sigmaRuleSetFor } from './sigma/index.js';
import { CredentialState, IdentityState } from './state.js';

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

/** Serialisable detector state: what the store keeps between runs. */
export interface DetectorSnapshot {
  version: 1;
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
const NETWORK_WINDOW_MS = 10 * 60_000;
/** Long-term credential types whose replacement by a newer one is a rotation (short-lived tokens are not). */
const ROTATABLE = /^(aws-access-key|aws-access-key-id|okta-api-token|github-pat|github-oauth|gitlab|api-key)/;

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
  const baseContext = { config: t, windows: config.windows, credentialState: (key: string) => credentials.get(key) };
  const emit = options.emit ?? 'final';
  const learnUntil = options.learnUntil ?? Number.NEGATIVE_INFINITY;
  const gapMs = t.episodeGapHours * HOUR_MS;
  const exceptions: CompiledException[] = config.exceptions.map((x) => ({
    detections: x.detections,
    identity: x.identity === undefined ? undefined : globToRegExp(x.identity),
    network: x.network,
    region: x.region,
    resource: x.resource === undefined ? undefined : globToRegExp(x.resource),
  }));

  const changes: CompiledChange[] = compileChanges(config.changes);
  const fleetWindowMs = t.fleetWindowHours * HOUR_MS;
  /** The open new-source episode of each identity, whose signals later events add to. */
  const openNovelty = new Map<string, Episode>();
  /** New-source episodes by what was new (`net:…`, `region:…`), to find identities that moved together. */
  const sightings = new Map<string, Episode[]>();

  const identities = new Map<string, IdentityState>();
  const credentials = new Map<string, CredentialState>();
  /** Long-term credentials by owning identity, to recognise a rotation. */
  const owned = new Map<string, Set<string>>();
  for (const [id, o] of options.initial?.identities ?? [])
    identities.set(id, IdentityState.fromJSON(o as Record<string, unknown>));
  /** Provider aliases of credentials (GitHub token_id → hashed_token). */
  const aliases = new Map<string, string>();
  for (const [key, o] of options.initial?.credentials ?? []) {
    const c = CredentialState.fromJSON(o as Record<string, unknown>);
    credentials.set(key, c);
    if (c.owner) own(c.owner, key);
    if (c.alias) aliases.set(c.alias, key);
  }
  const episodes = new Map<string, Episode>();
  const byId = new Map([...detections, ...expectations].map((d) => [d.meta.id as string, d]));
  for (const saved of options.initial?.episodes ?? []) {
    const detection = byId.get(saved.detection);
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

  function identityState(id: string): IdentityState {
    let s = identities.get(id);
    if (s === undefined) {
      s = new IdentityState();
      identities.set(id, s);
      if (identities.size > t.maxIdentities) evictIdentities();
    }
    return s;
  }

  function credentialState(key: string): CredentialState {
    let c = credentials.get(key);
    if (c === undefined) {
      c = new CredentialState();
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
    s: IdentityState,
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
    noteSignals(n, e, s, fam, rkey, config.hostingNetworks);
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
   * Updates state with an event, alerting or not: a novelty alerts once and is then part of the
   * identity's history (the alert stands; a benign change does not alert forever). The hour profile
   * and the rate and network peaks commit late, so a burst never excuses itself while it happens.
   */
  function learn(
    e: IdentityEvent,
    now: number,
    s: IdentityState,
    c: CredentialState | undefined,
    net: string | undefined,
    fam: string | undefined,
    rkey: string | undefined,
  ): void {
    if (s.first === 0) s.first = now;
    if (now > s.last) s.last = now;
    s.events++;
    const day = Math.floor(now / DAY_MS);
    s.activeDays.touch(String(day), now);
    learnBaselines(e, now, s, net, fam, rkey);
    learnCounters(e, now, s, c, net, day);
  }

  function learnBaselines(
    e: IdentityEvent,
    now: number,
    s: IdentityState,
    net: string | undefined,
    fam: string | undefined,
    rkey: string | undefined,
  ): void {
    const how = hourOfWeek(now);
    const lastPending = s.hoursPending[s.hoursPending.length - 1];
    if (lastPending === undefined || lastPending[1] !== how || now - lastPending[0] > HOUR_MS) s.hoursPending.push([now, how]);
    if (s.hoursPending.length > 64) s.hoursPending.shift();
    if (net !== undefined) s.nets.touch(net, now);
    if (e.client.region !== undefined) s.regions.touch(e.client.region, now);
    if (fam !== undefined) s.agents.touch(fam, now);
    if (rkey !== undefined) s.resources.touch(rkey, now);
    s.actions.touch(e.action, now);
    const ns = resourceNamespace(e);
    if (ns !== undefined) s.namespaces.touch(ns, now);
    if (e.client.workload !== undefined) s.workloads.touch(e.client.workload, now);
    if (
      e.tags.includes('privilege.change') ||
      (e.tags.includes('credential.issued') &&
        (e.action.endsWith(':CreateAccessKey') ||
          /^(?:gcp-service-account-key|entra-|openai-api-key)/.test(e.credential?.type ?? '')))
    ) {
      s.privileged.touch(e.action, now);
      s.privileged.touch(`${e.action} ${e.resource?.id ?? ''}`, now);
    }
    const tool = e.agent?.tool;
    if (tool !== undefined) {
      const chain = e.agent?.traceId ?? e.identity.session ?? '';
      const prev = s.lastTool.get(chain);
      if (prev !== undefined) s.bigrams.touch(`${prev}>${tool}`, now);
      s.tools.touch(tool, now);
    }
    if (e.agent?.destination !== undefined) s.destinations.touch(e.agent.destination, now);
  }

  function learnCounters(
    e: IdentityEvent,
    now: number,
    s: IdentityState,
    c: CredentialState | undefined,
    net: string | undefined,
    day: number,
  ): void {
    while (s.hoursPending.length > 0 && s.hoursPending[0]![0] < now - 2 * HOUR_MS) s.hours[s.hoursPending.shift()![1]]!++;
    if (net !== undefined) {
      s.recentNets.touch(net, now);
      // How many networks at once is normal is committed one window late, so a burst that is
      // happening now never raises its own bar.
      const active = s.recentNets.countSince(now - NETWORK_WINDOW_MS);
      if (active > s.netsAtOncePeak) s.netsPending.push([now, active]);
      while (s.netsPending.length > 0 && s.netsPending[0]![0] < now - NETWORK_WINDOW_MS) {
        const [, n] = s.netsPending.shift()!;
        if (n > s.netsAtOncePeak) s.netsAtOncePeak = n;
      }
      if (s.netsPending.length > 64) s.netsPending.splice(0, s.netsPending.length - 64);
    }
    // Rate: close the open bucket when this event falls past it.
    if (now - s.bucketStart >= BUCKET_MS) {
      if (s.bucketStart !== 0) {
        // The bucket before the one closing now joins the peak; a bucket that alerted never does.
        s.peak *= 0.998;
        if (!s.pendingBucketAlerted && s.pendingBucket > s.peak) s.peak = s.pendingBucket;
        s.pendingBucket = s.bucketCount;
        s.pendingBucketAlerted = s.bucketAlerted;
        s.closedBuckets++;
      }
      s.bucketStart = now - (now % BUCKET_MS);
      s.bucketCount = 0;
      s.bucketAlerted = false;
    }
    s.bucketCount++;
    if (isInteractive(e)) s.interactive++;
    else if (e.credential?.lifecycle === 'used' && e.outcome !== 'failure') s.programmatic++;
    // Failures: a success ends a run of failures; a run that ended without an alert is normal for this identity.
    const windowMs = t.failureWindowMinutes * 60_000;
    if (e.outcome === 'failure') {
      s.failures = s.failures.filter(([tt]) => tt >= now - windowMs);
      if (s.failures.length < 1000) s.failures.push([now, net ?? '']);
    } else if (e.outcome === 'success' && s.failures.length > 0) {
      s.failures = [];
    }
    // Agents: the previous tool of each chain, and the last secret read.
    const tool = e.agent?.tool;
    if (tool !== undefined) {
      const chain = e.agent?.traceId ?? e.identity.session ?? '';
      s.lastTool.set(chain, tool);
      if (e.tags.includes('secret.read')) {
        s.secretReadAt = now;
        s.secretReadTrace = chain;
      }
    }

    // Credentials: who presents them, from which workloads, how many minutes a day.
    if (c !== undefined && e.credential !== undefined) {
      if (c.first === 0) c.first = now;
      if (now > c.last) c.last = now;
      // Issuance events name the issuer (an STS caller, an OIDC subject) next to the key they issue:
      // only presenting a credential says who holds it.
      const presented = e.credential.lifecycle === 'used';
      if (!isAnonymous(e.identity) && presented) {
        c.own('identities').touch(e.identity.id, now);
        if (c.holder?.id !== e.identity.id) {
          c.holder = { id: e.identity.id, type: e.identity.type, ...(e.identity.name ? { name: e.identity.name } : {}) };
        }
      }
      // Workloads and addresses matter for workload-bound tokens only (see the shared detection).
      if (presented && e.credential.type === 'k8s-token') {
        if (e.client.workload !== undefined) c.own('workloads').touch(e.client.workload, now);
        if (e.client.ip !== undefined) c.own('addresses').touch(e.client.ip, now);
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
      if (e.outcome !== 'failure') {
        if (c.today !== day) {
          c.today = day;
          c.usedDays++;
          c.minutesToday = 0;
        }
        const minute = Math.floor(now / 60_000);
        if (minute !== c.lastMinute) {
          c.lastMinute = minute;
          c.minutesToday++;
          c.usedMinutes++;
        }
      }
    }
    lifecycle(e, now);
  }

  /** Issuance, deactivation and revocation name a credential (the subject), often not the caller's. */
  function lifecycle(e: IdentityEvent, now: number): void {
    const cred = e.credential;
    if (cred === undefined || e.outcome === 'failure') return;
    // GitHub: a token in use carries both its hashed_token (the key) and its token_id; lifecycle
    // events name only the token_id. Remember the pair so a revocation reaches the key in use.
    const tokenId = e.source === 'github-audit' ? (e.raw.extra as Record<string, unknown> | undefined)?.token_id : undefined;
    if (
      cred.lifecycle === 'used' &&
      (typeof tokenId === 'number' || typeof tokenId === 'string') &&
      tokenId !== 0 &&
      tokenId !== ''
    ) {
      const c = credentials.get(cred.key);
      if (c !== undefined && c.alias === '') {
        c.alias = String(tokenId);
        aliases.set(c.alias, cred.key);
      }
    }
    const named = cred.subject ?? cred.key;
    const subjectKey = aliases.get(named) ?? named;
    if (e.tags.includes('credential.issued') && cred.subject !== undefined) {
      const sub = credentialState(subjectKey);
      sub.issuedAt = now;
      sub.deactivatedAt = 0;
      if (sub.first === 0) sub.first = now;
      if (cred.expiresAt !== undefined) {
        const exp = Date.parse(cred.expiresAt);
        if (!Number.isNaN(exp)) sub.expiresAt = exp;
      }
      const rotatable = ROTATABLE.test(cred.type) && !subjectKey.startsWith('ASIA');
      if (rotatable) {
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
    if (e.tags.includes('credential.deactivated')) credentialState(subjectKey).deactivatedAt = now;
    if (e.tags.includes('credential.revoked')) credentialState(subjectKey).revokedAt = now;
    // A long-term key seen in use becomes known as its identity's, so a later new key means rotation.
    if (cred.lifecycle === 'used' && ROTATABLE.test(cred.type) && cred.key.startsWith('AKIA') && e.identity.type !== 'unknown') {
      const c = credentials.get(cred.key);
      if (c !== undefined && c.owner === '') {
        c.owner = e.identity.id;
        own(e.identity.id, cred.key);
      }
    }
  }

  function process(e: IdentityEvent): Alert[] {
    const now = Date.parse(e.time);
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
    for (const d of expectations) {
      const tr = d.evaluate(e, {
        ...baseContext,
        now,
        identity: s,
        credential: c,
        warm: true,
        nonHuman: isNonHumanIdentity(e.identity.type, s),
        net,
        agentFamily: fam,
        resource: rkey,
      });
      if (tr !== undefined && !excepted(d.meta.id, e)) out.push(...trigger(d, e, now, tr));
    }
    if (now < learnUntil) {
      stats.learned++;
    } else {
      const ctx: DetectionContext = {
        config: t,
        windows: config.windows,
        now,
        identity: s,
        credential: c,
        warm: s.events >= t.warmupEvents && now - s.first >= t.warmupHours * HOUR_MS,
        nonHuman: isNonHumanIdentity(e.identity.type, s),
        net,
        agentFamily: fam,
        resource: rkey,
        credentialState: (key) => credentials.get(key),
      };
      for (const d of detections) {
        const tr = d.evaluate(e, ctx);
        if (tr === undefined || excepted(d.meta.id, e)) continue;
        out.push(...trigger(d, e, now, tr));
        // Detections that fire once per bucket or per day remember that they did.
        if (d.meta.id === 'runtime.identity.rate-spike') s.bucketAlerted = now - s.bucketStart < BUCKET_MS;
        if (d.meta.id === 'runtime.credential.long-lived-idle' && c !== undefined) c.idleAlertedDay = Math.floor(now / DAY_MS);
        if (d.meta.id === 'runtime.auth.failures-then-success') s.failures = [];
      }
      const open = openNovelty.get(e.identity.id);
      if (open !== undefined) out.push(...observeNovelty(open, e, now, s, net, fam, rkey));
    }
    // Sigma rules judge single records (and correlations over them) and need no baseline, but like
    // every detection they stay quiet while learning and honour exceptions.
    if (sigma !== undefined) {
      for (const m of sigma.evaluate(e, rawRecordOf(e), now)) {
        if (now < learnUntil) continue;
        const d = sigmaDetection(m.rule);
        if (excepted(d.meta.id, e)) continue;
        const earlier = m.events.filter((x) => x !== e);
        out.push(
          ...trigger(d, e, now, { severity: d.meta.severity, message: sigmaMessage(m.rule.title, e, m.events.length) }, earlier),
        );
      }
    }
    // A success after failures that raised no alert was normal: remember the size of that run.
    if (e.outcome === 'success' && s.failures.length > 0) {
      const windowMs = t.failureWindowMinutes * 60_000;
      const run = s.failures.filter(([tt]) => tt >= now - windowMs).length;
      if (run > s.failBurstPeak && (now < learnUntil || run < Math.max(t.failures, s.failBurstPeak * 3))) s.failBurstPeak = run;
    }
    learn(e, now, s, c, net, fam, rkey);
    return out;
  }

  return {
    process,
    finish: () => sweep(Number.POSITIVE_INFINITY, true),
    snapshot: () => ({
      version: 1,
      identities: [...identities].map(([id, s]) => [id, s.toJSON()]),
      credentials: [...credentials].map(([key, c]) => [key, c.toJSON()]),
      watermark,
      episodes: [...episodes.values()].map(({ novelty, ...ep }) => ({
        ...ep,
        detection: ep.detection.meta.id,
        ...(novelty ? { novelty: { ...novelty, signals: [...novelty.signals] } } : {}),
      })),
      lastSweep,
    }),
    get stats() {
      stats.identities = identities.size;
      stats.credentials = credentials.size;
      return stats;
    },
  };
}
