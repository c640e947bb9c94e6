import { z } from 'zod';
import { cidrProblem, DAYS, type Day, globProblem, isTimeZone, parseDuration } from './match.js';

/*
 * The policy manifest (`warden.policy.yaml`): what each non-human identity is and may do, written once
 * and read at build time (drift), run time (violations) and request time (authorization). The shape is
 * a public contract; every object is strict, so a misspelt key is an error rather than a silently
 * ignored expectation. Semantic checks a schema cannot express (CIDR, glob, window, duplicate `match`)
 * live in load.ts, which also turns every problem into file:line with a hint.
 */

export { DAYS, type Day } from './match.js';

/** `HH:MM`, 24-hour; `24:00` is allowed as the end of a window that runs to midnight. */
const Clock = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'a time like "08:00" (24-hour HH:MM, quoted)');

const NonEmpty = z.string().min(1, 'must not be empty');

/** A string that must pass `problem` (which returns why not, or undefined). */
function checked(problem: (s: string) => string | undefined) {
  return z.string().superRefine((s, ctx) => {
    const p = problem(s);
    if (p !== undefined) ctx.addIssue({ code: 'custom', message: p, input: s });
  });
}

const Glob = checked(globProblem);
const Action = checked(
  (a) =>
    globProblem(a) ??
    (/^(\*|[A-Za-z0-9*?_.-]+:.+)$/.test(a)
      ? undefined
      : `"${a}" is not an action: write service:action (s3:GetObject, vault:read, k8s:get, ecr:*)`),
);
const Name = checked((m) =>
  m.includes('*') || m.includes('?')
    ? globProblem(m)
    : /\s/.test(m) || m === ''
      ? 'a name is non-empty and has no whitespace'
      : undefined,
);
const Network = checked(cidrProblem);
const Region = checked((r) =>
  /^[a-z0-9*?]+(-[a-z0-9*?]+)*$/.test(r) ? undefined : `"${r}" is not a region name (lower case, like eu-west-1)`,
);
const TimeZone = checked((z) =>
  isTimeZone(z) ? undefined : `unknown time zone "${z}": write an IANA zone like Europe/Berlin, America/New_York or UTC`,
);
const Duration = checked((d) =>
  parseDuration(d) !== undefined ? undefined : `"${d}" is not a duration: write 15m, 1h, 12h, 90d or 1h30m`,
);

export const AllowEntrySchema = z
  .object({
    /** Action globs as Warden's events name them: `s3:GetObject`, `vault:read`, `k8s:get`, `ecr:*`. */
    actions: z.array(Action).min(1, 'list at least one action (or "*")'),
    /** Resource globs: ARNs, Vault paths, Kubernetes `namespace/resource/name`, repositories. Omitted = any. */
    resources: z.array(Glob).min(1, 'list at least one resource (or omit the key for any)').optional(),
  })
  .strict();

export const WindowSchema = z
  .object({
    days: z.array(z.enum(DAYS)).min(1, 'list at least one day (mon … sun)').default(['mon', 'tue', 'wed', 'thu', 'fri']),
    from: Clock,
    to: Clock,
    /** IANA time zone (`Europe/Berlin`); UTC when omitted. */
    timezone: TimeZone.optional(),
  })
  .strict()
  .superRefine((w, ctx) => {
    if (w.from === '24:00') ctx.addIssue({ code: 'custom', path: ['from'], message: 'a window starts at 23:59 at the latest' });
    else if (w.from === w.to)
      ctx.addIssue({
        code: 'custom',
        path: ['from'],
        message: `an empty window (from equals to ${w.to}): for the whole day write from: "00:00" and to: "24:00"`,
      });
    else if (w.from > w.to)
      ctx.addIssue({
        code: 'custom',
        path: ['from'],
        message: `a window ends after it starts (${w.from} → ${w.to}): for one past midnight write two windows, ${w.from}–24:00 and 00:00–${w.to} on the following days`,
      });
    const seen = new Set<string>();
    for (const [i, d] of w.days.entries()) {
      if (seen.has(d)) ctx.addIssue({ code: 'custom', path: ['days', i], message: `${d} is listed twice` });
      seen.add(d);
    }
  });

export const SourcesSchema = z
  .object({
    /** CIDR blocks (IPv4 or IPv6) or single addresses. */
    networks: z.array(Network).min(1).optional(),
    /** Cloud regions as the logs write them (`eu-west-1`). */
    regions: z.array(Region).min(1).optional(),
  })
  .strict();

export const CredentialsSchema = z
  .object({
    /** `15m`, `1h`, `90d`, `1h30m`: no credential of the identity may live longer. */
    maxLifetime: Duration.optional(),
    /** `false`: static keys and long-lived tokens are forbidden (CI must federate through OIDC). */
    longLived: z.boolean().optional(),
  })
  .strict();

export const AgentSchema = z
  .object({
    tools: z.array(Glob).optional(),
    destinations: z.array(Glob).optional(),
  })
  .strict();

export const IdentityEntrySchema = z
  .object({
    owner: NonEmpty,
    description: z.string().optional(),
    /** Any name the logs, code, IaC or tokens use: ARN, Vault display name or entity id, service account, agent id, credential key. */
    match: z.array(Name).default([]),
    environments: z.array(NonEmpty).optional(),
    allow: z.array(AllowEntrySchema).optional(),
    sources: SourcesSchema.optional(),
    windows: z.array(WindowSchema).optional(),
    credentials: CredentialsSchema.optional(),
    agent: AgentSchema.optional(),
    /** `automatic: false`: no playbook runs on this identity without a person's approval. */
    response: z.object({ automatic: z.boolean() }).strict().optional(),
  })
  .strict();

