import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { type Issue, WardenError } from './errors.js';
import { SeveritySchema } from './severity.js';

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1024,
  k: 1024,
  mb: 1024 ** 2,
  m: 1024 ** 2,
  gb: 1024 ** 3,
  g: 1024 ** 3,
};

/** `10MB`, `512k`, `1048576` → bytes. */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  return m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : undefined;
}

const Size = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = parseSize(v);
  if (n === undefined) {
    ctx.addIssue({ code: 'custom', message: `not a size: ${v} (use bytes or 10MB, 512KB)` });
    return z.NEVER;
  }
  return n;
});

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time like 09:30');

/**
 * Runtime detection tuning: thresholds, exceptions (Falco-style hooks: suppress without editing a
 * detection) and declared deployment windows.
 */
export const DetectConfigSchema = z
  .object({
    thresholds: z
      .object({
        /** An identity's baseline detections stay quiet until it has this many events … */
        warmupEvents: z.number().int().min(0).default(20),
        /** … over at least this many hours. */
        warmupHours: z.number().min(0).default(24),
        /** An episode closes after this long without a new triggering event. */
        episodeGapHours: z.number().positive().default(6),
        failures: z.number().int().min(1).default(5),
        failureWindowMinutes: z.number().positive().default(15),
        /** A five-minute bucket alerts above max(rateMinimum, rateFactor × the identity's peak). */
        rateMinimum: z.number().int().min(1).default(40),
        rateFactor: z.number().min(1).default(4),
        /** Distinct networks within ten minutes that make "many places at once". */
        networksAtOnce: z.number().int().min(2).default(4),
        /**
         * Days of activity before an identity's habits (its hours, the resources it reads) are
         * established enough to call a departure from them unusual.
         */
        offHoursMinDays: z.number().int().min(1).default(5),
        longLivedDays: z.number().positive().default(90),
        idleMinutesPerDay: z.number().positive().default(30),
        rotationGraceHours: z.number().min(0).default(24),
        /** Identities kept in memory; the least recently seen are forgotten (or stored) beyond it. */
        maxIdentities: z.number().int().min(100).default(200_000),
        /**
         * Credentials kept in memory (about 0.7 KB each). Short-lived ones (STS sessions, Vault tokens, pod tokens) come and
         * go by the thousand; beyond the cap the least recently seen are forgotten, never revoked,
         * deactivated or rotated-out ones (forgetting those would hide their reuse).
         */
        maxCredentials: z.number().int().min(100).default(50_000),
        /**
         * A new source shared by identities that used to share a network, seen within this many hours
         * of each other with nothing else changed, is one infrastructure change, not an alert each.
         * Quiet novelties are held this long before they alert (replays are not delayed).
         */
        fleetWindowHours: z.number().positive().default(6),
        /** How many identities moving together make a fleet change. */
        fleetMinIdentities: z.number().int().min(2).default(2),
      })
      .strict()
      .prefault({}),
    exceptions: z
      .array(
        z
          .object({
            /** Detection ids or prefixes (`runtime.agent.*`); all detections when absent. */
            detections: z.array(z.string()).optional(),
            /** Identity id or name glob (`arn:aws:iam::*:role/ci-*`). */
            identity: z.string().optional(),
            /** Client address CIDR (`10.0.0.0/8`). */
            network: z.string().optional(),
            /** Cloud region the event came from (`eu-west-1`). */
            region: z.string().optional(),
            /** Resource id glob. */
            resource: z.string().optional(),
            reason: z.string().optional(),
          })
          .strict(),
      )
      .default([]),
    /** Sigma rule files or folders (CONTRACTS §6), evaluated on every record; relative to the working directory. */
    rules: z.array(z.string()).default([]),
    /** Run the bundled NHI rule pack (rules/detections/). */
    builtinRules: z.boolean().default(true),
    /**
     * Declared changes (planned moves, rollouts, change windows): a new source of a matching identity
     * inside the change's time and networks/regions is a low-severity change notice, not an alert.
     */
    changes: z
      .array(
        z
          .object({
            from: z.iso.datetime({ offset: true }),
            to: z.iso.datetime({ offset: true }),
            /** Identity id or name globs; with neither this nor `owner`, the change names nobody. */
            identities: z.array(z.string()).min(1).optional(),
            /** The owning team, as the policy manifest declares it. */
            owner: z.string().optional(),
            /** CIDRs the identities move to; with `regions`, what the change covers (neither: any new source). */
            networks: z.array(z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, 'a CIDR such as 198.51.100.0/24')).optional(),
            regions: z.array(z.string()).optional(),
            reason: z.string().min(1),
          })
          .strict()
          .refine((c) => Date.parse(c.from) < Date.parse(c.to), { message: '`from` must be before `to`' })
          .refine((c) => c.identities !== undefined || c.owner !== undefined, {
            message: 'name the identities (globs) or the owner the change is for',
          }),
      )
      .default([]),
    /** Hosting and anonymiser ranges (CIDRs): a new source inside one weighs more. */
    hostingNetworks: z.array(z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, 'a CIDR such as 198.51.100.0/24')).default([]),
    /** Sensitive access by matching identities is expected only inside these windows (UTC). */
    windows: z
      .array(
        z
          .object({
            identity: z.string(),
            days: z.array(z.enum(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'])).default(['mon', 'tue', 'wed', 'thu', 'fri']),
            from: HHMM,
            to: HHMM,
          })
          .strict(),
      )
      .default([]),
  })
  .strict();
