import type { PostureAnalyzer } from './types.js';

/** Placeholder until the analyzer lands: accepts no file. */
export const vaultPolicyAnalyzer: PostureAnalyzer = {
  id: 'vault-policy',
  accepts: () => false,
  analyze: () => {},
};
