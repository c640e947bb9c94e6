import { parentPort, workerData } from 'node:worker_threads';
import type { Severity } from '../model/severity.js';
import { type ItemResult, isClean, scanOneItem } from './scan-item.js';
import { createSecretScanner } from './secrets/engine.js';
import { loadSecretRules } from './secrets/load-rules.js';
import { createVaultAuditHasher, type VaultAuditHashConfig } from './secrets/vault-audit-hash.js';
import type { ScanItem } from './sources/types.js';

/** What the pool sends each worker once: which rules, as selected on the main thread. */
export interface WorkerConfig {
  ruleIds: string[];
  severities: Record<string, Severity>;
  vaultAuditSalt?: string | undefined;
  /** Without a salt: the Vault server to ask for audit HMACs of Vault tokens. */
  vaultAuditHash?: VaultAuditHashConfig | undefined;
  allow: string[];
  /** Posture rule ids with their severities, as [id, severity] pairs (Maps do not cross threads as such). */
  posture: Array<[string, Severity]>;
  /** Extract identity relations (src/scan/inventory) beside the findings. */
  inventory: boolean;
  maxFileSize: number;
}

const config = workerData as WorkerConfig;
const wanted = new Set(config.ruleIds);
// RegExp objects cannot cross threads: each worker compiles the same rules from the same files.
const rules = loadSecretRules()
  .filter((r) => wanted.has(r.id))
  .map((r) => (config.severities[r.id] ? { ...r, severity: config.severities[r.id]! } : r));
const vault =
  config.vaultAuditHash !== undefined && config.vaultAuditSalt === undefined
    ? createVaultAuditHasher(config.vaultAuditHash)
    : undefined;
const scanner = createSecretScanner({
  rules,
  vaultAuditSalt: config.vaultAuditSalt,
  collectVaultTokens: vault !== undefined,
  allow: config.allow,
});

const posture = config.posture.length > 0 ? new Map(config.posture) : undefined;
// Set up: the pool sends batches from now on (until this message the calling thread scans them).
parentPort!.postMessage({ ready: true });

parentPort!.on('message', async (msg: { seq: number; items: ScanItem[] }) => {
  const results: ItemResult[] = [];
  // Files with nothing to report travel back as one count: no object per file to clone and collect.
  const clean: ItemResult = { path: '', findings: [], suppressed: 0, bytes: 0, files: 0 };
  for (const item of msg.items) {
    // A Buffer sent with its ArrayBuffer transferred arrives as a plain Uint8Array.
    if (item.data !== undefined && !Buffer.isBuffer(item.data)) {
      const u = item.data as Uint8Array;
      item.data = Buffer.from(u.buffer, u.byteOffset, u.byteLength);
    }
    const r = await scanOneItem(scanner, item, config.maxFileSize, posture, config.inventory, vault);
    if (isClean(r)) {
      clean.files!++;
      clean.bytes += r.bytes;
    } else results.push(r);
  }
  if (clean.files! > 0) results.push(clean);
  parentPort!.postMessage({ seq: msg.seq, results });
});
