import { isIP } from 'node:net';
import { wildcardMatch } from '../model/wildcard.js';
import type { PolicyWindow } from './schema.js';

export { wildcardMatch } from '../model/wildcard.js';

export const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Day = (typeof DAYS)[number];

/*
 * The small predicates every policy check is made of: globs over actions and resources, CIDR
 * membership, time windows in a time zone, durations. Pure and cached; no dependency beyond Node.
 */

/**
 * Why a glob is not one Warden accepts, or undefined when it is fine. Globs use `*` (any run of
 * characters, `/` included) and `?` (one character); character classes and braces are not supported,
 * so a pattern never means something other than what it looks like.
 * @example globProblem('s3:Get[O]bject') // 'character classes ([…]) are not supported: list each value'
 */
export function globProblem(glob: string): string | undefined {
  if (glob.length === 0) return 'an empty pattern matches nothing: remove it or write "*"';
  if (/[\s]/.test(glob)) return 'patterns contain no whitespace';
  if (/[[\]]/.test(glob)) return 'character classes ([…]) are not supported: list each value';
  if (/[{}]/.test(glob)) return 'braces ({a,b}) are not supported: list each value';
  if (/\*{3,}/.test(glob)) return 'write one "*" (it already matches any run of characters)';
  return undefined;
}

/**
 * Whether `value` matches a glob. Actions compare case-insensitively (AWS treats `s3:getobject` and
 * `s3:GetObject` as one action); resources exactly.
 * @example globMatch('arn:aws:s3:::acme-artifacts/*', 'arn:aws:s3:::acme-artifacts/app.zip') // true
 */
export function globMatch(glob: string, value: string, caseInsensitive = false): boolean {
  if (glob === '*') return true;
  if (!glob.includes('*') && !glob.includes('?'))
    return caseInsensitive ? glob.toLowerCase() === value.toLowerCase() : glob === value;
  return wildcardMatch(glob, value, caseInsensitive);
}

/** Whether an action matches any of the action globs (case-insensitive). @example actionAllowed(['ecr:*'], 'ecr:PutImage') // true */
export function actionAllowed(globs: readonly string[], action: string): boolean {
  return globs.some((g) => globMatch(g, action, true));
}

/** Whether a resource matches any of the resource globs. @example resourceAllowed(['vault:secret/app/*'], 'vault:secret/app/db') // true */
export function resourceAllowed(globs: readonly string[], resource: string): boolean {
  return globs.some((g) => globMatch(g, resource));
}

/**
 * Whether glob `a` covers everything glob `b` can match (a sound approximation: `b` is matched as a
 * literal against `a`, so `s3:*` covers `s3:Get*`, and `s3:Get*` does not cover `s3:*`).
 * Used by build-time drift: a grant `b` is within the manifest when some `allow` glob covers it.
 * @example globCovers('s3:*', 's3:Get*') // true
 */
export function globCovers(a: string, b: string, caseInsensitive = false): boolean {
  if (a === '*') return true;
  const x = caseInsensitive ? a.toLowerCase() : a;
  const y = caseInsensitive ? b.toLowerCase() : b;
  // Dynamic programming over (position in a, position in b): a's `*` absorbs any run of b (b's
  // wildcards included), a's `?` one non-`*` symbol, a literal only the same literal.
  let row = new Array<boolean>(y.length + 1).fill(false);
  row[0] = true;
  for (let i = 1; i <= x.length; i++) {
    const c = x[i - 1]!;
    const next = new Array<boolean>(y.length + 1).fill(false);
    next[0] = c === '*' && row[0]!;
    for (let j = 1; j <= y.length; j++) {
      const d = y[j - 1]!;
      if (c === '*') next[j] = row[j]! || next[j - 1]!;
      else if (c === '?') next[j] = d !== '*' && row[j - 1]!;
      else next[j] = c === d && d !== '*' && d !== '?' && row[j - 1]!;
    }
    row = next;
  }
  return row[y.length]!;
}

