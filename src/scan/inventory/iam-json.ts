import type { InventoryRelation } from '../../model/inventory.js';
import { type Positioned, parseJsonWithPositions, withoutPositions } from '../posture/cloudformation.js';
import { normalizePolicy, parseLenientJson } from '../posture/iam.js';
import { iamJsonAnalyzer } from '../posture/iam-json.js';
import { grantRelations, positionedSite } from './aws.js';
import { lines, node } from './common.js';
import type { InventoryExtractor } from './types.js';

const MAX_BYTES = 2 * 1024 * 1024;

/**
 * Raw IAM policy JSON files: the file is a managed policy named after itself (`aws-policy:<basename>`)
 * whose Allow statements are `can-access` grants; statements with a Principal (resource policies) grant
 * their AWS principals. A trust policy file names no role, so it gives nothing.
 */
function extract(path: string, body: string): InventoryRelation[] {
  if (body.length > MAX_BYTES) return [];
  const json = parseLenientJson(body);
  if (!json.ok) return [];
  const doc = normalizePolicy(json.value);
  if (!doc) return [];
  let pos: Positioned = withoutPositions(json.value);
  if (json.exact) {
    try {
      pos = parseJsonWithPositions(body);
    } catch {
      // deeper than the positional parser goes: lines by text search
    }
  }
  // Positions belong to the objects `pos` parsed: normalise those, not JSON.parse's copies.
  const positioned = normalizePolicy(pos.value) ?? doc;
  const name = (path.split('/').pop() ?? path).replace(/\.json$/i, '');
  const { findLine } = lines(path, body);
  return grantRelations(
    node('policy', `aws-policy:${name}`, name, { file: path }),
    positioned,
    positionedSite(path, pos, findLine, 1),
  );
}

/** IAM policy JSON: the files posture's iam-json analyzer reads. */
export const iamJsonExtractor: InventoryExtractor = {
  id: 'iam-json',
  accepts: (path, head) => iamJsonAnalyzer.accepts(path, head),
  extract,
};
