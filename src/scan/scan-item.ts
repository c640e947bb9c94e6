import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Finding } from '../model/finding.js';
import type { InventoryRelation } from '../model/inventory.js';
import type { Severity } from '../model/severity.js';
import { isWardenReport } from './own-report.js';
import type { SecretScanner } from './secrets/engine.js';
import type { VaultAuditHasher } from './secrets/vault-audit-hash.js';
import { looksBinary } from './sources/excludes.js';
import type { ScanItem, SkipReason } from './sources/types.js';

/** The outcome of scanning one item: findings, or the reason it was passed over. */
export interface ItemResult {
  path: string;
  findings: Finding[];
  suppressed: number;
  bytes: number;
  skip?: { reason: SkipReason; detail?: string };
  /** Why posture analyzers could not read the file, if they could not. */
  malformed?: string[];
  /** Identity relations the file declares, when inventory was asked for and the file has any. */
  inventory?: InventoryRelation[];
  /** Things the user should hear about once (a Vault server that would not hash). */
  warnings?: string[];
  /** How many scanned files this result stands for (default 1): workers send clean files as one count. */
  files?: number;
}

/** A scanned file with nothing to report beyond its size: counted, not sent between threads one by one. */
export function isClean(r: ItemResult): boolean {
  return (
    r.skip === undefined &&
    r.findings.length === 0 &&
    r.suppressed === 0 &&
    r.malformed === undefined &&
    r.inventory === undefined &&
    r.warnings === undefined
  );
}

/**
 * The posture analyzers and inventory extractors (with the YAML, JSON and HCL parsers behind them, about
 * 70 ms to load), imported by a thread only once it is asked for either: a secrets-only scan never loads them.
 */
let analysis: { posture: typeof import('./posture/index.js'); inventory: typeof import('./inventory/index.js') } | undefined;

async function loadAnalysis(): Promise<void> {
  const [posture, inventory] = await Promise.all([import('./posture/index.js'), import('./inventory/index.js')]);
  analysis = { posture, inventory };
}

/**
 * Reads (when needed) and scans one item for secrets and, when `posture` names rules, risky identity
 * configuration, and with `inventory` the identity relations it declares (src/scan/inventory); never
 * throws for bad input, it reports a skip instead.
 */
export async function scanOneItem(
  scanner: SecretScanner,
  item: ScanItem,
  maxFileSize: number,
  posture?: ReadonlyMap<string, Severity>,
  inventory = false,
  vault?: VaultAuditHasher,
): Promise<ItemResult> {
  const wantsPosture = posture !== undefined && posture.size > 0;
  // Before the read: nothing may await between reading into the reused buffer and the last use of it.
  if (analysis === undefined && (wantsPosture || inventory)) await loadAnalysis();
  let data = item.data;
  if (data === undefined) {
    if (item.absPath === undefined)
      return { path: item.path, findings: [], suppressed: 0, bytes: 0, skip: { reason: 'missing' } };
    try {
      const read = readReused(item.absPath, maxFileSize);
      if (typeof read === 'number')
        return { path: item.path, findings: [], suppressed: 0, bytes: 0, skip: { reason: 'too-large', detail: `${read} bytes` } };
      data = read;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      return { path: item.path, findings: [], suppressed: 0, bytes: 0, skip: { reason: 'unreadable', detail: code } };
    }
  }
  // The size may have changed since the walk saw the file.
  if (data.length > maxFileSize) {
    return {
      path: item.path,
      findings: [],
      suppressed: 0,
      bytes: 0,
      skip: { reason: 'too-large', detail: `${data.length} bytes` },
    };
  }
  if (item.text !== true && looksBinary(data))
    return { path: item.path, findings: [], suppressed: 0, bytes: 0, skip: { reason: 'binary' } };
  if ((data[0] === 0x7b || data[0] === 0x20 || data[0] === 0x0a) && isWardenReport(data))
    return { path: item.path, findings: [], suppressed: 0, bytes: 0, skip: { reason: 'warden-report' } };
  const { findings, suppressed, vaultTokens } = scanner.scanBuffer(data, item.path, item.commit);
  const bytes = data.length;
  // Everything later steps need from the bytes is taken now: a file read into the reused buffer must not
  // be touched after an await (another file may be read into it meanwhile).
  // The head the analyzers' `accepts` look at: only decoded when one of them may run.
  const head = wantsPosture || inventory ? data.toString('latin1', 0, 512) : '';
  const wantPosture = wantsPosture && analysis!.posture.postureAccepts(item.path, head);
  const wantInventory = inventory && analysis!.inventory.inventoryAccepts(item.path, head);
  const text = wantPosture || wantInventory ? data.toString('utf8') : '';
  // Vault tokens (scanner built with collectVaultTokens): their audit HMAC from the Vault server,
  // then the tokens go out of scope here; the result that crosses threads holds only the hash.
  if (vaultTokens !== undefined && vault !== undefined) {
    for (const { finding, token } of vaultTokens) {
      const hmac = await vault.hash(token);
      if (hmac !== undefined) finding.credentialKey = { type: 'vault-hmac', value: hmac };
    }
  }
  const result: ItemResult = { path: item.path, findings, suppressed, bytes };
  if (vault?.error !== undefined && vaultTokens?.some((v) => v.finding.credentialKey === undefined))
    result.warnings = [`Vault audit-hash: ${vault.error}; Vault token findings carry no audit HMAC`];
  if (wantPosture) {
    const p = await analysis!.posture.analyzePosture(item.path, text, { enabled: posture });
    findings.push(...p.findings);
    if (p.malformed.length > 0) result.malformed = p.malformed;
  }
  if (wantInventory) {
    const relations = await analysis!.inventory.extractInventory(item.path, text);
    if (relations.length > 0) result.inventory = relations;
  }
  return result;
}

/** The read buffer files on disk are read into, one per thread, grown as needed (kept up to 16 MiB). */
let readBuffer = Buffer.allocUnsafe(1 << 20);
const KEPT_READ_BUFFER = 16 << 20;

/**
 * A file's bytes in the thread's reused buffer (valid until the next call), or its size when it has
 * grown past `maxFileSize` since the walk saw it. Saves an allocation and its collection per file.
 */
function readReused(absPath: string, maxFileSize: number): Buffer | number {
  if (readBuffer.length > KEPT_READ_BUFFER) readBuffer = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(absPath, 'r');
  try {
    let n = 0;
    for (;;) {
      if (n === readBuffer.length) {
        if (n > maxFileSize) return fstatSync(fd).size;
        const grown = Buffer.allocUnsafe(readBuffer.length * 2);
        readBuffer.copy(grown, 0, 0, n);
        readBuffer = grown;
      }
      const want = readBuffer.length - n;
      const got = readSync(fd, readBuffer, n, want, null);
      n += got;
      // Sources give regular files only (the walk checks), and a regular file reads short only at its
      // end: no second read to hear the end of a file that fit the buffer.
      if (got < want) break;
    }
    return n > maxFileSize ? Math.max(n, fstatSync(fd).size) : readBuffer.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}
