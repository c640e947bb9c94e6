import { z } from 'zod';
import { FrameworkRefSchema } from '../../model/framework-ref.js';
import { SeveritySchema } from '../../model/severity.js';

/** A rule id is dotted and stable: `secret.<provider>.<kind>`. */
const RuleId = z.string().regex(/^secret\.[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'ids look like secret.provider.kind');

/** Logic the pattern alone cannot express; each is a small pure function in validators.ts. */
export const ValidatorSchema = z.discriminatedUnion('type', [
  /**
   * Shannon entropy of the secret in bits per character, at least `min`. A string of n characters can
   * hold at most log2(n) bits each, so with `shortFrom` a secret of `shortFrom` or more characters but
   * too short to reach `min` must come within 95 % of that ceiling instead (six distinct characters
   * pass, `aabbcc` does not): short passwords under a password-named key are still found.
   */
  z.object({ type: z.literal('entropy'), min: z.number().min(0).max(8), shortFrom: z.number().int().min(4).optional() }),
  /** A checksum embedded in the token itself (GitHub and npm tokens end in a base62 CRC32). */
  z.object({ type: z.literal('checksum'), algorithm: z.enum(['crc32-base62']) }),
  /** At least `min` of the named character classes must occur in the secret. */
  z.object({
    type: z.literal('charset'),
    classes: z.array(z.enum(['upper', 'lower', 'digit', 'special'])).min(1),
    min: z.number().int().min(1),
  }),
  /** A JSON Web Token: three base64url parts whose header decodes to JSON with an `alg`. */
  z.object({ type: z.literal('jwt') }),
  /** The secret must not match this expression (per-rule allowlist, e.g. a vendor's documented dummy). */
  z.object({ type: z.literal('not'), pattern: z.string() }),
  /**
   * HTTP Basic credentials (Docker's config.json `auth`, `.npmrc` `_auth`, `Authorization: Basic`): base64
   * that decodes to printable `user:password` whose password is not a placeholder.
   */
  z.object({ type: z.literal('basic-auth') }),
]);
export type Validator = z.infer<typeof ValidatorSchema>;

export const SecretRuleSchema = z
  .object({
    id: RuleId,
    title: z.string().min(3),
    provider: z.string().optional(),
    severity: SeveritySchema.optional(),
    description: z.string().optional(),
    /** Lower-case literals; the rule runs only near a place where one occurs (case-insensitively). */
    keywords: z
      .array(
        z
          .string()
          .min(2)
          .regex(/^[\x20-\x7e]+$/, 'keywords are printable ASCII'),
      )
      .min(1),
    /** A JavaScript regular expression; a named group `secret` (or group 1) is the secret itself. */
    pattern: z.string().min(1),
    flags: z
      .string()
      .regex(/^[ims]*$/, 'only the i, m and s flags are allowed')
      .default(''),
    /** How far around a keyword the pattern is tried; lines bound it unless `multiline`. */
    window: z
      .object({
        before: z.number().int().min(0).max(65536).default(256),
        after: z.number().int().min(0).max(65536).default(512),
        multiline: z.boolean().default(false),
        /**
         * Characters the pattern needs after its keyword: each string is a set, and one character of
         * every set must follow the keyword occurrence (on its line, or within `after` when multiline),
         * else that occurrence opens no window for this rule. A cheap necessary condition that spares
         * the pattern most occurrences of a common word (`password` in code): it must hold for every
         * match, so it names only what the pattern itself requires after the keyword.
         */
        needs: z
          .array(
            z
              .string()
              .min(1)
              .max(32)
              .regex(/^[\x21-\x7e]+$/, 'printable ASCII, no space'),
          )
          .max(4)
          .default([]),
        /** With `needs`: how many bytes after the keyword the needed characters must lie within (default: the window). */
        needsWithin: z.number().int().min(1).max(65536).optional(),
      })
      .prefault({}),
    validators: z.array(ValidatorSchema).default([]),
    /**
     * Only in files whose name matches one of these globs (`*.yaml`, `.env*`; `*` stays inside one name):
     * for shapes that mean a secret in configuration but something else in code (`password: Type[]`).
     */
    paths: z
      .array(z.string().regex(/^[^/]+$/, 'a file-name glob such as *.yaml'))
      .min(1)
      .optional(),
    /** Which runtime key this credential is known by, so telemetry can be joined to the finding. */
    credentialKey: z.enum(['aws-access-key-id', 'github-hashed-token', 'vault-hmac', 'gcp-key-id']).optional(),
    /** Merge with a finding of `rule` within `lines` lines into one finding (AWS key id + secret). */
    pair: z.object({ rule: RuleId, lines: z.number().int().min(0).max(50).default(5) }).optional(),
    /** Placeholder filtering is on by default; off for rules whose secrets are structural (private keys). */
    placeholderCheck: z.boolean().default(true),
    frameworks: z.array(FrameworkRefSchema).default([]),
    remediation: z.string().optional(),
    examples: z.object({
      /** Each must yield exactly this rule's finding; @@class:n@@ generators make the secret at test time. */
      positive: z.array(z.string()).min(1),
      /** Each must yield no finding of this rule. */
      negative: z.array(z.string()).min(1),
    }),
  })
  .strict();
export type SecretRuleInput = z.input<typeof SecretRuleSchema>;
export type SecretRuleData = z.infer<typeof SecretRuleSchema>;

/** One file under rules/secrets/: rules of one provider family, with shared defaults. */
export const SecretRuleFileSchema = z
  .object({
    provider: z.string(),
    severity: SeveritySchema.default('high'),
    frameworks: z.array(FrameworkRefSchema).default([]),
    remediation: z.string().optional(),
    rules: z.array(SecretRuleSchema).min(1),
  })
  .strict();
