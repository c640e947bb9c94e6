import { loadSecretRules } from '../../src/scan/secrets/load-rules.js';
import { createKeywordMatcher } from '../../src/scan/secrets/native-keywords.js';

/**
 * Which engine the secret scanner's keyword pass uses here (the same answer in the scan's worker
 * threads and child processes, which inherit WARDEN_NATIVE): "hyperscan", or "js (why)".
 */
export function keywordEngineLine(): string {
  const m = createKeywordMatcher([...new Set(loadSecretRules().flatMap((r) => r.keywords))]);
  return `secret keyword engine: ${m.engine}${m.fallbackReason === undefined ? '' : ` (${m.fallbackReason})`}`;
}
