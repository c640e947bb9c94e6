import type { PostureAnalyzer } from './types.js';

/** Placeholder until the analyzer lands: accepts no file. */
export const mcpAnalyzer: PostureAnalyzer = {
  id: 'mcp',
  accepts: () => false,
  analyze: () => {},
};
