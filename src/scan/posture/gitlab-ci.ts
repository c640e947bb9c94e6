import type { PostureAnalyzer } from './types.js';

/** Placeholder until the analyzer lands: accepts no file. */
export const gitlabCiAnalyzer: PostureAnalyzer = {
  id: 'gitlab-ci',
  accepts: () => false,
  analyze: () => {},
};
