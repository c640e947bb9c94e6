import { isIP } from 'node:net';
import type { IdentityEvent } from '../model/identity-event.js';
import { isoMs } from '../model/time.js';
import { policyView } from './evaluate.js';
import { localTime } from './match.js';

/*
 * What run time saw each identity do, in the manifest's terms: the raw material of `warden policy
 * init` (a draft manifest) and `warden policy suggest` (a tighter one). Pure over events.
 */

/** One identity's observed behaviour. */
export interface Observation {
  /** The event identity id (stable). */
  id: string;
  type: IdentityEvent['identity']['type'];
  /** Display names seen. */
  names: Set<string>;
  /** Service accounts a Vault token of it was issued to. */
  via: Set<string>;
  /** action (manifest spelling) → resources (manifest spelling) it was performed on ('' when none). */
  actions: Map<string, Set<string>>;
  ips: Set<string>;
  regions: Set<string>;
  environments: Set<string>;
  /** Active hours in UTC: day index (0 Sunday) × 24 + hour. */
  hours: Set<number>;
  tools: Set<string>;
  destinations: Set<string>;
  credentialKeys: Set<string>;
  first: number;
  last: number;
  events: number;
}

/** Identities a manifest should not describe: people, the root user, anonymous requests. */
export function describable(e: IdentityEvent): boolean {
  const t = e.identity.type;
  if (t === 'user' || t === 'root') return false;
  const id = e.identity.id;
  return id !== '' && id !== 'unknown' && id !== 'unauthenticated' && !id.endsWith(':anonymous');
}

function hostOf(destination: string): string {
  try {
    if (destination.includes('://')) return new URL(destination).hostname;
  } catch {
    // as written
  }
  return destination.replace(/:\d+$/, '');
}

/**
 * Folds events into one observation per identity. `since` (ms) drops older events; events whose
 * identity is a person or anonymous are skipped.
 * @example const seen = observe(events); seen.get('arn:aws:iam::1:role/ci')?.actions
 */
export function observe(events: Iterable<IdentityEvent>, since = Number.NEGATIVE_INFINITY): Map<string, Observation> {
  const out = new Map<string, Observation>();
  for (const e of events) {
    const ms = isoMs(e.time);
    if (!Number.isFinite(ms) || ms < since || !describable(e)) continue;
    addEvent(out, e, ms);
  }
  return out;
}

/** Adds one event to the observations (for streams too large to hold). */
export function addEvent(out: Map<string, Observation>, e: IdentityEvent, ms = isoMs(e.time)): void {
  let o = out.get(e.identity.id);
  if (o === undefined) {
    o = {
      id: e.identity.id,
      type: e.identity.type,
      names: new Set(),
      via: new Set(),
      actions: new Map(),
      ips: new Set(),
      regions: new Set(),
      environments: new Set(),
      hours: new Set(),
      tools: new Set(),
      destinations: new Set(),
      credentialKeys: new Set(),
      first: ms,
      last: ms,
      events: 0,
    };
    out.set(e.identity.id, o);
  }
  o.events++;
  if (ms < o.first) o.first = ms;
  if (ms > o.last) o.last = ms;
  if (e.identity.name) o.names.add(e.identity.name);
  if (e.identity.via?.startsWith('system:serviceaccount:')) o.via.add(e.identity.via);
  const view = policyView(e);
  let res = o.actions.get(view.action);
  if (res === undefined) {
    res = new Set();
    o.actions.set(view.action, res);
  }
  if (res.size < 5000) res.add(view.resource ?? '');
  if (e.client.ip && isIP(e.client.ip)) o.ips.add(e.client.ip);
  if (e.client.region) o.regions.add(e.client.region);
  if (e.client.environment) o.environments.add(e.client.environment);
  const { minute } = localTime(ms, 'UTC');
  o.hours.add(new Date(ms).getUTCDay() * 24 + Math.floor(minute / 60));
  if (e.agent?.tool) o.tools.add(e.agent.tool);
  if (e.agent?.destination) o.destinations.add(hostOf(e.agent.destination));
  if (e.credential?.key && e.credential.lifecycle === 'used') o.credentialKeys.add(e.credential.key);
}

// ---------- generalisation ----------

