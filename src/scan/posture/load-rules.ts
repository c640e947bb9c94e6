import { join } from 'node:path';
import { readValidatedYamlDir } from '../../model/data-file.js';
import { type Issue, WardenError } from '../../model/errors.js';
import { packageRoot } from '../../model/package-root.js';
import { type PostureRule, PostureRuleFileSchema } from './rule-schema.js';

let cached: Map<string, PostureRule> | undefined;

/** Every posture rule's metadata from rules/posture/*.yaml, by id. */
export function loadPostureRules(dir = join(packageRoot(), 'rules', 'posture')): Map<string, PostureRule> {
  if (cached && dir === join(packageRoot(), 'rules', 'posture')) return cached;
  const issues: Issue[] = [];
  const out = new Map<string, PostureRule>();
  for (const { source, data } of readValidatedYamlDir(dir, 'rules/posture', PostureRuleFileSchema, issues)) {
    for (const r of data.rules) {
      if (out.has(r.id)) issues.push({ path: source, message: `duplicate rule id ${r.id}` });
      out.set(r.id, r);
    }
  }
  if (issues.length > 0) throw new WardenError('WARDEN_RULES_INVALID', `${issues.length} problem(s) in posture rules`, issues);
  cached = out;
  return out;
}
