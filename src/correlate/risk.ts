import type { Severity } from '../model/severity.js';
import type { CredentialProfile, ExposureStatus, Grant, IdentityProfile, LeakLocation } from './profile.js';

/*
 * Risk = exposure × privilege × activity × reachability, each factor a multiplier with the reasons
 * behind it, so a responder sees why one identity outranks another. The weights encode the order an
 * incident responder works in:
 *   1. a leaked credential someone else is using right now (whatever it can do: it is an incident);
 *   2. leaked privileged credentials that still work (anyone who read the repository holds them);
 *   3. privileged identities with fresh critical alerts;
 *   4. leaked credentials nobody used yet (public before private, current tree before history);
 *   5. privilege and reach without exposure; stale and revoked things last.
 * src/correlate/risk.test.ts holds one profile per step and checks the order.
 * The raw product is mapped to 0–100 on a log scale, in two tiers (see `combine`).
 */

export type RiskFactorName = 'exposure' | 'privilege' | 'activity' | 'reachability';

export interface RiskFactor {
  factor: RiskFactorName;
  /** The multiplier this factor contributes (1 = neutral). */
  weight: number;
  /** Why, in words a responder reads: 'leaked in public repository acme/api (current tree)'. */
  reasons: string[];
}

export interface RiskScore {
  /** 0–100. */
  score: number;
  band: Severity;
  factors: RiskFactor[];
}

/** Exposure weights by status; for leaks not (yet) used, by where the secret is. */
const EXPOSURE_IN_USE_UNKNOWN = 100;
/** In use from a network first seen after the leak, which the detector did not (yet) call anomalous. */
const EXPOSURE_IN_USE_NEW_NETWORK = 80;
const EXPOSURE_REVOKED = 1.2;
const IN_USE_BY_OWNER = 2;
const DAY = 86_400_000;

/** Largest raw product: exposure 100 × privilege 5 × activity 3 × reachability 3. */
const MAX_RAW = 100 * 5 * 3 * 3;

function leakWeight(l: LeakLocation): number {
  const where = l.visibility === 'public' ? 4 : l.visibility === 'private' ? 2.5 : 2.5;
  return l.historyOnly ? where * 0.75 : where;
}

function leakWords(l: LeakLocation): string {
  const vis = l.visibility === 'unknown' ? '' : `${l.visibility} `;
  const where = l.historyOnly ? `history only${l.commit ? `, commit ${l.commit.slice(0, 12)}` : ''}` : 'current tree';
  return `leaked in ${vis}repository ${l.repository} at ${l.path}:${l.line} (${where})`;
}

/** The exposure factor of one credential. */
export function credentialExposure(c: CredentialProfile): RiskFactor {
  if (c.leaks.length === 0) return { factor: 'exposure', weight: 1, reasons: ['not found leaked'] };
  const worst = c.leaks.reduce((a, b) => (leakWeight(b) > leakWeight(a) ? b : a));
  const reasons = [leakWords(worst)];
  if (c.leaks.length > 1) reasons.push(`found in ${c.leaks.length} places`);
  switch (c.exposure) {
    case 'leaked-revoked':
      reasons.push('revoked since');
      return { factor: 'exposure', weight: EXPOSURE_REVOKED, reasons };
    case 'leaked-in-use-unknown-source': {
      const unknown = c.sources.filter((s) => s.unknown);
      const names = unknown
        .map((s) => s.source.replace(/^(network|workload):/, ''))
        .slice(0, 3)
        .join(', ');
      if (unknown.some((s) => s.confirmed)) {
        reasons.push(`in use from a source outside its owner's habits (new-source alert): ${names}`);
        return { factor: 'exposure', weight: EXPOSURE_IN_USE_UNKNOWN, reasons };
      }
      reasons.push(`in use since the leak from a network it never used before: ${names}`);
      return { factor: 'exposure', weight: EXPOSURE_IN_USE_NEW_NETWORK, reasons };
    }
    case 'leaked-in-use-by-owner':
      reasons.push('still valid: in use by its owner');
      return { factor: 'exposure', weight: leakWeight(worst) * IN_USE_BY_OWNER, reasons };
    default:
      reasons.push('no use seen since the leak');
      return { factor: 'exposure', weight: leakWeight(worst), reasons };
  }
}

