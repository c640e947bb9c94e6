import type { Finding } from '../model/finding.js';
import { wardenVersion } from './version.js';

/** `warden scan --format json`: a versioned document with the summary and every finding. */
export function toJsonReport(findings: readonly Finding[], summary: object): string {
  return `${JSON.stringify({ version: 1, tool: { name: 'warden', version: wardenVersion() }, summary, findings }, null, 2)}\n`;
}
