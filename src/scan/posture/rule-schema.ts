import { z } from 'zod';
import { FrameworkRefSchema } from '../../model/framework-ref.js';
import { SeveritySchema } from '../../model/severity.js';

/** One posture rule's metadata; the check itself is code in an analyzer under src/scan/posture/. */
export const PostureRuleSchema = z
  .object({
    id: z.string().regex(/^posture\.[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'ids look like posture.domain.check'),
    title: z.string().min(3),
    severity: SeveritySchema,
    /** Why it matters, for the person reading the finding. */
    rationale: z.string().min(10),
    /** A concrete fix. */
    remediation: z.string().min(10),
    frameworks: z.array(FrameworkRefSchema).min(1),
  })
  .strict();
export type PostureRule = z.infer<typeof PostureRuleSchema>;

/** One file under rules/posture/: the rules of one domain (iam, github-actions, kubernetes, …). */
export const PostureRuleFileSchema = z
  .object({
    domain: z.string(),
    rules: z.array(PostureRuleSchema).min(1),
  })
  .strict();