/** Observed addresses as blocks: IPv4 /24, IPv6 /64; more than 16 blocks widen to /16 and /48. */
export function networksOf(ips: Iterable<string>): string[] {
  const block = (ip: string, wide: boolean): string => {
    if (isIP(ip) === 4) {
      const p = ip.split('.');
      return wide ? `${p[0]}.${p[1]}.0.0/16` : `${p[0]}.${p[1]}.${p[2]}.0/24`;
    }
    const full = expandV6(ip);
    const groups = full.slice(0, wide ? 3 : 4).map((g) => g.replace(/^0+(?=.)/, ''));
    return `${groups.join(':')}::/${wide ? 48 : 64}`;
  };
  const list = [...ips];
  const narrow = new Set(list.map((ip) => block(ip, false)));
  return [...(narrow.size > 16 ? new Set(list.map((ip) => block(ip, true))) : narrow)].sort();
}

function expandV6(ip: string): string[] {
  const [head, tail] = ip.toLowerCase().split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return groups.map((g) => (g.includes('.') ? '0' : g.padStart(4, '0')));
}

function parentOf(r: string): string | undefined {
  const i = r.lastIndexOf('/');
  return i > 0 ? r.slice(0, i) : undefined;
}

/**
 * Resources as globs: S3 objects become their bucket's `bucket/*`; siblings (two or more under one
 * parent path) become `parent/*`; more than 8 globs fold once more into their parents.
 * @example resourceGlobs(['arn:aws:s3:::b/x/1.zip', 'arn:aws:s3:::b/y']) // ['arn:aws:s3:::b/*']
 */
export function resourceGlobs(resources: Iterable<string>): string[] {
  let set = new Set<string>();
  for (const r of resources) {
    if (r === '') continue;
    const s3 = /^(arn:[^:]+:s3:::[^/]+)\/.+$/.exec(r);
    set.add(s3 ? `${s3[1]}/*` : r);
  }
  for (let round = 0; round < 2; round++) {
    const byParent = new Map<string, string[]>();
    for (const r of set) {
      const p = parentOf(r.endsWith('/*') ? r.slice(0, -2) : r);
      if (p === undefined || (round === 0 && r.endsWith('/*'))) continue;
      byParent.set(p, [...(byParent.get(p) ?? []), r]);
    }
    const next = new Set<string>();
    for (const r of set) {
      const p = parentOf(r.endsWith('/*') ? r.slice(0, -2) : r);
      const siblings = p === undefined ? undefined : byParent.get(p);
      next.add(siblings && siblings.length >= 2 && (round === 0 || set.size > 8) ? `${p}/*` : r);
    }
    set = next;
    if (set.size <= 8) break;
  }
  // Still many (tokens, ids with no path): one glob per leading segment, else their common prefix.
  if (set.size > 8) {
    const lead = (r: string): string => /^.*?[/:.](?=.)/.exec(r)?.[0] ?? r;
    const groups = new Set([...set].map((r) => (r.endsWith('*') ? r : `${lead(r)}*`)));
    set = groups.size <= 8 ? groups : new Set([`${commonPrefix([...set])}*`]);
  }
  // A glob already covers the exact resources under it.
  const globs = [...set].filter((r) => r.endsWith('*')).map((g) => g.slice(0, -1));
  return [...set].filter((r) => r.endsWith('*') || !globs.some((g) => r.startsWith(g))).sort();
}

function commonPrefix(list: readonly string[]): string {
  let p = list[0] ?? '';
  for (const s of list) while (!s.startsWith(p)) p = p.slice(0, -1);
  return p.replace(/\*+$/, '');
}

/**
 * Active hours as windows, rounded to whole hours (UTC): per day, from the first active hour to the
 * end of the last, days with the same span sharing an entry. Nothing when the identity works (nearly)
 * around the clock every day.
 */
export function windowsOf(hours: ReadonlySet<number>): Array<{ days: string[]; from: string; to: string }> {
  const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
  const spans: Array<[number, number] | undefined> = [];
  let covered = 0;
  for (let d = 0; d < 7; d++) {
    let lo = -1;
    let hi = -1;
    for (let h = 0; h < 24; h++) {
      if (!hours.has(d * 24 + h)) continue;
      if (lo < 0) lo = h;
      hi = h;
    }
    spans.push(lo < 0 ? undefined : [lo, hi + 1]);
    if (lo >= 0) covered += hi + 1 - lo;
  }
  if (covered >= 7 * 22) return [];
  const clock = (h: number) => `${String(h).padStart(2, '0')}:00`;
  const groups = new Map<string, string[]>();
  spans.forEach((span, d) => {
    if (!span) return;
    const k = `${span[0]}-${span[1]}`;
    groups.set(k, [...(groups.get(k) ?? []), DAYS[d]!]);
  });
  return [...groups].map(([k, days]) => {
    const [a, b] = k.split('-').map(Number) as [number, number];
    return { days, from: clock(a), to: clock(b) };
  });
}
