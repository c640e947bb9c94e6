import type { Finding } from '../../model/finding.js';
import type { Severity } from '../../model/severity.js';
import { armAnalyzer } from './arm.js';
import { cloudformationAnalyzer } from './cloudformation.js';
import { createPostureContext } from './context.js';
import { dockerfileAnalyzer } from './dockerfile.js';
import { githubActionsAnalyzer } from './github-actions.js';
import { gitlabCiAnalyzer } from './gitlab-ci.js';
import { hostileNesting } from './hcl.js';
import { iamJsonAnalyzer } from './iam-json.js';
import { kubernetesAnalyzer } from './kubernetes.js';
import { loadPostureRules } from './load-rules.js';
import { mcpAnalyzer } from './mcp.js';
import { terraformAnalyzer } from './terraform.js';
import type { PostureAnalyzer } from './types.js';
import { vaultPolicyAnalyzer } from './vault-policy.js';

export { loadPostureRules } from './load-rules.js';
export type { PostureRule } from './rule-schema.js';
export type { PostureAnalyzer, PostureContext } from './types.js';

/** Every built-in analyzer, in one list; nothing registers itself on import. */
export const ANALYZERS: readonly PostureAnalyzer[] = [
  terraformAnalyzer,
  cloudformationAnalyzer,
  iamJsonAnalyzer,
  githubActionsAnalyzer,
  gitlabCiAnalyzer,
  kubernetesAnalyzer,
  dockerfileAnalyzer,
  mcpAnalyzer,
  vaultPolicyAnalyzer,
  armAnalyzer,
];

export interface PostureResult {
  findings: Finding[];
  /** Reasons the file could not be analyzed (malformed input), one per analyzer that gave up. */
  malformed: string[];
}

/** Whether any analyzer wants this file: a cheap test before decoding it as text. */
export function postureAccepts(path: string, head: string, analyzers = ANALYZERS): boolean {
  return analyzers.some((a) => a.accepts(path, head));
}

/**
 * Runs every analyzer that accepts the file. An analyzer that throws (a parser bug, hostile input)
 * costs only its own result: the file is reported malformed with the reason, never the whole scan.
 * @example await analyzePosture('iam/policy.json', text) // { findings: [...], malformed: [] }
 */
export async function analyzePosture(
  path: string,
  text: string,
  options: { enabled?: ReadonlyMap<string, Severity> | undefined; analyzers?: readonly PostureAnalyzer[] } = {},
): Promise<PostureResult> {
  const rules = loadPostureRules();
  const head = text.slice(0, 512);
  const result: PostureResult = { findings: [], malformed: [] };
  let hostile: string | undefined | null = null;
  for (const a of options.analyzers ?? ANALYZERS) {
    if (!a.accepts(path, head)) continue;
    // Checked once per file, and only for files some analyzer will parse.
    if (hostile === null) hostile = hostileNesting(text);
    if (hostile !== undefined) {
      result.malformed.push(`${a.id}: ${hostile}, not parsed`);
      continue;
    }
    const run = createPostureContext(path, text, rules, options.enabled);
    try {
      await a.analyze(run.ctx);
    } catch (err) {
      if ((err as Error).message?.startsWith('posture analyzer reported undeclared rule')) throw err;
      run.malformed.push(`${a.id}: ${(err as Error).message ?? String(err)}`);
    }
    result.findings.push(...run.findings);
    result.malformed.push(...run.malformed.map((m) => (m.startsWith(`${a.id}:`) ? m : `${a.id}: ${m}`)));
  }
  return result;
}
