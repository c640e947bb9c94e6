import type { PostureAnalyzer } from './types.js';

/** Placeholder until the analyzer lands: accepts no file. */
export const terraformAnalyzer: PostureAnalyzer = {
  id: 'terraform',
  accepts: () => false,
  analyze: () => {},
};
