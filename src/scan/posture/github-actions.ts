import type { PostureAnalyzer } from './types.js';

/** Placeholder until the analyzer lands: accepts no file. */
export const githubActionsAnalyzer: PostureAnalyzer = {
  id: 'github-actions',
  accepts: () => false,
  analyze: () => {},
};
