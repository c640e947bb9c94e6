import { createHash } from 'node:crypto';
import type { Finding } from '../model/finding.js';
import { policyRule } from './rules.js';
import type { Suggestion } from './suggest.js';

/**
 * Suggestions as findings against the manifest file, so `toSarif` turns them into results that land in
 * code review next to the lines they would change.
 * @example toSarif(suggestionFindings(suggestions), process.cwd())
 */
export function suggestionFindings(suggestions: readonly Suggestion[]): Finding[] {
  return suggestions.map((s) => {
    const rule = policyRule(s.ruleId);
    return {
      ruleId: s.ruleId,
      kind: 'posture',
      title: rule.title,
      severity: rule.severity,
      provider: 'policy',
      message: s.message,
      path: s.at.file,
      line: s.at.line,
      column: 1,
      fingerprint: createHash('sha256').update(`${s.ruleId}\0${s.at.file}\0${s.identity}\0${s.message}`).digest('hex'),
      preview: s.identity,
      frameworks: rule.frameworks,
      remediation: rule.remediation,
    };
  });
}
