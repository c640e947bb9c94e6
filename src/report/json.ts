import type { Finding } from '../model/finding.js';
import type { InventoryRelation } from '../model/inventory.js';
import { wardenVersion } from './version.js';

/**
 * `warden scan --format json`: a versioned document with the summary and every finding, and when
 * given the identity inventory (relations in the order given: the scanner sorts them).
 */
export function toJsonReport(findings: readonly Finding[], summary: object, inventory?: readonly InventoryRelation[]): string {
  const doc = { version: 1, tool: { name: 'warden', version: wardenVersion() }, summary, findings };
  return `${JSON.stringify(inventory === undefined ? doc : { ...doc, inventory }, null, 2)}\n`;
}
