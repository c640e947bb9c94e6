import type { PostureAnalyzer } from './types.js';

/** Placeholder until the analyzer lands: accepts no file. */
export const kubernetesAnalyzer: PostureAnalyzer = {
  id: 'kubernetes',
  accepts: () => false,
  analyze: () => {},
};
