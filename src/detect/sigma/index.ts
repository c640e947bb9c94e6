/**
 * Detection rules as data: Sigma rules for the log sources Warden reads (CONTRACTS §6), compiled
 * once per rule set and evaluated by the streaming engine on each event's raw record.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DetectConfig } from '../../model/config.js';
import { WardenError } from '../../model/errors.js';
import { packageRoot } from '../../model/package-root.js';
import type { Detection } from '../detection.js';
import { type LoadedRules, loadSigmaRules, type SigmaCorrelation, type SigmaRule } from './rule.js';
import { createSigmaRuleSet, type SigmaRuleSet } from './ruleset.js';

export { parseCondition } from './condition.js';
export { compileRegex, unsafeRegex } from './match.js';
export {
  fieldOf,
  LOGSOURCES,
  type LoadedRules,
  loadSigmaRules,
  type SigmaCorrelation,
  type SigmaRule,
  type SigmaSource,
} from './rule.js';
export { createSigmaRuleSet, type SavedGroup, type SigmaMatch, type SigmaRuleSet, type SigmaSavedState } from './ruleset.js';

/** The bundled NHI rule pack. */
export function builtinRulesDir(): string {
  return join(packageRoot(), 'rules', 'detections');
}

let builtin: LoadedRules | undefined;

/** The bundled pack, loaded (read, parsed and compiled) once per process and shared by its readers. */
export function builtinSigmaRules(): LoadedRules {
  builtin ??= loadSigmaRules([builtinRulesDir()], packageRoot());
  return builtin;
}

/** Rule paths must exist: a missing one is a usage error naming it (exit 2), not an empty rule set. */
export function checkRulePaths(paths: readonly string[]): void {
  for (const p of paths) if (!existsSync(p)) throw new WardenError('WARDEN_SOURCE_UNREADABLE', `rules path not found: ${p}`);
}

/**
 * The rule set a detector runs: the bundled pack (unless `detect.builtinRules: false`), the config's
 * `detect.rules` and any extra paths, resolved against `baseDir` (default: the working directory).
 * The bundled pack is read and compiled once per process; each detector gets its own correlation state.
 */
export function sigmaRuleSetFor(
  config: DetectConfig,
  extra: readonly string[] = [],
  baseDir: string = process.cwd(),
): SigmaRuleSet | undefined {
  const paths = [...config.rules, ...extra].map((p) => resolve(baseDir, p));
  checkRulePaths(paths);
  const parts: LoadedRules[] = [];
  if (config.builtinRules) {
    parts.push(builtinSigmaRules());
  }
  if (paths.length > 0) parts.push(loadSigmaRules(paths, baseDir));
  const merged: LoadedRules = { rules: [], correlations: [], unsupported: [] };
  const ids = new Set<string>();
  for (const p of parts) {
    // The same rule given twice (the pack and a copy of it) runs once.
    for (const r of p.rules) {
      if (ids.has(r.id)) continue;
      ids.add(r.id);
      merged.rules.push(r);
    }
    for (const c of p.correlations) {
      if (ids.has(c.id)) continue;
      ids.add(c.id);
      merged.correlations.push(c);
    }
    merged.unsupported.push(...p.unsupported);
  }
  if (merged.rules.length === 0) return undefined;
  return createSigmaRuleSet(merged);
}

const detections = new WeakMap<SigmaRule | SigmaCorrelation, Detection>();

/** A Sigma rule seen as a detection: its id is the analytic uid, its title the finding's title. */
export function sigmaDetection(rule: SigmaRule | SigmaCorrelation): Detection {
  let d = detections.get(rule);
  if (d === undefined) {
    d = {
      meta: {
        id: rule.id,
        title: rule.title,
        description: rule.description,
        severity: rule.level,
        type: 'rule',
        per: 'identity',
        attacks: rule.attacks,
        frameworks: rule.frameworks,
      },
      evaluate: () => undefined,
    };
    detections.set(rule, d);
  }
  return d;
}
