import { join } from 'node:path';
import { z } from 'zod';
import { readValidatedYamlDir } from '../model/data-file.js';
import { type Issue, WardenError } from '../model/errors.js';
import { FrameworkRefSchema } from '../model/framework-ref.js';
import { packageRoot } from '../model/package-root.js';
import { SeveritySchema } from '../model/severity.js';

/** One policy rule's metadata (rules/policy/*.yaml); the check is code in src/policy. */
export const PolicyRuleSchema = z
  .object({
    id: z.string().regex(/^(policy\.(drift|suggest)|runtime\.policy)\.[a-z0-9-]+$/, 'ids look like policy.drift.check'),
    title: z.string().min(3),
    severity: SeveritySchema,
    /** When it is checked: build (scan), run (detect, serve) or suggest (policy suggest). */
    phase: z.enum(['build', 'run', 'suggest']),
    rationale: z.string().min(10),
    remediation: z.string().min(10),
    frameworks: z.array(FrameworkRefSchema).min(1),
  })
  .strict();
export type PolicyRule = z.infer<typeof PolicyRuleSchema>;

const PolicyRuleFileSchema = z.object({ domain: z.literal('policy'), rules: z.array(PolicyRuleSchema).min(1) }).strict();

/** Rule ids the code reports; the data file must declare each (a test checks both ways). */
export const POLICY_RULE_IDS = [
  'policy.drift.grant-beyond-allow',
  'policy.drift.static-credential',
  'policy.drift.lifetime-over-max',
  'policy.drift.undeclared-identity',
  'runtime.policy.violation',
  'policy.suggest.tighten-allow',
  'policy.suggest.add-source',
  'policy.suggest.mark-short-lived',
] as const;
export type PolicyRuleId = (typeof POLICY_RULE_IDS)[number];

let cached: Map<string, PolicyRule> | undefined;

/**
 * Every policy rule's metadata, by id.
 * @example loadPolicyRules().get('policy.drift.grant-beyond-allow')?.severity // 'high'
 */
export function loadPolicyRules(): ReadonlyMap<string, PolicyRule> {
  if (cached) return cached;
  const issues: Issue[] = [];
  const out = new Map<string, PolicyRule>();
  for (const { source, data } of readValidatedYamlDir(
    join(packageRoot(), 'rules', 'policy'),
    'rules/policy',
    PolicyRuleFileSchema,
    issues,
  )) {
    for (const r of data.rules) {
      if (out.has(r.id)) issues.push({ path: source, message: `duplicate rule id ${r.id}` });
      out.set(r.id, r);
    }
  }
  for (const id of POLICY_RULE_IDS)
    if (!out.has(id)) issues.push({ path: 'rules/policy', message: `rule ${id} is not declared` });
  if (issues.length > 0) throw new WardenError('WARDEN_RULES_INVALID', `${issues.length} problem(s) in policy rules`, issues);
  cached = out;
  return out;
}

/** One rule's metadata; throws for an id the data does not declare (a bug, caught by tests). */
export function policyRule(id: PolicyRuleId): PolicyRule {
  const r = loadPolicyRules().get(id);
  if (!r) throw new WardenError('WARDEN_RULES_INVALID', `policy rule ${id} is not declared`);
  return r;
}
