import type { PostureAnalyzer } from './types.js';

/** Placeholder until the analyzer lands: accepts no file. */
export const cloudformationAnalyzer: PostureAnalyzer = {
  id: 'cloudformation',
  accepts: () => false,
  analyze: () => {},
};
