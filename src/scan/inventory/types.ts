import type { InventoryRelation } from '../../model/inventory.js';

/**
 * One domain's reader of declared identity configuration. Like a posture analyzer it first says,
 * cheaply, whether it wants a file (`accepts`: by name, then the first 512 bytes); `extract` then turns
 * the file into relations. Extractors are pure over (path, text) and never throw: a file they cannot
 * read yields no relation. HCL parsing is asynchronous (WebAssembly), so `extract` may return a promise.
 */
export interface InventoryExtractor {
  /** Stable id: kubernetes, terraform, cloudformation, iam-json, github-actions, vault-policy. */
  readonly id: string;
  accepts(path: string, head: string): boolean;
  extract(path: string, text: string): InventoryRelation[] | Promise<InventoryRelation[]>;
}
