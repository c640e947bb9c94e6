import type { IdentityEvent } from '../model/identity-event.js';
import { type GlobTest, wildcardMatch } from '../model/wildcard.js';

/**
 * Generalisation before remembering: a detection asks "is this new for this identity?", so what is
 * remembered must be stable across the things that change on every call (a pod IP inside the cluster
 * range, an S3 object key, an STS session, an SDK version) and change when something real changes (a
 * new network, bucket, secret path prefix, namespace, tool).
 */

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * Whether a string is four groups of 1 to 3 ASCII digits joined by dots (what IPV4 matches), without
 * a match array: the index of the third dot, or -1.
 */
function dottedQuad(s: string): number {
  let part = 0;
  let digits = 0;
  let third = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits > 3) return -1;
    } else if (c === 46 && digits > 0 && part < 3) {
      if (++part === 3) third = i;
      digits = 0;
    } else return -1;
  }
  return part === 3 && digits > 0 ? third : -1;
}

/** RFC 1918, loopback, link-local and carrier-grade NAT (RFC 6598) ranges. */
export function isPrivateIpv4(a: number, b: number): boolean {
  return (
    a === 10 ||
    a === 127 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254) ||
    (a === 100 && b >= 64 && b <= 127)
  );
}

/**
 * The network an address belongs to, as remembered per identity: private IPv4 by /16 (pods and nodes
 * move inside a cluster range), public IPv4 by /24, IPv6 by /48. Undefined for things that are not
 * addresses ("AWS Internal", a service name).
 * @example networkOf('10.244.3.7') // '10.244.0.0/16'
 */
export function networkOf(ip: string | undefined): string | undefined {
  if (ip === undefined) return undefined;
  const v4 = dottedQuad(ip);
  if (v4 >= 0) {
    // v4: the end of the third part (the second dot is found again from it).
    const d1 = ip.indexOf('.');
    const d2 = ip.indexOf('.', d1 + 1);
    const a = Number(ip.slice(0, d1));
    const b = Number(ip.slice(d1 + 1, d2));
    if (a > 255 || b > 255) return undefined;
    return isPrivateIpv4(a, b) ? `${a}.${b}.0.0/16` : `${a}.${b}.${ip.slice(d2 + 1, v4)}.0/24`;
  }
  if (ip.includes(':')) {
    const v4mapped = ip.lastIndexOf(':');
    const tail = ip.slice(v4mapped + 1);
    if (IPV4.test(tail) && ip.toLowerCase().startsWith('::ffff:')) return networkOf(tail);
    const parts = ip.toLowerCase().split(':');
    if (parts.length < 3) return undefined;
    return `${parts.slice(0, 3).join(':')}::/48`;
  }
  return undefined;
}

/** Whether a remembered network is a private one (so a change inside private space matters less). */
export function isPrivateNetwork(net: string): boolean {
  const m = /^(\d+)\.(\d+)\./.exec(net);
  return m ? isPrivateIpv4(Number(m[1]), Number(m[2])) : net.startsWith('fc') || net.startsWith('fd') || net.startsWith('fe80');
}

/**
 * The family of a user agent: its first product token without version, lower case; every browser is
 * one family. `aws-cli/2.15 Python/3.11` → `aws-cli`; `[aws-sdk-go-v2/1.30 …]` → `aws-sdk-go-v2`.
 */
export function userAgentFamily(ua: string | undefined): string | undefined {
  if (ua === undefined) return undefined;
  let s = ua.trim();
  if (s.startsWith('[')) s = s.slice(1);
  if (s.length === 0) return undefined;
  let end = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 47 /* / */ || c === 32 || c === 59 /* ; */ || c === 40 /* ( */ || c === 93 /* ] */) {
      end = i;
      break;
    }
  }
  // Only the head is lower-cased (a user agent runs to hundreds of characters): the product token,
  // and at least the 8 characters the browser test reads. Outside ASCII, lower case may change the
  // length, so the whole string is lower-cased as before.
  const head = s.length <= Math.max(end, 8) ? s : s.slice(0, Math.max(end, 8));
  const lower = isAscii(head) ? head.toLowerCase() : s.toLowerCase();
  if (lower.startsWith('mozilla/') || lower.startsWith('opera/')) return 'browser';
  const token = lower.slice(0, end);
  return token.length > 0 ? token.slice(0, 40) : undefined;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * A resource generalised to what an identity's "usual set" should hold: a bucket not an object, a
 * secret path prefix not a version, a namespace and kind not a pod name.
 * @example resourceKey(e) // 'k8s:payments/secrets', 's3:example-artifacts', 'vault:secret/data/payments'
 */
