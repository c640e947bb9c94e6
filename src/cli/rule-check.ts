import type { WardenConfig } from '../model/config.js';
import { type Issue, WardenError } from '../model/errors.js';
import { termSafe } from '../report/terminal.js';

/** Edit distance, for "did you mean": small strings only (rule ids). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The known id or `prefix.*` glob nearest to `selector`, for "did you mean".
 * @example suggestRule('secret.aws.acess-key', ids) // 'secret.aws.access-key'
 */
export function suggestRule(selector: string, known: readonly string[]): string | undefined {
  const glob = selector.endsWith('*');
  const candidates = new Set<string>();
  for (const id of known) {
    if (!glob) candidates.add(id);
    else {
      const parts = id.split('.');
      for (let n = 1; n < parts.length; n++) candidates.add(`${parts.slice(0, n).join('.')}.*`);
    }
  }
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = distance(selector, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(3, Math.floor(selector.length / 3)) ? best : undefined;
}

function matches(id: string, selector: string): boolean {
  return selector.endsWith('*') ? id.startsWith(selector.slice(0, -1)) : id === selector;
}

/**
 * Whether `checkRuleSelectors` has anything to check: without selectors the rule ids (the Sigma pack
 * among them) need not be loaded, which a scan's start-up would otherwise pay every time.
 */
export function hasRuleSelectors(
  flags: { rule?: readonly string[] | undefined; skipRule?: readonly string[] | undefined },
  config: WardenConfig | undefined,
  scope: { scan: boolean } = { scan: true },
): boolean {
  if ((flags.rule?.length ?? 0) > 0 || (flags.skipRule?.length ?? 0) > 0) return true;
  if (config === undefined) return false;
  if (scope.scan && (config.scan.rules.length > 0 || config.scan.skipRules.length > 0)) return true;
  return Object.keys(config.severity).length > 0;
}

/**
 * Rule selectors that match nothing are errors, not a silent pass: `--rule 'secret.typo.*'` would
 * otherwise scan with no rules and report a clean tree. Checks flags (`--rule`, `--skip-rule`) and the
 * config (`scan.rules`, `scan.skipRules`, `severity:` keys) against the ids Warden knows, with a
 * "did you mean" for each.
 */
export function checkRuleSelectors(
  known: readonly string[],
  flags: { rule?: readonly string[] | undefined; skipRule?: readonly string[] | undefined },
  config: WardenConfig | undefined,
  scope: { scan: boolean } = { scan: true },
): void {
  const usage: Issue[] = [];
  const conf: Issue[] = [];
  const check = (selector: string, path: string, into: Issue[]) => {
    if (known.some((id) => matches(id, selector))) return;
    const hint = suggestRule(selector, known);
    into.push({
      path,
      message: `no rule matches "${termSafe(selector, 80)}"${hint ? `; did you mean "${hint}"?` : ''} (warden rules list shows them)`,
    });
  };
  for (const s of flags.rule ?? []) check(s, '--rule', usage);
  for (const s of flags.skipRule ?? []) check(s, '--skip-rule', usage);
  if (config) {
    if (scope.scan) {
      for (const [i, s] of config.scan.rules.entries()) check(s, `scan.rules.${i}`, conf);
      for (const [i, s] of config.scan.skipRules.entries()) check(s, `scan.skipRules.${i}`, conf);
    }
    for (const key of Object.keys(config.severity)) check(key, `severity.${key}`, conf);
  }
  if (usage.length > 0) throw new WardenError('WARDEN_USAGE', usage.map((i) => `${i.path}: ${i.message}`).join('; '));
  if (conf.length > 0) throw new WardenError('WARDEN_CONFIG_INVALID', 'the config names rules that do not exist', conf);
}

/** The ids of the secret and posture rules, graph posture rules and runtime detections. */
async function coreRuleIds(): Promise<string[]> {
  const { loadSecretRules } = await import('../scan/secrets/load-rules.js');
  const { loadPostureRules } = await import('../scan/posture/load-rules.js');
  const { DETECTIONS } = await import('../detect/detections/index.js');
  const { loadPolicyRules } = await import('../policy/rules.js');
  const { POLICY_VIOLATION_ID } = await import('../model/alert.js');
  return [
    ...loadSecretRules().map((r) => r.id),
    ...loadPostureRules().keys(),
    ...loadPolicyRules().keys(),
    ...DETECTIONS.map((d) => d.meta.id),
    POLICY_VIOLATION_ID,
  ];
}

/**
 * The bundled Sigma pack's rule and correlation ids, so `severity:` can tune them; a user's own rule
 * folders are not known here.
 */
async function sigmaPackIds(): Promise<string[]> {
  const { builtinSigmaRules } = await import('../detect/sigma/index.js');
  const pack = builtinSigmaRules();
  return [...pack.rules.map((r) => r.id), ...pack.correlations.map((r) => r.id)];
}

/**
 * `checkRuleSelectors` against every known id, reading the Sigma pack (about 100 ms of YAML) only when
 * some selector matches no other rule: `--rule 'secret.*'` does not pay for it.
 */
export async function checkKnownRuleSelectors(
  flags: { rule?: readonly string[] | undefined; skipRule?: readonly string[] | undefined },
  config: WardenConfig | undefined,
  scope: { scan: boolean } = { scan: true },
): Promise<void> {
  const core = await coreRuleIds();
  try {
    checkRuleSelectors(core, flags, config, scope);
    return;
  } catch (err) {
    if (!(err instanceof WardenError)) throw err;
  }
  checkRuleSelectors([...core, ...(await sigmaPackIds())], flags, config, scope);
}
