import type { InventoryRelation } from '../../model/inventory.js';
import { cloudformationExtractor } from './cloudformation.js';
import { githubActionsExtractor } from './github-actions.js';
import { iamJsonExtractor } from './iam-json.js';
import { kubernetesExtractor } from './kubernetes.js';
import { terraformExtractor } from './terraform.js';
import type { InventoryExtractor } from './types.js';
import { vaultPolicyExtractor } from './vault.js';

export { compareRelations } from './compare.js';
export { GITHUB_TOKEN_IDENTITY } from './github-actions.js';
export type { InventoryExtractor } from './types.js';

/** Every built-in extractor, in one list; nothing registers itself on import. */
export const EXTRACTORS: readonly InventoryExtractor[] = [
  kubernetesExtractor,
  terraformExtractor,
  cloudformationExtractor,
  iamJsonExtractor,
  githubActionsExtractor,
  vaultPolicyExtractor,
];

/** Whether any extractor wants this file: a cheap test (path, first 512 bytes) before decoding it. */
export function inventoryAccepts(path: string, head: string, extractors: readonly InventoryExtractor[] = EXTRACTORS): boolean {
  return extractors.some((e) => e.accepts(path, head));
}

/**
 * Identity relations a file declares: every accepting extractor runs; one that throws (a parser bug,
 * hostile input) costs only its own relations. Identical relations are reported once.
 * @example await extractInventory('deploy/app.yaml', text) // [{ kind: 'runs-as', src: { kind: 'workload', id: 'k8s:default/deployment/app' }, … }]
 */
export async function extractInventory(
  path: string,
  text: string,
  extractors: readonly InventoryExtractor[] = EXTRACTORS,
): Promise<InventoryRelation[]> {
  const head = text.slice(0, 512);
  const out: InventoryRelation[] = [];
  const seen = new Set<string>();
  for (const e of extractors) {
    if (!e.accepts(path, head)) continue;
    let found: InventoryRelation[];
    try {
      found = await e.extract(path, text);
    } catch {
      continue;
    }
    for (const r of found) {
      const key = JSON.stringify(r);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(r);
    }
  }
  return out;
}
