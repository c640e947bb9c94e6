/**
 * The fictional organisation the scenario runs in: accounts, regions, clusters, networks and names,
 * plus time formats as each vendor writes them and the daily shapes (diurnal, business hours, batch).
 *
 * Addresses: private traffic uses 10.0.0.0/8; the organisation's public egress (NAT gateways,
 * self-hosted runners) uses 198.19.0.0/16 (RFC 2544 benchmarking space, never routed); attackers come
 * from the RFC 5737 documentation ranges, 198.18.0.0/16 and the IPv6 documentation prefix 2001:db8::/32.
 * Account ids are the AWS documentation ones. Nothing here names a real party.
 */
import type { Rng } from './random.js';
import { type DayContext, HOUR, MINUTE } from './types.js';

export const ACCOUNTS = { prod: '123456789012', staging: '111122223333', tools: '444455556666' } as const;
export type Env = 'prod' | 'staging';

export const ORG = 'example-corp';
export const BUSINESS = 'example-enterprise';
export const OKTA_AUTH_SERVER = { id: 'aus1a2b3c4d5e6f7g8h9', name: 'default' };

/** Home regions with the local time of the team that owns workloads there. */
export const REGIONS: ReadonlyArray<{ region: string; tz: number; country: string }> = [
  { region: 'us-east-1', tz: -5, country: 'US' },
  { region: 'us-east-1', tz: -5, country: 'US' },
  { region: 'us-west-2', tz: -5, country: 'US' },
  { region: 'eu-west-1', tz: 1, country: 'IE' },
  { region: 'eu-central-1', tz: 1, country: 'DE' },
];
/** Regions no benign identity uses: where attackers' tools default to or where they look. */
export const FOREIGN_REGIONS = ['ap-southeast-1', 'sa-east-1', 'ap-northeast-2', 'eu-north-1'];

export interface Cluster {
  name: string;
  env: Env;
  /** Second octet of the pod range 10.B.0.0/16. */
  podB: number;
  /** Second octet of the node range 10.B.0.0/16. */
  nodeB: number;
  region: string;
  tz: number;
  /** OIDC issuer id for IRSA (EKS). */
  oidcId: string;
}

export const CLUSTERS: readonly Cluster[] = [
  {
    name: 'prod-use1',
    env: 'prod',
    podB: 100,
    nodeB: 10,
    region: 'us-east-1',
    tz: -5,
    oidcId: '5C1A9E1D0B7F4E2A8C3D6B9F1E0A7C42',
  },
  {
    name: 'staging-use1',
    env: 'staging',
    podB: 101,
    nodeB: 11,
    region: 'us-east-1',
    tz: -5,
    oidcId: '9E3F0B2C7A1D4E8F6B5C0A9D2E7F1B36',
  },
  {
    name: 'prod-euw1',
    env: 'prod',
    podB: 102,
    nodeB: 12,
    region: 'eu-west-1',
    tz: 1,
    oidcId: '2B7D4F9A1C6E3B8D0F5A7C2E9B4D1F63',
  },
];

const APPS = [
  'payments',
  'checkout',
  'billing',
  'orders',
  'inventory',
  'search',
  'catalog',
  'ledger',
  'notifications',
  'shipping',
  'pricing',
  'fraud',
  'reports',
  'accounts',
  'profile',
  'recommendations',
  'analytics',
  'etl',
  'backup',
  'gateway',
  'mailer',
  'export',
  'invoicing',
  'risk',
  'kyc',
  'audit',
  'metrics',
  'media',
  'loyalty',
  'support',
];
const ROLES = ['api', 'worker', 'sync', 'consumer', 'scheduler', 'exporter', 'indexer', 'cron', 'processor'];

/** Unique, plausible workload names: `payments-api`, `ledger-sync-2`. */
export function createNamer(): (rng: Rng) => { app: string; role: string; name: string } {
  const used = new Map<string, number>();
  return (rng) => {
    const app = rng.pick(APPS);
    const role = rng.pick(ROLES);
    const base = `${app}-${role}`;
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    return { app, role, name: n === 1 ? base : `${base}-${n}` };
  };
}

/** The organisation's public egress: NAT gateways and runner pools, 198.19.SITE.0/24. */
export function egressIp(site: number, host: number): string {
  return `198.19.${site % 256}.${10 + (host % 240)}`;
}

/** A pod address inside a cluster's 10.B.0.0/16 pod range. */
export function podIp(rng: Rng, cluster: Cluster): string {
  return `10.${cluster.podB}.${rng.int(0, 63)}.${rng.int(2, 254)}`;
}

/** A node, as Kubernetes names it on EKS, and its address. */
export function node(rng: Rng, cluster: Cluster): { name: string; ip: string; uid: string } {
  const ip = `10.${cluster.nodeB}.${rng.int(0, 15)}.${rng.int(4, 250)}`;
  return { name: `ip-${ip.replaceAll('.', '-')}.ec2.internal`, ip, uid: rng.uuid() };
}

