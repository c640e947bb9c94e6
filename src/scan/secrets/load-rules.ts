import { join } from 'node:path';
import { readValidatedYamlDir } from '../../model/data-file.js';
import { type Issue, WardenError } from '../../model/errors.js';
import { packageRoot } from '../../model/package-root.js';
import type { Severity } from '../../model/severity.js';
import { type SecretRuleData, SecretRuleFileSchema } from './rule-schema.js';
import { type CompiledValidator, compileValidator } from './validators.js';

/** A secret rule ready to run: data from rules/secrets plus its compiled expression and validators. */
export interface SecretRule extends Omit<SecretRuleData, 'severity' | 'validators' | 'provider'> {
  provider: string;
  severity: Severity;
  regex: RegExp;
  validate: CompiledValidator[];
  /** From `paths`: whether a file (by its name) is one this rule applies to. */
  appliesTo?: ((path: string) => boolean) | undefined;
  /** The file it came from, relative to the package root. */
  source: string;
}

/** The raw data of every rule file, validated; for `warden rules list` and the data-driven tests. */
export function readSecretRuleFiles(dir = join(packageRoot(), 'rules', 'secrets')): SecretRule[] {
  const issues: Issue[] = [];
  const rules: SecretRule[] = [];
  for (const { source, data: group } of readValidatedYamlDir(dir, 'rules/secrets', SecretRuleFileSchema, issues)) {
    for (const [index, r] of group.rules.entries()) {
      let regex: RegExp;
      try {
        // g: find every match in a window; d: exact offsets of the secret group.
        regex = new RegExp(r.pattern, `gd${r.flags}`);
      } catch (err) {
        issues.push({ path: `${source}:rules.${index}.pattern`, message: (err as Error).message });
        continue;
      }
      let validate: CompiledValidator[];
      try {
        validate = r.validators.map(compileValidator);
      } catch (err) {
        issues.push({ path: `${source}:rules.${index}.validators`, message: (err as Error).message });
        continue;
      }
      const { validators: _v, ...rest } = r;
      rules.push({
        ...rest,
        provider: r.provider ?? group.provider,
        severity: r.severity ?? group.severity,
        frameworks: [...new Set([...group.frameworks, ...r.frameworks])],
        ...((r.remediation ?? group.remediation) ? { remediation: (r.remediation ?? group.remediation) as string } : {}),
        keywords: r.keywords.map((k) => k.toLowerCase()),
        regex,
        validate,
        ...(r.paths ? { appliesTo: fileNameTest(r.paths) } : {}),
        source,
      });
    }
  }
  const seen = new Set<string>();
  for (const r of rules) {
    if (seen.has(r.id)) issues.push({ path: r.source, message: `duplicate rule id ${r.id}` });
    seen.add(r.id);
  }
  for (const r of rules) {
    if (r.pair && !seen.has(r.pair.rule))
      issues.push({ path: r.source, message: `${r.id} pairs with unknown rule ${r.pair.rule}` });
  }
  if (issues.length > 0) throw new WardenError('WARDEN_RULES_INVALID', `${issues.length} problem(s) in secret rules`, issues);
  return rules;
}

/** A test of a path's last name against file-name globs, case-insensitively (`*` within the name). */
export function fileNameTest(globs: readonly string[]): (path: string) => boolean {
  const res = globs.map((g) => new RegExp(`^${g.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`, 'i'));
  return (path) => {
    const name = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
    return res.some((re) => re.test(name));
  };
}

/** Selects rules by id or id prefix pattern (`secret.aws.*`), as `--rule` and `--skip-rule` do. */
export function matchesRuleSelector(id: string, selector: string): boolean {
  if (selector.endsWith('*')) return id.startsWith(selector.slice(0, -1));
  return id === selector;
}

export interface RuleSelection {
  only?: readonly string[] | undefined;
  skip?: readonly string[] | undefined;
  severity?: Readonly<Record<string, Severity>> | undefined;
}

/** Applies `--rule`/`--skip-rule` and configured severity overrides. */
export function selectRules<T extends { id: string; severity: Severity }>(rules: readonly T[], sel: RuleSelection): T[] {
  return rules
    .filter((r) => !sel.only?.length || sel.only.some((s) => matchesRuleSelector(r.id, s)))
    .filter((r) => !sel.skip?.some((s) => matchesRuleSelector(r.id, s)))
    .map((r) => {
      const override = sel.severity?.[r.id];
      return override ? { ...r, severity: override } : r;
    });
}

let defaultRules: SecretRule[] | undefined;
/** The built-in rules, loaded and compiled once per process (each worker thread loads its own). */
export function loadSecretRules(): SecretRule[] {
  defaultRules ??= readSecretRuleFiles();
  return defaultRules;
}