/** Actions that let an identity widen its own or another's privileges. */
const ESCALATION =
  /^(iam:(\*|Pass[Rr]ole|Create(AccessKey|LoginProfile|PolicyVersion|Role|User)|Attach\w*Policy|Put\w*Policy|Update(AssumeRolePolicy|LoginProfile)|SetDefaultPolicyVersion|AddUserToGroup)|sts:AssumeRole|escalate|bind|impersonate|sudo)$/;
/** Actions that read secrets or sensitive data. */
const SENSITIVE = /^(secretsmanager:(\*|GetSecretValue)|ssm:(\*|GetParameters?)|kms:(\*|Decrypt)|s3:(\*|GetObject)|read)$/;
const SENSITIVE_RESOURCE = /secret|vault:|credential|token|password|k8s:[^/]*\/secrets/i;
const WRITE =
  /^(\*|[a-z0-9-]+:\*|[a-z0-9-]+:(Put|Create|Delete|Update|Write|Modify|Attach|Detach|Set)\w*|create|update|delete|patch|deletecollection)$/i;

/** The privilege factor of a set of grants (direct, through policies and through assumed roles). */
export function privilegeOf(grants: readonly Grant[]): RiskFactor {
  if (grants.length === 0)
    return { factor: 'privilege', weight: 1.5, reasons: ['grants unknown (no IAM, RBAC or Vault policy imported)'] };
  const via = (g: Grant) => (g.via.length > 0 ? ` via ${g.via.map((v) => v.replace(/^[a-z-]+:/, '')).join(' → ')}` : '');
  const admin = grants.find((g) => g.admin);
  if (admin)
    return {
      factor: 'privilege',
      weight: 5,
      reasons: [`admin-equivalent: ${admin.actions.join(', ')} on ${admin.resource.slice(9)}${via(admin)}`],
    };
  const esc = grants.find((g) => g.actions.some((a) => ESCALATION.test(a)));
  if (esc) {
    const a = esc.actions.find((x) => ESCALATION.test(x))!;
    return { factor: 'privilege', weight: 3.5, reasons: [`can escalate: ${a} on ${esc.resource.slice(9)}${via(esc)}`] };
  }
  const sens = grants.find((g) => g.actions.some((a) => SENSITIVE.test(a)) || SENSITIVE_RESOURCE.test(g.resource));
  if (sens)
    return {
      factor: 'privilege',
      weight: 2.5,
      reasons: [`reads sensitive data: ${sens.actions.slice(0, 3).join(', ')} on ${sens.resource.slice(9)}${via(sens)}`],
    };
  const write = grants.find((g) => g.actions.some((a) => WRITE.test(a)));
  if (write)
    return {
      factor: 'privilege',
      weight: 1.8,
      reasons: [`can write: ${write.actions.slice(0, 3).join(', ')} on ${write.resource.slice(9)}${via(write)}`],
    };
  return { factor: 'privilege', weight: 1.3, reasons: ['read-only grants'] };
}

const ALERT_WEIGHT: Record<Severity, number> = { critical: 2, high: 1.6, medium: 1.25, low: 1.1, info: 1 };

