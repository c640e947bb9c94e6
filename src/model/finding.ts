import { z } from 'zod';
import { SeveritySchema } from './severity.js';

/** How runtime telemetry names a credential, so a leaked secret can be joined to its use. */
export const CredentialKeySchema = z.object({
  /** aws-access-key-id: the key id in CloudTrail; github-hashed-token: base64 SHA-256 in GitHub's audit log; vault-hmac: the audit device's HMAC; gcp-key-id: a service account key's private_key_id, which Cloud Audit Logs name in serviceAccountKeyName. */
  type: z.enum(['aws-access-key-id', 'github-hashed-token', 'vault-hmac', 'sha256', 'gcp-key-id']),
  value: z.string(),
});
export type CredentialKey = z.infer<typeof CredentialKeySchema>;

export const CommitInfoSchema = z.object({
  sha: z.string(),
  author: z.string(),
  email: z.string(),
  date: z.string(),
});
export type CommitInfo = z.infer<typeof CommitInfoSchema>;

/**
 * One build-time finding: an exposed secret or a risky identity configuration.
 * A finding never holds the raw secret: only its SHA-256 `fingerprint` and a redacted `preview`.
 */
export const FindingSchema = z.object({
  ruleId: z.string(),
  kind: z.enum(['secret', 'posture']),
  title: z.string(),
  severity: SeveritySchema,
  provider: z.string().optional(),
  message: z.string(),
  /** Path relative to the scanned root, with forward slashes ("-" for stdin). */
  path: z.string(),
  line: z.number().int().positive(),
  column: z.number().int().positive(),
  endLine: z.number().int().positive().optional(),
  /** SHA-256 (hex) of the secret, or for posture findings of rule id, path and the offending snippet. */
  fingerprint: z.string(),
  preview: z.string(),
  credentialKey: CredentialKeySchema.optional(),
  commit: CommitInfoSchema.optional(),
  frameworks: z.array(z.string()),
  remediation: z.string().optional(),
});
export type Finding = z.infer<typeof FindingSchema>;
