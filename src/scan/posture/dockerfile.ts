import type { PostureAnalyzer } from './types.js';

/** Placeholder until the analyzer lands: accepts no file. */
export const dockerfileAnalyzer: PostureAnalyzer = {
  id: 'dockerfile',
  accepts: () => false,
  analyze: () => {},
};