export type DetectConfig = z.infer<typeof DetectConfigSchema>;

/**
 * `warden.config.yaml` (or .yml/.json): one schema, the single source of the type and its defaults.
 * Unknown keys are errors, so a typo never silently disables a setting.
 */
export const ConfigSchema = z
  .object({
    scan: z
      .object({
        maxFileSize: Size.default(10 * 1024 * 1024),
        /** gitignore-style patterns, relative to the scanned root. */
        exclude: z.array(z.string()).default([]),
        defaultExcludes: z.boolean().default(true),
        rules: z.array(z.string()).default([]),
        skipRules: z.array(z.string()).default([]),
        failOn: SeveritySchema.default('low'),
        allowlist: z
          .object({
            /** Regular expressions; a secret matching one is not reported. */
            secrets: z.array(z.string()).default([]),
            /** SHA-256 fingerprints of accepted secrets (for example test fixtures). */
            fingerprints: z.array(z.string().regex(/^[0-9a-f]{64}$/)).default([]),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    detect: DetectConfigSchema.prefault({}),
    /** Severity per rule or detection id, overriding its default. */
    severity: z.record(z.string(), SeveritySchema).default({}),
  })
  .strict();
export type WardenConfig = z.infer<typeof ConfigSchema>;

export const CONFIG_FILES = ['warden.config.yaml', 'warden.config.yml', 'warden.config.json'];

/** Validates a parsed config document, collecting every problem at once. */
export function parseConfig(doc: unknown, source = 'config'): WardenConfig {
  const parsed = ConfigSchema.safeParse(doc ?? {});
  if (parsed.success) {
    for (const [i, p] of parsed.data.scan.allowlist.secrets.entries()) {
      try {
        new RegExp(p);
      } catch (err) {
        throw new WardenError('WARDEN_CONFIG_INVALID', `${source} is invalid`, [
          { path: `scan.allowlist.secrets.${i}`, message: (err as Error).message },
        ]);
      }
    }
    return Object.freeze(parsed.data);
  }
  const issues: Issue[] = parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
  // The problems travel as issues; the CLI prints each once under this line.
  throw new WardenError(
    'WARDEN_CONFIG_INVALID',
    `${source} is invalid (${issues.length} problem${issues.length === 1 ? '' : 's'})`,
    issues,
  );
}

/**
 * Loads the config named by `explicit`, else the first of CONFIG_FILES in `dir`, else the defaults.
 * @example loadConfig(process.cwd()).scan.failOn // 'low'
 */
export function loadConfig(dir: string, explicit?: string): WardenConfig {
  const path = explicit ? resolve(explicit) : CONFIG_FILES.map((f) => join(dir, f)).find((f) => existsSync(f));
  if (path === undefined) return parseConfig({});
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new WardenError('WARDEN_CONFIG_INVALID', `cannot read config ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new WardenError(
      'WARDEN_CONFIG_INVALID',
      `${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
    );
  }
  return parseConfig(doc, path);
}