/** The activity factor: how recently the identity acted, open alerts, people using it. */
export function activityOf(p: Pick<IdentityProfile, 'lastActive' | 'alerts' | 'humanUse'>, now: number): RiskFactor {
  const reasons: string[] = [];
  let weight: number;
  if (p.lastActive === undefined) {
    weight = 0.6;
    reasons.push('never seen acting');
  } else {
    const days = Math.floor((now - p.lastActive) / DAY);
    if (days < 1) weight = 1.5;
    else if (days <= 30) weight = 1.2;
    else if (days <= 90) weight = 1;
    else weight = 0.7;
    reasons.push(days < 1 ? 'active in the last day' : `last active ${days} days ago`);
  }
  let worst: Severity | undefined;
  for (const a of p.alerts) if (worst === undefined || ALERT_WEIGHT[a.severity] > ALERT_WEIGHT[worst]) worst = a.severity;
  if (worst !== undefined) {
    weight *= ALERT_WEIGHT[worst];
    const ids = [...new Set(p.alerts.map((a) => a.detectionId))];
    reasons.push(
      `${p.alerts.length} open alert${p.alerts.length === 1 ? '' : 's'} (worst ${worst}): ${ids.slice(0, 3).join(', ')}`,
    );
  }
  if (p.humanUse.length > 0) {
    weight *= 1.1;
    reasons.push('used by a person');
  }
  return { factor: 'activity', weight: Math.min(weight, 3), reasons };
}

/** The reachability factor: how much the identity reaches, directly or by assuming roles. */
export function reachabilityOf(p: Pick<IdentityProfile, 'reachable' | 'derivable'>): RiskFactor {
  const everything = p.reachable.includes('resource:*');
  const n = everything ? 1000 : p.reachable.length;
  let weight = 1 + Math.log10(1 + n) / 2;
  const reasons = [everything ? 'reaches every resource (*)' : `reaches ${n} resource${n === 1 ? '' : 's'}`];
  if (p.derivable.length > 0) {
    weight += Math.min(1, p.derivable.length * 0.25);
    reasons.push(`can become ${p.derivable.length} other identit${p.derivable.length === 1 ? 'y' : 'ies'} by assuming roles`);
  }
  return { factor: 'reachability', weight: Math.min(weight, 3), reasons };
}

/** Largest raw product without a stranger's use: public leak used by its owner 8 × 5 × 3 × 3. */
const MAX_RAW_OTHER = 8 * 5 * 3 * 3;

/**
 * Score bands, the lowest score of each: what `warden risk --help` shows.
 * @example bandOf(55) // 'high'
 */
export const RISK_BANDS = [
  { band: 'critical', min: 70 },
  { band: 'high', min: 50 },
  { band: 'medium', min: 30 },
  { band: 'low', min: 0 },
] as const satisfies ReadonlyArray<{ band: Severity; min: number }>;

export function bandOf(score: number): Severity {
  return (RISK_BANDS.find((b) => score >= b.min) ?? RISK_BANDS[3]).band;
}

/** The lowest score of the high band: what a floor lifts to. */
const HIGH = 50;

/**
 * Floors that match how a responder thinks, whatever the product says: a live-format cloud key leaked
 * in a public repository is an incident before any runtime evidence (anyone can use it), and a critical
 * alert on an identity is one too. Both are at least high.
 */
export interface RiskFloor {
  reason: string;
}

/** Cloud providers whose keys open an account: a public leak of one is at least high. */
const CLOUD_KEY_RULE = /^secret\.(aws|gcp|azure|alibaba|tencent|ibm|oracle|digitalocean|cloudflare)\./;

/**
 * Whether a credential is a live-format cloud key leaked in a public repository and not revoked: an
 * AWS long-term key id (AKIA, not an ASIA session key, which expires within hours) or another cloud
 * provider's key, found by a cloud rule.
 */
export function publicCloudKeyLeak(c: CredentialProfile): boolean {
  if (c.exposure === 'leaked-revoked' || c.id.startsWith('credential:aws-key:ASIA')) return false;
  return c.leaks.some((l) => l.visibility === 'public' && CLOUD_KEY_RULE.test(l.ruleId));
}

/**
 * Two tiers: a credential in use by a stranger (step 1) scores 80–100 and is always critical; every
 * other identity scores 0–79, so no mix of privilege, alerts and reach lifts an owner-only leak above a
 * stranger's use. Within a tier, the log of the product places it. A floor (`RiskFloor`) lifts a score
 * into the high band, keeping the order among floored scores (50 + the score's share of 9 points,
 * so a floored score stays below an unfloored high one).
 */
