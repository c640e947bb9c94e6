import type { PostureAnalyzer } from './types.js';

/** Placeholder until the analyzer lands: accepts no file. */
export const iamJsonAnalyzer: PostureAnalyzer = {
  id: 'iam-json',
  accepts: () => false,
  analyze: () => {},
};