export function resourceKey(e: IdentityEvent): string | undefined {
  const r = e.resource;
  if (r === undefined) return undefined;
  const id = r.id;
  switch (e.source) {
    case 'k8s-audit':
    case 'gke-audit':
    case 'aks-audit': {
      const slash = id.indexOf('/');
      const ns = slash > 0 ? id.slice(0, slash) : '*';
      return `k8s:${ns}/${r.type ?? 'unknown'}`;
    }
    case 'vault': {
      // Up to the third slash: id.split('/').slice(0, 3).join('/') without the arrays.
      const a = id.indexOf('/');
      const b = a < 0 ? -1 : id.indexOf('/', a + 1);
      const c = b < 0 ? -1 : id.indexOf('/', b + 1);
      return `vault:${c < 0 ? id : id.slice(0, c)}`;
    }
    case 'github-audit':
      return `${r.type ?? 'gh'}:${id}`;
    case 'agent-trace':
      return `tool:${id}`;
    default:
      break;
  }
  if (id.startsWith('arn:')) {
    // arn:partition:service:region:account:resource — keep the service and the first resource segment.
    // As id.split(':') would cut it, by index: the service is the third part, the rest follows the fifth colon.
    const c1 = id.indexOf(':');
    const c2 = id.indexOf(':', c1 + 1);
    const c3 = c2 < 0 ? -1 : id.indexOf(':', c2 + 1);
    const c4 = c3 < 0 ? -1 : id.indexOf(':', c3 + 1);
    const c5 = c4 < 0 ? -1 : id.indexOf(':', c4 + 1);
    const service = c2 < 0 ? '' : id.slice(c2 + 1, c3 < 0 ? id.length : c3);
    const rest = c5 < 0 ? '' : id.slice(c5 + 1);
    if (service === 's3') {
      const slash = rest.indexOf('/');
      return `s3:${slash < 0 ? rest : rest.slice(0, slash)}`;
    }
    if (service === 'secretsmanager') {
      // secret:name-AbCdEf — the six-character suffix is random per secret version.
      const name = rest.replace(/^secret:/, '').replace(/-[A-Za-z0-9]{6}$/, '');
      const slash = name.lastIndexOf('/');
      return `secretsmanager:${slash > 0 ? name.slice(0, slash) : name}`;
    }
    if (service === 'ssm') {
      const path = rest.replace(/^parameter/, '');
      const segs = path.split('/').filter(Boolean);
      return `ssm:/${segs.slice(0, Math.max(1, segs.length - 1)).join('/')}`;
    }
    return `${service}:${firstTwoSegments(rest)}`;
  }
  return `${r.type ?? 'resource'}:${id.replace(/\d{3,}/g, '#').slice(0, 120)}`;
}

/** rest.split(/[/:]/).slice(0, 2).join('/') without the arrays: the first two segments of an ARN resource. */
function firstTwoSegments(rest: string): string {
  let p1 = -1;
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    if (c === 47 /* / */ || c === 58 /* : */) {
      p1 = i;
      break;
    }
  }
  if (p1 < 0) return rest;
  let p2 = rest.length;
  for (let i = p1 + 1; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    if (c === 47 || c === 58) {
      p2 = i;
      break;
    }
  }
  return `${rest.slice(0, p1)}/${rest.slice(p1 + 1, p2)}`;
}

/** Kubernetes namespace of a service account identity (`system:serviceaccount:NS:NAME`), if it is one. */
export function serviceAccountNamespace(identityId: string): string | undefined {
  if (!identityId.startsWith('system:serviceaccount:')) return undefined;
  const rest = identityId.slice('system:serviceaccount:'.length);
  const colon = rest.indexOf(':');
  return colon > 0 ? rest.slice(0, colon) : undefined;
}

