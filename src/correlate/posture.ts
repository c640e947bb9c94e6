import { join } from 'node:path';
import { z } from 'zod';
import { readValidatedYamlDir } from '../model/data-file.js';
import { type Issue, WardenError } from '../model/errors.js';
import { packageRoot } from '../model/package-root.js';
import { type Severity, severityRank } from '../model/severity.js';
import { wildcardMatch } from '../model/wildcard.js';
import { PostureRuleSchema } from '../scan/posture/rule-schema.js';
import type { CredentialProfile, IdentityProfile } from './profile.js';

/*
 * Graph posture: risky configuration that only shows once declarations (grants, owners, credentials)
 * are joined with observed use (actions, workloads, environments). Rule metadata is data in
 * rules/graph/*.yaml; each check is a small pure function in GRAPH_CHECKS. Nothing here reads the clock:
 * `now` is passed in, so the same profiles always give the same findings.
 */

const DAY_MS = 86_400_000;

/**
 * One graph posture rule's metadata: a posture rule's shape (src/scan/posture/rule-schema.ts) with
 * `graph.` ids; the check itself is a function in GRAPH_CHECKS. `severity` is the worst case: a check
 * may report a milder variant lower, as the rationale explains.
 */
export const GraphPostureRuleSchema = PostureRuleSchema.extend({
  id: z.string().regex(/^graph\.[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'ids look like graph.subject.check'),
});
export type GraphPostureRule = z.infer<typeof GraphPostureRuleSchema>;

export const GraphPostureRuleFileSchema = z
  .object({
    domain: z.string(),
    rules: z.array(GraphPostureRuleSchema).min(1),
  })
  .strict();

const defaultDir = () => join(packageRoot(), 'rules', 'graph');
let cached: Map<string, GraphPostureRule> | undefined;

/**
 * Every graph posture rule's metadata from rules/graph/*.yaml, by id; read once per process.
 * Throws WARDEN_RULES_INVALID listing every problem (schema, duplicate id).
 * @example loadGraphPostureRules().get('graph.identity.stale')?.severity // 'medium'
 */
export function loadGraphPostureRules(dir = defaultDir()): Map<string, GraphPostureRule> {
  const isDefault = dir === defaultDir();
  if (cached && isDefault) return cached;
  const issues: Issue[] = [];
  const out = new Map<string, GraphPostureRule>();
  for (const { source, data } of readValidatedYamlDir(dir, 'rules/graph', GraphPostureRuleFileSchema, issues)) {
    for (const r of data.rules) {
      if (out.has(r.id)) issues.push({ path: source, message: `duplicate rule id ${r.id}` });
      out.set(r.id, r);
    }
  }
  if (issues.length > 0)
    throw new WardenError('WARDEN_RULES_INVALID', `${issues.length} problem(s) in graph posture rules`, issues);
  if (isDefault) cached = out;
  return out;
}

export interface GraphPostureFinding {
  /** Stable rule id, e.g. `graph.identity.stale`. */
  ruleId: string;
  title: string;
  severity: Severity;
  /** Graph node id: `identity:…` or `credential:…`. */
  subject: string;
  /** One sentence a responder can act on; names labels (already redacted), never a secret. */
  message: string;
  evidence: Record<string, unknown>;
  frameworks: string[];
  remediation: string;
}

export interface GraphPostureOptions {
  /** The moment to judge at (epoch ms); the caller's clock, so results are reproducible. */
  now: number;
  /** Days without activity after which an identity is stale (default 90). */
  staleDays?: number;
  /** Age in days beyond which a long-lived credential is reported (default 90). */
  maxCredentialAgeDays?: number;
}

interface CheckContext {
  now: number;
  staleDays: number;
  maxCredentialAgeDays: number;
}

/** What a check reports; graphPosture adds the rule's title, frameworks and remediation. */
interface Hit {
  subject: string;
  message: string;
  evidence: Record<string, unknown>;
  /** Lower than the rule's severity for a milder variant; absent means the rule's. */
  severity?: Severity;
}

/** One graph posture check, listed in GRAPH_CHECKS; its id names a rule in rules/graph/. */
export interface GraphCheck {
  id: string;
  run(profiles: readonly IdentityProfile[], ctx: CheckContext): Hit[];
}

function perIdentity(id: string, check: (p: IdentityProfile, ctx: CheckContext) => Hit | undefined): GraphCheck {
  return {
    id,
    run: (profiles, ctx) => profiles.flatMap((p) => check(p, ctx) ?? []),
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers

const iso = (t: number) => new Date(t).toISOString();
const days = (ms: number) => Math.floor(ms / DAY_MS);
const uniqSorted = (xs: Iterable<string>) => [...new Set(xs)].sort();
const isHuman = (p: IdentityProfile) => p.type.toLowerCase() === 'user';
const name = (p: IdentityProfile) => `${p.label} (${p.type})`;
const listed = (xs: readonly string[], max = 3) =>
  xs.slice(0, max).join(', ') + (xs.length > max ? `, +${xs.length - max} more` : '');

/** Still usable at `now`: not revoked and not expired. */
export function isLiveCredential(c: CredentialProfile, now: number): boolean {
  return (c.revokedAt === undefined || c.revokedAt > now) && (c.expiresAt === undefined || c.expiresAt > now);
}

/**
 * Whether a granted action (wildcards `*` and `?` as IAM writes them) covers a used action. Action
 * names compare case-insensitively, as IAM evaluates them (AWS IAM JSON policy reference, "Action").
 * @example actionCovers('s3:*', 's3:GetObject') // true
 */
export function actionCovers(granted: string, used: string): boolean {
  return wildcardMatch(granted, used, true);
}

/** Whether a grant's resource node id (wildcards kept) covers a resource node id the identity touched. */
function resourceCovers(granted: string, used: string): boolean {
  return wildcardMatch(granted, used);
}

const isWildcard = (action: string) => /[*?]/.test(action);
/** Every action, or every action of a service (`*`, `s3:*`); narrower patterns such as `s3:Get*` are a choice, not a smell. */
const isBroadWildcard = (action: string) => /^(\*|[^:*?]+:\*)$/.test(action);

/**
 * Actions that only an administrator needs, so using them justifies an admin grant: IAM writes
 * (users, keys, policies, PassRole), Organizations, Kubernetes RBAC escalation verbs
 * (escalate, bind, impersonate; Kubernetes "RBAC good practices") and Vault's `sudo` capability.
 */
const ADMIN_LIKE = [/^\*$/, /^iam:(?!get|list|simulate|generate)/i, /^organizations:/i, /^(escalate|bind|impersonate|sudo)$/i];
const isAdminLike = (action: string) => ADMIN_LIKE.some((re) => re.test(action));

/** An explicit set of used actions at most this large is "small" next to a whole-service wildcard. */
const SMALL_USED_SET = 20;

const PRODUCTION = new Set(['prod', 'production', 'prd', 'live']);
/** `prod`, `prod-eu`, `eu_production` are production; `preprod`, `staging`, `dev` are not. */
const isProduction = (env: string) =>
  env
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .some((t) => PRODUCTION.has(t));

// ---------------------------------------------------------------------------------------------
// Checks

/** 1. No activity for staleDays (or never, and declared longer ago) while it can still act. */
const stale = perIdentity('graph.identity.stale', (p, ctx) => {
  const live = p.credentials.filter((c) => isLiveCredential(c, ctx.now));
  if (live.length === 0 && p.grants.length === 0) return undefined;
  const since = p.lastActive ?? p.firstSeen;
  const idle = ctx.now - since;
  // Inclusive window: active exactly staleDays ago is still "active in the last staleDays days".
  if (idle <= ctx.staleDays * DAY_MS) return undefined;
  const d = days(idle);
  const what =
    p.lastActive === undefined
      ? `was declared ${d} days ago and never seen acting`
      : `has not acted for ${d} days (last ${iso(p.lastActive).slice(0, 10)})`;
  return {
    subject: p.id,
    message: `${name(p)} ${what} but still holds ${live.length} live credential(s) and ${p.grants.length} grant(s): confirm nothing runs as it, then revoke them or remove the identity.`,
    evidence: {
      lastActive: p.lastActive === undefined ? null : iso(p.lastActive),
      firstSeen: iso(p.firstSeen),
      days: d,
      staleDays: ctx.staleDays,
      liveCredentials: uniqSorted(live.map((c) => c.id)),
      grants: p.grants.length,
    },
  };
});

/** 2. A live long-lived credential older than the limit; one finding per credential, even when shared. */
const longLivedCredential: GraphCheck = {
  id: 'graph.credential.long-lived',
  run(profiles, ctx) {
    const byId = new Map<string, { c: CredentialProfile; holders: IdentityProfile[] }>();
    for (const p of profiles) {
      for (const c of p.credentials) {
        const seen = byId.get(c.id);
        if (seen) seen.holders.push(p);
        else byId.set(c.id, { c, holders: [p] });
      }
    }
    const hits: Hit[] = [];
    for (const { c, holders } of byId.values()) {
      if (!c.longLived || !isLiveCredential(c, ctx.now)) continue;
      const born = c.issuedAt ?? c.firstSeen;
      const age = ctx.now - born;
      if (age <= ctx.maxCredentialAgeDays * DAY_MS) continue;
      const ageDays = days(age);
      const owners = uniqSorted(holders.map((h) => h.label));
      hits.push({
        subject: c.id,
        message: `Long-lived ${c.type ?? 'credential'} ${c.label} of ${listed(owners)} is ${ageDays} days old (limit ${ctx.maxCredentialAgeDays}): rotate it and move its workload to short-lived credentials.`,
        evidence: {
          label: c.label,
          type: c.type ?? null,
          [c.issuedAt === undefined ? 'firstSeen' : 'issuedAt']: iso(born),
          ageDays,
          maxCredentialAgeDays: ctx.maxCredentialAgeDays,
          expiresAt: c.expiresAt === undefined ? null : iso(c.expiresAt),
          identities: uniqSorted(holders.map((h) => h.id)),
        },
      });
    }
    return hits;
  },
};

/** 3. A non-human identity nobody answers for (a human user is accountable for itself). */
const noOwner = perIdentity('graph.identity.no-owner', (p) => {
  if (isHuman(p) || p.owners.length > 0) return undefined;
  return {
    subject: p.id,
    message: `${name(p)} has no recorded owner: tag it with the owning team so someone answers for its credentials and offboarding.`,
    evidence: { type: p.type, workloads: uniqSorted(p.workloads) },
  };
});

/** 4. Grants exceed observed use; only judged when the logs showed the identity acting. */
const overPrivileged = perIdentity('graph.identity.over-privileged', (p) => {
  if (p.actions.length === 0 || p.grants.length === 0) return undefined;
  const used = uniqSorted(p.actions.map((a) => a.action));
  const granted = uniqSorted(p.grants.flatMap((g) => g.actions));
  const usedLower = new Set(used.map((a) => a.toLowerCase()));
  const explicit = granted.filter((a) => !isWildcard(a));
  const explicitUsed = explicit.filter((a) => usedLower.has(a.toLowerCase()));
  const broad = granted.filter(isBroadWildcard);

  const reasons: string[] = [];
  const admin = p.grants.some((g) => g.admin) && !used.some(isAdminLike);
  if (admin) reasons.push('admin-grant-unused');
  if (explicit.length > 0 && explicitUsed.length * 2 < explicit.length) reasons.push('most-granted-actions-unused');
  if (broad.length > 0 && used.length <= SMALL_USED_SET) reasons.push('wildcard-grant-small-use');
  if (reasons.length === 0) return undefined;

  const unusedActions = granted.filter((g) => !used.some((u) => actionCovers(g, u)));
  const suggestion = leastPrivilege(p, used);
  const suggested = uniqSorted(suggestion.flatMap((s) => s.actions));
  const grantedWhat = admin
    ? 'administrator access'
    : broad.length > 0
      ? `wildcards ${listed(broad)}`
      : `${explicit.length} actions, ${explicit.length - explicitUsed.length} never used`;
  return {
    subject: p.id,
    ...(admin ? {} : { severity: 'medium' as const }),
    message: `${name(p)} was seen using ${used.length} action(s) but is granted ${grantedWhat}: narrow its grants to the ${suggested.length} suggested action(s).`,
    evidence: { reasons, granted, used, unusedActions, suggestion, suggestedActions: suggested },
  };
});

/**
 * The used actions some grant covers, grouped by the grant's resource. The profile does not pair
 * actions with resources, so a resource group keeps every covered action; groups whose resource the
 * identity never touched are dropped when resource use is known and another group covers the action.
 */
function leastPrivilege(p: IdentityProfile, used: readonly string[]): Array<{ resource: string; actions: string[] }> {
  const groups = new Map<string, Set<string>>();
  for (const g of p.grants) {
    const covered = used.filter((u) => g.actions.some((a) => actionCovers(a, u)));
    if (covered.length === 0) continue;
    const set = groups.get(g.resource) ?? new Set<string>();
    for (const a of covered) set.add(a);
    groups.set(g.resource, set);
  }
  const touched = (resource: string) => p.used.length === 0 || p.used.some((u) => resourceCovers(resource, u.resource));
  const kept = [...groups].filter(([r]) => touched(r));
  const keptActions = new Set(kept.flatMap(([, s]) => [...s]));
  // An action only untouched resources cover stays under them: better a wide suggestion than a broken workload.
  for (const [r, s] of groups) if (!touched(r) && [...s].some((a) => !keptActions.has(a))) kept.push([r, s]);
  return kept
    .map(([resource, s]) => ({ resource, actions: [...s].sort() }))
    .sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
}

/** 5a. Several workloads run as one identity. */
const sharedWorkloads = perIdentity('graph.identity.shared-workloads', (p) => {
  const workloads = uniqSorted(p.workloads);
  if (workloads.length < 2) return undefined;
  return {
    subject: p.id,
    message: `${name(p)} is used by ${workloads.length} workloads (${listed(workloads)}): give each workload its own identity with only the grants it needs.`,
    evidence: { workloads },
  };
});

/** 5b. One identity acting in several environments; high when production is one of them. */
const crossEnvironment = perIdentity('graph.identity.cross-environment', (p) => {
  const environments = uniqSorted(p.environments.map((e) => e.trim()).filter((e) => e !== ''));
  if (new Set(environments.map((e) => e.toLowerCase())).size < 2) return undefined;
  const production = environments.filter(isProduction);
  const nonProduction = environments.filter((e) => !isProduction(e));
  const mixed = production.length > 0 && nonProduction.length > 0;
  return {
    subject: p.id,
    ...(mixed ? {} : { severity: 'medium' as const }),
    message: `${name(p)} acts in ${environments.length} environments (${listed(environments)})${mixed ? ', production among them' : ''}: issue a separate identity per environment.`,
    evidence: { environments, production, nonProduction },
  };
});

/** 6. People use a non-human identity's credentials. */
const humanUse = perIdentity('graph.identity.human-use', (p) => {
  if (isHuman(p) || p.humanUse.length === 0) return undefined;
  const evidence = uniqSorted(p.humanUse);
  const example = evidence[0]!.length > 60 ? `${evidence[0]!.slice(0, 59)}…` : evidence[0]!;
  return {
    subject: p.id,
    message: `${name(p)} was used by people (${p.humanUse.length} piece(s) of evidence, e.g. "${example}"): give them their own accounts and rotate its credentials.`,
    evidence: { humanUse: evidence.slice(0, 10), count: p.humanUse.length },
  };
});

/** Every graph posture check, in one list; nothing registers itself on import. */
export const GRAPH_CHECKS: readonly GraphCheck[] = [
  stale,
  longLivedCredential,
  noOwner,
  overPrivileged,
  sharedWorkloads,
  crossEnvironment,
  humanUse,
];

function positiveDays(value: number | undefined, fallback: number, key: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new WardenError('WARDEN_CONFIG_INVALID', `${key} must be a positive number of days`, [
      { path: key, message: `got ${value}` },
    ]);
  return value;
}

/**
 * Graph posture findings for a set of identity profiles, ordered by severity (worst first), rule
 * id, then subject. Pure: the same profiles and `now` always give the same findings.
 * @example graphPosture(profiles, { now: Date.now() }).filter((f) => f.severity === 'high')
 */
export function graphPosture(profiles: readonly IdentityProfile[], options: GraphPostureOptions): GraphPostureFinding[] {
  const rules = loadGraphPostureRules();
  const ctx: CheckContext = {
    now: options.now,
    staleDays: positiveDays(options.staleDays, 90, 'staleDays'),
    maxCredentialAgeDays: positiveDays(options.maxCredentialAgeDays, 90, 'maxCredentialAgeDays'),
  };
  const out: GraphPostureFinding[] = [];
  for (const check of GRAPH_CHECKS) {
    const rule = rules.get(check.id);
    if (!rule) throw new WardenError('WARDEN_RULES_INVALID', `graph posture check ${check.id} has no rule in rules/graph/`);
    for (const hit of check.run(profiles, ctx)) {
      out.push({
        ruleId: rule.id,
        title: rule.title,
        severity: hit.severity ?? rule.severity,
        subject: hit.subject,
        message: hit.message,
        evidence: hit.evidence,
        frameworks: [...rule.frameworks],
        remediation: rule.remediation,
      });
    }
  }
  return out.sort(
    (a, b) =>
      severityRank(b.severity) - severityRank(a.severity) ||
      cmp(a.ruleId, b.ruleId) ||
      cmp(a.subject, b.subject) ||
      cmp(a.message, b.message),
  );
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