export const TrustEntrySchema = z
  .object({
    issuer: z.url({ message: 'an issuer URL like https://token.actions.githubusercontent.com' }),
    audience: NonEmpty,
    /** Glob over the workload token's `sub`. */
    subject: Glob,
    identity: NonEmpty,
  })
  .strict()
  .superRefine((t, ctx) => {
    const u = new URL(t.issuer);
    const loopback = u.hostname === 'localhost' || u.hostname === '[::1]' || /^127\./.test(u.hostname);
    if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback))
      ctx.addIssue({
        code: 'custom',
        path: ['issuer'],
        message: 'an issuer must be https:// (plain http only on loopback addresses, for tests)',
      });
  });

const IdentityName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@/-]*$/, 'an identity name: letters, digits and . _ : @ / - (no spaces)');

const Instant = z.iso.datetime({
  offset: true,
  message: 'a time like "2026-03-01T06:00:00Z" (ISO 8601, with Z or an offset such as +01:00)',
});

/**
 * A declared change (a planned move, a rollout, a change window): a new network or region of the
 * named identities inside its time and what it declares is a low-severity change notice, not an alert.
 */
export const ChangeSchema = z
  .object({
    /** Why: shown on the notice that replaces the alerts. */
    reason: NonEmpty,
    from: Instant,
    to: Instant,
    /** Declared identities by their Warden name (the keys under `identities:`). */
    identities: z.array(IdentityName).min(1, 'name at least one identity (or use owner)').optional(),
    /** Every declared identity of this owner. */
    owner: NonEmpty.optional(),
    /** Where they move to: CIDR blocks or addresses. With `regions`, what the change covers; neither: any new source. */
    networks: z.array(Network).min(1).optional(),
    regions: z.array(Region).min(1).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (Date.parse(c.from) >= Date.parse(c.to))
      ctx.addIssue({ code: 'custom', path: ['to'], message: `a change ends after it starts (${c.from} → ${c.to})` });
    if (c.identities === undefined && c.owner === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['identities'],
        message: 'name the identities the change is for (identities: [ci-deployer]) or their owner (owner: platform-team)',
      });
  });

export const ManifestDocumentSchema = z
  .object({
    version: z.literal(1, { message: 'the manifest format version: write `version: 1`' }),
    identities: z.record(IdentityName, IdentityEntrySchema).default({}),
    trust: z.array(TrustEntrySchema).default([]),
    changes: z.array(ChangeSchema).default([]),
  })
  .strict();

export type ManifestDocument = z.infer<typeof ManifestDocumentSchema>;
export type AllowEntryDoc = z.infer<typeof AllowEntrySchema>;
export type WindowDoc = z.infer<typeof WindowSchema>;

/** Where something is declared: the manifest file (as given) and its 1-based line. */
export interface SourceRef {
  file: string;
  line: number;
}

export interface AllowEntry {
  actions: string[];
  /** Omitted in the manifest = any resource. */
  resources?: string[] | undefined;
  /** `NAME/allow/N`: the id request-time decisions and violations cite. */
  id: string;
  at: SourceRef;
}

export interface PolicyWindow {
  days: Day[];
  from: string;
  to: string;
  /** IANA zone; `UTC` when the manifest omits it. */
  timezone: string;
  at: SourceRef;
}

/** One declared identity, validated and with the manifest lines of each part, frozen. */
export interface ManifestIdentity {
  name: string;
  owner: string;
  description?: string | undefined;
  match: string[];
  environments?: string[] | undefined;
  /** `undefined`: the manifest does not constrain actions (ownership only); `[]`: nothing is allowed. */
  allow?: AllowEntry[] | undefined;
  sources?: { networks?: string[] | undefined; regions?: string[] | undefined; at: SourceRef } | undefined;
  windows?: PolicyWindow[] | undefined;
  credentials?:
    | {
        maxLifetime?: string | undefined;
        /** maxLifetime in seconds. */
        maxLifetimeSeconds?: number | undefined;
        longLived?: boolean | undefined;
        at: SourceRef;
      }
    | undefined;
  agent?: { tools?: string[] | undefined; destinations?: string[] | undefined; at: SourceRef } | undefined;
  /** `automatic: false` forbids automatic response playbooks for the identity. */
  response?: { automatic: boolean; at: SourceRef } | undefined;
  /** The line of the identity's key. */
  at: SourceRef;
}

export interface TrustEntry {
  issuer: string;
  audience: string;
  subject: string;
  identity: string;
  at: SourceRef;
}

/** A declared change, validated: the detector turns a matching new source into a notice. */
export interface ManifestChange {
  reason: string;
  /** ISO 8601 as written. */
  from: string;
  to: string;
  identities?: string[] | undefined;
  owner?: string | undefined;
  networks?: string[] | undefined;
  regions?: string[] | undefined;
  at: SourceRef;
}

/** A whole manifest (one file or a folder of them), validated. Load with `loadManifest`. */
export interface Manifest {
  version: 1;
  identities: readonly ManifestIdentity[];
  trust: readonly TrustEntry[];
  /** Declared changes (planned moves, rollouts); empty when the manifest declares none. */
  changes: readonly ManifestChange[];
  /** The files it was read from, in order. */
  files: readonly string[];
}