// ---------- networks ----------

interface Cidr {
  v: 4 | 6;
  bits: number;
  base: bigint;
}

function ipToBigInt(ip: string): { v: 4 | 6; n: bigint } | undefined {
  const kind = isIP(ip);
  if (kind === 4) {
    const n = ip.split('.').reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
    return { v: 4, n };
  }
  if (kind === 6) {
    let s = ip.toLowerCase();
    const zone = s.indexOf('%');
    if (zone >= 0) s = s.slice(0, zone);
    // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
    const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
    if (v4) {
      const n = ipToBigInt(v4[1]!)!.n;
      s = `${s.slice(0, v4.index)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
    }
    const [head, tail] = s.split('::') as [string, string | undefined];
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
    if (groups.length !== 8) return undefined;
    return { v: 6, n: groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g || '0', 16)), 0n) };
  }
  return undefined;
}

/**
 * Why a network entry is not a CIDR block or address, or undefined when it is one. Host bits set in
 * a block (`203.0.113.7/24`) are refused with the block they probably meant.
 * @example cidrProblem('10.0.0.0/33') // 'prefix length must be 0–32 for IPv4'
 */
export function cidrProblem(cidr: string): string | undefined {
  const slash = cidr.indexOf('/');
  const ip = slash < 0 ? cidr : cidr.slice(0, slash);
  const addr = ipToBigInt(ip);
  if (addr === undefined) return `"${ip}" is not an IPv4 or IPv6 address (write a block like 203.0.113.0/24)`;
  if (slash < 0) return undefined;
  const bitsText = cidr.slice(slash + 1);
  const max = addr.v === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > max) return `prefix length must be 0–${max} for IPv${addr.v}`;
  const bits = Number(bitsText);
  const hostMask = (1n << BigInt(max - bits)) - 1n;
  if ((addr.n & hostMask) !== 0n) {
    const base = addr.n & ~hostMask & ((1n << BigInt(max)) - 1n);
    return `host bits are set: did you mean ${formatIp(base, addr.v)}/${bits}?`;
  }
  return undefined;
}

function formatIp(n: bigint, v: 4 | 6): string {
  if (v === 4) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');
  const parts: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) parts.push(((n >> s) & 0xffffn).toString(16));
  return parts.join(':');
}

const cidrCache = new Map<string, Cidr | null>();

function parseCidr(cidr: string): Cidr | undefined {
  let c = cidrCache.get(cidr);
  if (c === undefined) {
    const slash = cidr.indexOf('/');
    const addr = ipToBigInt(slash < 0 ? cidr : cidr.slice(0, slash));
    if (addr === undefined) c = null;
    else {
      const max = addr.v === 4 ? 32 : 128;
      const bits = slash < 0 ? max : Number(cidr.slice(slash + 1));
      c = Number.isInteger(bits) && bits >= 0 && bits <= max ? { v: addr.v, bits, base: addr.n >> BigInt(max - bits) } : null;
    }
    cidrCache.set(cidr, c);
  }
  return c ?? undefined;
}

/**
 * Whether an address lies in a CIDR block (IPv4 or IPv6; an IPv4-mapped IPv6 address counts as its IPv4).
 * @example inNetwork('203.0.113.7', '203.0.113.0/24') // true
 */
export function inNetwork(ip: string, cidr: string): boolean {
  const c = parseCidr(cidr);
  let a = ipToBigInt(ip);
  if (c === undefined || a === undefined) return false;
  if (a.v === 6 && c.v === 4 && a.n >> 32n === 0xffffn) a = { v: 4, n: a.n & 0xffffffffn };
  if (a.v !== c.v) return false;
  const max = a.v === 4 ? 32 : 128;
  return a.n >> BigInt(max - c.bits) === c.base;
}

/** Whether an address lies in any of the blocks. @example inAnyNetwork('10.1.2.3', ['10.0.0.0/8']) // true */
export function inAnyNetwork(ip: string, cidrs: readonly string[]): boolean {
  return cidrs.some((c) => inNetwork(ip, c));
}

// ---------- time ----------

const zoneCache = new Map<string, Intl.DateTimeFormat | null>();

function zoneFormat(timezone: string): Intl.DateTimeFormat | undefined {
  let f = zoneCache.get(timezone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: timezone,
        weekday: 'short',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      });
    } catch {
      f = null;
    }
    zoneCache.set(timezone, f);
  }
  return f ?? undefined;
}

/** Whether the runtime knows an IANA time zone. @example isTimeZone('Europe/Berlin') // true */
export function isTimeZone(timezone: string): boolean {
  return zoneFormat(timezone) !== undefined;
}

/**
 * Day of week and minute of day of an instant in a time zone (daylight saving included, via Intl).
 * @example localTime(Date.parse('2026-12-07T09:30:00Z'), 'Europe/Berlin') // { day: 'mon', minute: 630 }
 */
export function localTime(ms: number, timezone: string): { day: Day; minute: number } {
  const f = zoneFormat(timezone) ?? zoneFormat('UTC')!;
  let day: Day = 'sun';
  let h = 0;
  let m = 0;
  for (const p of f.formatToParts(ms)) {
    if (p.type === 'weekday') day = p.value.slice(0, 3).toLowerCase() as Day;
    else if (p.type === 'hour') h = Number(p.value);
    else if (p.type === 'minute') m = Number(p.value);
  }
  return { day, minute: (h % 24) * 60 + m };
}

/** `08:30` → 510; `24:00` → 1440. */
export function clockMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

/**
 * The minutes of the week (0 = Sunday 00:00 in the window's own zone) a window covers, as half-open
 * intervals. A window whose `to` is before its `from` runs overnight into the next day.
 */
export function windowIntervals(w: Pick<PolicyWindow, 'days' | 'from' | 'to'>): Array<[number, number]> {
  const from = clockMinutes(w.from);
  const to = clockMinutes(w.to);
  const out: Array<[number, number]> = [];
  for (const d of w.days) {
    const base = DAYS.indexOf(d) * 1440;
    if (from < to) out.push([base + from, base + to]);
    else if (from > to) {
      out.push([base + from, base + 1440]);
      const next = (base + 1440) % (7 * 1440);
      if (to > 0) out.push([next, next + to]);
    }
  }
  return out;
}

/**
 * Whether an instant falls inside a window, in the window's time zone.
 * @example inWindow(Date.parse('2026-12-07T09:30:00Z'), { days: ['mon'], from: '08:00', to: '18:00', timezone: 'Europe/Berlin' }) // true
 */
export function inWindow(ms: number, w: Pick<PolicyWindow, 'days' | 'from' | 'to' | 'timezone'>): boolean {
  const { day, minute } = localTime(ms, w.timezone);
  const t = DAYS.indexOf(day) * 1440 + minute;
  return windowIntervals(w).some(([a, b]) => t >= a && t < b);
}

/** Whether an instant falls inside any of the windows. */
export function inAnyWindow(ms: number, windows: readonly Pick<PolicyWindow, 'days' | 'from' | 'to' | 'timezone'>[]): boolean {
  return windows.some((w) => inWindow(ms, w));
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/**
 * Seconds in a duration like `15m`, `1h30m`, `90d`, `2w`; undefined when it is not one.
 * @example parseDuration('1h30m') // 5400
 */
export function parseDuration(text: string): number | undefined {
  if (!/^(\d+[smhdw])+$/.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+)([smhdw])/g)) total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
  return total > 0 ? total : undefined;
}

/** 5400 → `1h30m`; the inverse of parseDuration for whole units. */
export function formatDuration(seconds: number): string {
  let rest = Math.round(seconds);
  let out = '';
  for (const [u, n] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= n) {
      out += `${Math.floor(rest / n)}${u}`;
      rest %= n;
    }
  }
  return out || '0s';
}