/** Namespace of a Kubernetes resource id (`ns/name`), or undefined for cluster-scoped resources. */
export function resourceNamespace(e: IdentityEvent): string | undefined {
  if (!isKubernetes(e.source) || e.resource === undefined) return undefined;
  const slash = e.resource.id.indexOf('/');
  if (slash <= 0) return undefined;
  const ns = e.resource.id.slice(0, slash);
  return ns === '*' ? undefined : ns;
}

/** Kubernetes audit events, whether read from the API server's log, GKE's Cloud Logging or AKS diagnostics. */
export function isKubernetes(source: IdentityEvent['source']): boolean {
  return source === 'k8s-audit' || source === 'gke-audit' || source === 'aks-audit';
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** Hour of the week in UTC, 0 (Sunday 00:00) to 167. */
export function hourOfWeek(ms: number): number {
  if (!(ms >= 0 && ms <= 8.64e15)) {
    const d = new Date(ms);
    return d.getUTCDay() * 24 + d.getUTCHours();
  }
  // Arithmetic, as Date computes it: 1970-01-01 was a Thursday (day 4).
  const hours = Math.floor(ms / HOUR_MS);
  const day = Math.floor(hours / 24);
  return ((day + 4) % 7) * 24 + (hours - day * 24);
}

/** An identity the log could not name (a revoked token, an anonymous request): it claims nothing. */
export function isAnonymous(identity: IdentityEvent['identity']): boolean {
  return (
    identity.type === 'unknown' ||
    identity.id === 'unauthenticated' ||
    identity.id === 'system:anonymous' ||
    identity.id === 'anonymous'
  );
}

/** Non-human identity types: the detections that watch automation skip people and the root user. */
export function isNonHuman(type: IdentityEvent['identity']['type']): boolean {
  return type !== 'user' && type !== 'root';
}

/** Programmatic events an account of type `user` must show, with no interactive one, to be judged a machine user. */
export const MACHINE_USER_EVENTS = 10;

/** Whether an event is a person at work: a sign-in, a browser, or a web action that presented no token. */
export function isInteractive(e: IdentityEvent): boolean {
  if (e.tags.includes('auth.login')) return true;
  if (e.client.userAgent !== undefined && /^Mozilla\//.test(e.client.userAgent)) return true;
  return e.source === 'github-audit' && e.credential === undefined && e.identity.type === 'user';
}

/**
 * Whether an identity is non-human: by its type, or, for an account typed as a person, by how it is
 * used (only programmatic tokens, never a sign-in or web session: a machine user with a PAT).
 */
export function isNonHumanIdentity(
  type: IdentityEvent['identity']['type'],
  s: { programmatic: number; interactive: number },
): boolean {
  if (isNonHuman(type)) return true;
  return type === 'user' && s.interactive === 0 && s.programmatic >= MACHINE_USER_EVENTS;
}

/** Sensitive access: secret reads and privilege changes. */
export function isSensitive(e: IdentityEvent): boolean {
  return e.tags.includes('secret.read') || e.tags.includes('privilege.change');
}

export type { GlobTest } from '../model/wildcard.js';

/**
 * A glob with `*` wildcards, anchored, as config exceptions write identities and resources; matched in
 * linear time (identity and resource names come from logs), and `?` is a plain character here.
 */
export function compileGlob(glob: string): GlobTest {
  return { test: (value) => wildcardMatch(glob, value, false, false) };
}

/** Whether an IPv4 address lies in a CIDR block (`10.0.0.0/8`); exact match for anything else. */
export function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const m = IPV4.exec(ip);
  const b = IPV4.exec(base ?? '');
  if (!m || !b || bitsText === undefined) return ip === cidr;
  const bits = Number(bitsText);
  const toInt = (x: RegExpExecArray) => ((Number(x[1]) << 24) | (Number(x[2]) << 16) | (Number(x[3]) << 8) | Number(x[4])) >>> 0;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (toInt(m) & mask) === (toInt(b) & mask);
}
