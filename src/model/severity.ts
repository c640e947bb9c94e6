import { z } from 'zod';

/** Severities in ascending order; the index is the rank used by `--fail-on`. */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export const SeveritySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof SeveritySchema>;

/** Rank of a severity: `severityRank('high') > severityRank('low')`. */
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}