/**
 * An attacker address: documentation ranges and 198.18.0.0/16 for IPv4, 2001:db8::/32 for IPv6.
 * `i` spreads successive addresses over distinct networks (/24 for IPv4, /48 for IPv6).
 */
export function attackerIp(rng: Rng, i: number): string {
  const v4 = ['203.0.113', '198.51.100', '192.0.2'];
  if (i < v4.length) return `${v4[i]}.${rng.int(10, 250)}`;
  if (i < 8) return `198.18.${(i - 3) * 37 + rng.int(1, 30)}.${rng.int(10, 250)}`;
  return `2001:db8:${(0x1000 + i * 0x111).toString(16)}::${rng.hex(2)}`;
}

// ---------------------------------------------------------------- time formats

/** CloudTrail `eventTime`: second precision, `Z`. */
export function ctTime(t: number): string {
  return new Date(t).toISOString().slice(0, 19) + 'Z';
}

/** RFC 3339 with nanoseconds, as Vault writes `time`. */
export function vaultTime(t: number, rng: Rng): string {
  return new Date(t).toISOString().slice(0, 23) + String(rng.int(0, 999_999)).padStart(6, '0') + 'Z';
}

/** Microsecond RFC 3339, as the apiserver writes metav1.MicroTime. */
export function microTime(t: number, rng: Rng): string {
  return new Date(t).toISOString().slice(0, 23) + String(rng.int(0, 999)).padStart(3, '0') + 'Z';
}

/** OTLP `startTimeUnixNano`: nanoseconds as a decimal string (beyond 2^53, so never a number). */
export function nanos(t: number, rng: Rng): string {
  return `${Math.floor(t)}${String(rng.int(0, 999_999)).padStart(6, '0')}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** STS `credentials.expiration` as CloudTrail writes it: "Jun 6, 2025, 3:12:29 PM" (UTC). */
export function awsExpiration(t: number): string {
  const d = new Date(t);
  const h = d.getUTCHours();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ${h % 12 || 12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}

// ---------------------------------------------------------------- daily shapes

/** Relative activity per local hour of a 24x7 service: a night trough, an afternoon peak. */
const DIURNAL = [
  0.45, 0.4, 0.35, 0.35, 0.38, 0.45, 0.6, 0.8, 1.0, 1.15, 1.25, 1.3, 1.25, 1.3, 1.35, 1.3, 1.2, 1.1, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5,
];
/** Relative activity per local hour of a business-hours service (nothing outside 08–19). */
const OFFICE = [0, 0, 0, 0, 0, 0, 0, 0, 0.6, 1.0, 1.2, 1.2, 0.8, 1.0, 1.2, 1.2, 1.1, 0.8, 0.4, 0, 0, 0, 0, 0];

/** 00:00 local of the scenario day, ms (the UTC day's date in the identity's own time zone). */
export function localMidnight(ctx: DayContext, tz: number): number {
  return ctx.dayStart - tz * HOUR;
}

/** 0 = Sunday … 6 = Saturday, of the scenario day (the same date in every time zone). */
export function weekday(ctx: DayContext): number {
  return new Date(ctx.dayStart).getUTCDay();
}

export function isWeekend(ctx: DayContext): boolean {
  const d = weekday(ctx);
  return d === 0 || d === 6;
}

/**
 * `n` times in the local day following a daily shape, sorted. `always` dips at night and a little at
 * weekends; `business` is weekdays 08–19 only.
 */
export function spread(ctx: DayContext, rng: Rng, tz: number, n: number, shape: 'always' | 'business'): number[] {
  const weights = shape === 'always' ? DIURNAL : OFFICE;
  let total = 0;
  for (const w of weights) total += w;
  const base = localMidnight(ctx, tz);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let x = rng.next() * total;
    let h = 0;
    for (; h < 23; h++) {
      x -= weights[h]!;
      if (x < 0) break;
    }
    out.push(base + h * HOUR + Math.floor(rng.next() * HOUR));
  }
  return out.sort((a, b) => a - b);
}

/** A day's count around `mean`: ±20 % day to day, fewer at weekends for 24x7 work. */
export function dailyCount(ctx: DayContext, rng: Rng, mean: number, shape: 'always' | 'business'): number {
  if (shape === 'business' && isWeekend(ctx)) return 0;
  const weekend = shape === 'always' && isWeekend(ctx) ? 0.7 : 1;
  return Math.max(0, Math.round(mean * weekend * (0.8 + 0.4 * rng.next())));
}

/**
 * A time at local `hh:mm` plus a little start jitter (cron jobs start within a minute or two), kept
 * inside the local day (a 23:59 job does not spill into the next day's plan).
 */
export function at(ctx: DayContext, rng: Rng, tz: number, hh: number, mm: number, jitterMinutes = 2): number {
  const midnight = localMidnight(ctx, tz);
  return Math.min(midnight + hh * HOUR + mm * MINUTE + Math.floor(rng.next() * jitterMinutes * MINUTE), midnight + 24 * HOUR - 1);
}