function combine(factors: RiskFactor[], floors: readonly RiskFloor[] = []): RiskScore {
  const raw = Math.max(
    1,
    factors.reduce((a, f) => a * f.weight, 1),
  );
  const strangerUse = factors[0]!.weight >= EXPOSURE_IN_USE_NEW_NETWORK;
  const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, Math.round(v)));
  let score = strangerUse
    ? clamp(80 + (20 * Math.log(raw / EXPOSURE_IN_USE_NEW_NETWORK)) / Math.log(MAX_RAW / EXPOSURE_IN_USE_NEW_NETWORK), 80, 100)
    : clamp((79 * Math.log(raw)) / Math.log(MAX_RAW_OTHER), 0, 79);
  if (floors.length > 0 && !strangerUse) {
    const lifted = Math.max(score, HIGH + Math.round((score * 9) / 79));
    if (lifted > score) {
      score = lifted;
      const exposure = factors[0]!;
      exposure.reasons = [...exposure.reasons, ...floors.map((f) => `${f.reason}: at least high`)];
    }
  }
  return { score, band: bandOf(score), factors };
}

/** The floors that hold for an identity: a public cloud-key leak, a critical alert. */
function floorsOf(credential: CredentialProfile | undefined, alerts: IdentityProfile['alerts']): RiskFloor[] {
  const floors: RiskFloor[] = [];
  if (credential !== undefined && publicCloudKeyLeak(credential)) floors.push({ reason: 'live cloud key leaked publicly' });
  if (alerts.some((a) => a.severity === 'critical')) floors.push({ reason: 'critical alert on the identity' });
  return floors;
}

const EXPOSURE_RANK: Record<ExposureStatus, number> = {
  'leaked-in-use-unknown-source': 5,
  'leaked-in-use-by-owner': 4,
  'leaked-never-seen': 3,
  'leaked-revoked': 2,
  'not-leaked': 1,
};

/** The credential of a profile whose exposure weighs most (undefined when it has none). */
export function worstCredential(p: IdentityProfile): CredentialProfile | undefined {
  let worst: CredentialProfile | undefined;
  let w = 0;
  for (const c of p.credentials) {
    const cw = credentialExposure(c).weight * 10 + EXPOSURE_RANK[c.exposure];
    if (cw > w) {
      w = cw;
      worst = c;
    }
  }
  return worst;
}

/**
 * An identity's risk: its most exposed credential × its privilege × its activity × its reach.
 * @example scoreIdentity(profile, Date.now()) // { score: 91, band: 'critical', factors: [...] }
 */
export function scoreIdentity(p: IdentityProfile, now: number): RiskScore {
  const c = worstCredential(p);
  const exposure =
    c === undefined ? { factor: 'exposure' as const, weight: 1, reasons: ['no credential seen'] } : credentialExposure(c);
  const floored = p.credentials.find(publicCloudKeyLeak) ?? c;
  return combine([exposure, privilegeOf(p.grants), activityOf(p, now), reachabilityOf(p)], floorsOf(floored, p.alerts));
}

/**
 * A leaked credential's risk (what its findings rank by): its exposure × the privilege, activity and
 * reach of the identity it belongs to (unknown privilege and no reach when no log tied it to one).
 */
export function scoreCredential(c: CredentialProfile, owner: IdentityProfile | undefined, now: number): RiskScore {
  const exposure = credentialExposure(c);
  if (owner === undefined) {
    const lastActive = c.sources.length > 0 ? Math.max(...c.sources.map((s) => s.lastSeen)) : undefined;
    return combine(
      [
        exposure,
        { factor: 'privilege', weight: 1.5, reasons: ['owner unknown: no log tied the credential to an identity'] },
        activityOf({ lastActive, alerts: [], humanUse: [] }, now),
        { factor: 'reachability', weight: 1, reasons: ['reach unknown'] },
      ],
      floorsOf(c, []),
    );
  }
  return combine(
    [exposure, privilegeOf(owner.grants), activityOf({ ...owner, lastActive: owner.lastActive }, now), reachabilityOf(owner)],
    floorsOf(c, owner.alerts),
  );
}
