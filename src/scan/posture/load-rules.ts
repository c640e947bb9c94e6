import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readYamlData } from '../../model/data-file.js';
import { type Issue, WardenError } from '../../model/errors.js';
import { packageRoot } from '../../model/package-root.js';
import { type PostureRule, PostureRuleFileSchema } from './rule-schema.js';

let cached: Map<string, PostureRule> | undefined;

/** Every posture rule's metadata from rules/posture/*.yaml, by id. */
export function loadPostureRules(dir = join(packageRoot(), 'rules', 'posture')): Map<string, PostureRule> {
  if (cached && dir === join(packageRoot(), 'rules', 'posture')) return cached;
  const issues: Issue[] = [];
  const out = new Map<string, PostureRule>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    const source = `rules/posture/${file}`;
    let doc: unknown;
    try {
      doc = readYamlData(join(dir, file));
    } catch (err) {
      issues.push({ path: source, message: `not valid YAML: ${(err as Error).message}` });
      continue;
    }
    const parsed = PostureRuleFileSchema.safeParse(doc);
    if (!parsed.success) {
      for (const i of parsed.error.issues) issues.push({ path: `${source}:${i.path.join('.')}`, message: i.message });
      continue;
    }
    for (const r of parsed.data.rules) {
      if (out.has(r.id)) issues.push({ path: source, message: `duplicate rule id ${r.id}` });
      out.set(r.id, r);
    }
  }
  if (issues.length > 0) throw new WardenError('WARDEN_RULES_INVALID', `${issues.length} problem(s) in posture rules`, issues);
  cached = out;
  return out;
}
