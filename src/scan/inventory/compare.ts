import type { InventoryRelation } from '../../model/inventory.js';

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Orders relations for stable output: path, line, kind, source id, destination id. Its own module, so
 * a scan that orders relations loads none of the extractors (and their parsers) for it.
 */
export function compareRelations(a: InventoryRelation, b: InventoryRelation): number {
  return cmp(a.path, b.path) || a.line - b.line || cmp(a.kind, b.kind) || cmp(a.src.id, b.src.id) || cmp(a.dst.id, b.dst.id);
}
