import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Finding } from '../model/finding.js';
import type { InventoryRelation } from '../model/inventory.js';
import type { Severity } from '../model/severity.js';
import { type ItemResult, scanOneItem } from './scan-item.js';
import { createSecretScanner } from './secrets/engine.js';
import type { SecretRule } from './secrets/load-rules.js';
import { createVaultAuditHasher, type VaultAuditHashConfig } from './secrets/vault-audit-hash.js';
import type { ScanItem, SkipReason } from './sources/types.js';
import type { WorkerConfig } from './worker.js';

/** Counts that tell a user what was scanned, what was not and why. */
export interface ScanSummary {
  files: number;
  bytes: number;
  findings: number;
  suppressedInline: number;
  suppressedBaseline: number;
  skipped: Partial<Record<SkipReason, number>>;
  /** The first skipped paths with reasons (capped so a huge tree cannot grow it without bound). */
  skippedFiles: Array<{ path: string; reason: SkipReason; detail?: string }>;
  threads: number;
  durationMs: number;
  /** The folder paths are relative to (the repository top level for git scans). */
  root: string;
  /** Things to tell the user once, e.g. a Vault server that would not hash tokens. */
  warnings?: string[];
}

export function emptySummary(): ScanSummary {
  return {
    files: 0,
    bytes: 0,
    findings: 0,
    suppressedInline: 0,
    suppressedBaseline: 0,
    skipped: {},
    skippedFiles: [],
    threads: 1,
    durationMs: 0,
    root: '',
  };
}

const SKIPPED_FILES_CAP = 1000;

/** Records a skip in the summary; sources call this through their `onSkip` callback. */
export function recordSkip(summary: ScanSummary, path: string, reason: SkipReason, detail?: string): void {
  summary.skipped[reason] = (summary.skipped[reason] ?? 0) + 1;
  if (summary.skippedFiles.length < SKIPPED_FILES_CAP) {
    summary.skippedFiles.push(detail === undefined ? { path, reason } : { path, reason, detail });
  }
}

export interface ScanEngineOptions {
  rules: readonly SecretRule[];
  vaultAuditSalt?: string | undefined;
  /** Without a salt: ask this Vault server for the audit HMAC of each Vault token found. */
  vaultAuditHash?: VaultAuditHashConfig | undefined;
  allow?: readonly string[] | undefined;
  maxFileSize: number;
  /** Posture rules to run (id → severity); absent or empty: no posture analysis. */
  posture?: ReadonlyMap<string, Severity> | undefined;
  /**
   * Receives the identity relations each file declares (src/scan/inventory); absent: no inventory is
   * extracted. Called on the calling thread, in no particular file order.
   */
  onInventory?: ((relations: InventoryRelation[]) => void) | undefined;
  /**
   * Scanning threads: 0 or 1 scans on the calling thread only. For files to read (a tree) the calling
   * thread is one of n (n - 1 workers; it scans whenever no worker has room); for bytes in hand (git
   * blobs, stdin) n workers. Default: one per core, at most 8.
   */
  threads?: number | undefined;
  /**
   * Hand batches to workers while they are still starting, as soon as they have room (tests that must
   * see workers scan). By default a worker takes batches once it is ready and the calling thread scans
   * meanwhile, so a small input never waits for a worker to start.
   */
  eagerWorkers?: boolean | undefined;
  onProgress?: ((summary: ScanSummary) => void) | undefined;
}

const BATCH_ITEMS = 64;
/** Files the calling thread scans between looks at the workers, when it scans for want of a free worker. */
const LOCAL_STEP = 8;
/**
 * Configuration files (by name) the calling thread keeps for itself before workers take a share. Each
 * thread that parses them pays the YAML parsers' load and warm-up (about 0.3 s of CPU), so the bound
 * is high enough that a tree with a fifth of configuration files rarely needs a second; queued items
 * are names and sizes only (well under 1 MB at the bound).
 */
export const CONFIG_QUEUE = 2048;
/** Names a posture analyzer or inventory extractor may read; a hint for where to scan, never a filter. */
const CONFIG_PATH = /\.(?:ya?ml|json[c5]?|tf|hcl|template|cfn)$|(?:^|\/)(?:[^/]*\.)?(?:docker|container)file[^/]*$/i;
const BATCH_BYTES = 4 * 1024 * 1024;

/** Scanning threads when none are asked for: one per core, at most eight. */
export function defaultThreads(): number {
  return Math.min(8, availableParallelism());
}

/**
 * Scans items from any source and yields findings as they are made. Small inputs are scanned on the
 * calling thread; larger ones are spread over a pool of worker threads with a bounded number of
 * batches in flight, so memory stays bounded whatever the source size.
 * @example for await (const f of scanItems(walkTree(opts), { rules, maxFileSize }, summary)) …
 */
export async function* scanItems(
  items: AsyncIterable<ScanItem> | Iterable<ScanItem>,
  options: ScanEngineOptions,
  summary: ScanSummary,
): AsyncGenerator<Finding> {
  const started = performance.now();
  const threads = options.threads ?? defaultThreads();
  let local: ReturnType<typeof createSecretScanner> | undefined;
  const localVault =
    options.vaultAuditHash !== undefined && options.vaultAuditSalt === undefined
      ? createVaultAuditHasher(options.vaultAuditHash)
      : undefined;
  /** Scans one item on this thread (one batch in all, or one thread), the scanner built on first use. */
  const scanLocally = (item: ScanItem): Promise<ItemResult> => {
    local ??= createSecretScanner({
      rules: options.rules,
      vaultAuditSalt: options.vaultAuditSalt,
      collectVaultTokens: localVault !== undefined,
      allow: options.allow,
    });
    return scanOneItem(local, item, options.maxFileSize, options.posture, options.onInventory !== undefined, localVault);
  };
  const account = (r: ItemResult): Finding[] => {
    if (r.skip) recordSkip(summary, r.path, r.skip.reason, r.skip.detail);
    else {
      summary.files += r.files ?? 1;
      summary.bytes += r.bytes;
    }
    for (const reason of r.malformed ?? []) recordSkip(summary, r.path, 'malformed', reason);
    if (r.inventory) options.onInventory?.(r.inventory);
    for (const w of r.warnings ?? []) {
      summary.warnings ??= [];
      if (!summary.warnings.includes(w)) summary.warnings.push(w);
    }
    summary.suppressedInline += r.suppressed;
    summary.findings += r.findings.length;
    return r.findings;
  };

  let batch: ScanItem[] = [];
  let batchBytes = 0;
  let pool: WorkerPool | undefined;
  // Files a posture analyzer or inventory extractor may read stay on this thread (when there are
  // workers): then only one thread loads and warms up the YAML, JSON and HCL parsers; the workers scan
  // the rest for secrets. Where the path says nothing, any thread gives the same result.
  const analyzing = threads > 1 && ((options.posture?.size ?? 0) > 0 || options.onInventory !== undefined);
  const config: ScanItem[] = [];
  /** Whether this thread scans too (a tree: files to read) rather than only feeding workers. */
  let helping = true;
  /** Scans a few files here: configuration files first, else the first of `rest` (which it shortens). */
  async function* step(rest: ScanItem[]): AsyncGenerator<Finding> {
    const from = config.length > 0 ? config : rest;
    for (const it of from.splice(0, LOCAL_STEP)) yield* account(await scanLocally(it));
    if (pool) {
      // Let the workers' finished batches in (promises alone never reach the message queue).
      await new Promise(setImmediate);
      for (const r of pool.drain()) yield* account(r);
    }
  }
  try {
    for await (const item of items) {
      if (analyzing && item.data === undefined && CONFIG_PATH.test(item.path)) {
        config.push(item);
        if (config.length < CONFIG_QUEUE) continue;
        // Mostly configuration: past the queue's bound, workers take a share too.
        pool ??= new WorkerPool(threads - 1, options);
        if (!pool.post(config.slice(0, BATCH_ITEMS))) yield* step(batch);
        else config.splice(0, BATCH_ITEMS);
        continue;
      }
      batch.push(item);
      batchBytes += item.size ?? item.data?.length ?? 0;
      if (batch.length < BATCH_ITEMS && batchBytes < BATCH_BYTES) continue;
      // Files to read (a tree): the calling thread is one of the scanning threads; it hands a batch to a
      // worker with room for it, else scans a few files itself (configuration files first) and looks
      // again, so a worker that frees up gets the rest of the batch. Bytes in hand (git blobs, stdin):
      // this thread keeps the source flowing (git's pipes) and only hands batches out.
      if (pool === undefined && threads > 1) {
        helping = batch[0]!.data === undefined;
        pool = new WorkerPool(helping ? threads - 1 : threads, options);
      }
      if (pool) {
        const rest = batch;
        while (rest.length > 0 && !pool.post(rest)) {
          if (helping) yield* step(rest);
          else await pool.next();
        }
        for (const r of pool.drain()) yield* account(r);
      } else {
        for (const it of batch) yield* account(await scanLocally(it));
      }
      options.onProgress?.(summary);
      batch = [];
      batchBytes = 0;
    }
    if (pool && !helping) {
      while (batch.length > 0 && !pool.post(batch)) await pool.next();
    } else if (pool) {
      const rest = batch;
      while (rest.length > 0 || config.length > 0) {
        if (rest.length > 0 && pool.post(rest)) rest.length = 0;
        // Many configuration files left: the workers take a share rather than wait.
        else if (rest.length === 0 && config.length > 2 * LOCAL_STEP && pool.post(config.slice(-2 * LOCAL_STEP)))
          config.length -= 2 * LOCAL_STEP;
        else yield* step(rest);
      }
    } else {
      // The whole input fit in one batch: not worth starting threads for.
      for (const it of [...batch, ...config]) yield* account(await scanLocally(it));
    }
    if (pool) {
      summary.threads = threads;
      while (pool.busy) {
        await pool.next();
        for (const r of pool.drain()) yield* account(r);
        options.onProgress?.(summary);
      }
      for (const r of pool.drain()) yield* account(r);
    }
    options.onProgress?.(summary);
  } finally {
    summary.durationMs = performance.now() - started;
    await pool?.close();
  }
}

/**
 * A fixed set of workers, each with at most two batches in flight. A worker takes batches only once it
 * said it is ready (modules loaded, rules compiled): until then the calling thread keeps scanning, so
 * an input that ends while the workers start never waits for them.
 */
class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly ready: boolean[] = [];
  private readonly inFlight: number[] = [];
  private readonly results: ItemResult[] = [];
  private seq = 0;
  private outstanding = 0;
  private wake: (() => void) | undefined;
  private failure: Error | undefined;

  private readonly eager: boolean;

  constructor(size: number, options: ScanEngineOptions) {
    this.eager = options.eagerWorkers === true;
    const severities: Record<string, Severity> = {};
    for (const r of options.rules) severities[r.id] = r.severity;
    const config: WorkerConfig = {
      ruleIds: options.rules.map((r) => r.id),
      severities,
      vaultAuditSalt: options.vaultAuditSalt,
      vaultAuditHash: options.vaultAuditHash,
      allow: [...(options.allow ?? [])],
      posture: [...(options.posture ?? [])],
      inventory: options.onInventory !== undefined,
      maxFileSize: options.maxFileSize,
    };
    for (let i = 0; i < size; i++) {
      const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: config });
      w.on('message', (msg: { ready: true } | { results: ItemResult[] }) => {
        if ('ready' in msg) {
          this.ready[i] = true;
          this.signal();
          return;
        }
        this.inFlight[i]!--;
        this.outstanding--;
        for (const r of msg.results) this.results.push(r);
        this.signal();
      });
      w.on('error', (err) => {
        this.failure = err;
        this.signal();
      });
      this.workers.push(w);
      this.ready.push(false);
      this.inFlight.push(0);
    }
  }

  get busy(): boolean {
    return this.outstanding > 0;
  }

  private signal(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Resolves when some batch completes (or a worker fails). */
  next(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.wake = () => (this.failure ? reject(this.failure) : resolve());
    });
  }

  /** Sends the batch to the least busy ready worker with room for it; false when none is ready or has room. */
  post(batch: ScanItem[]): boolean {
    if (this.failure) throw this.failure;
    let best = -1;
    for (let i = 0; i < this.workers.length; i++) {
      if ((this.ready[i] || this.eager) && this.inFlight[i]! < 2 && (best < 0 || this.inFlight[i]! < this.inFlight[best]!))
        best = i;
    }
    if (best >= 0) {
      // Move bytes to the worker instead of copying them: a Buffer that views only part of a larger
      // ArrayBuffer (Node's pool, a slice) gets an exact copy of its own first.
      const transfer = new Set<ArrayBuffer>();
      const items = batch.map((it) => {
        if (it.data === undefined) return it;
        const d = it.data;
        const own = d.byteOffset === 0 && d.byteLength === d.buffer.byteLength ? d : new Uint8Array(d);
        transfer.add(own.buffer as ArrayBuffer);
        return { ...it, data: own as Buffer };
      });
      this.inFlight[best]!++;
      this.outstanding++;
      this.workers[best]!.postMessage({ seq: this.seq++, items }, [...transfer]);
      return true;
    }
    return false;
  }

  drain(): ItemResult[] {
    return this.results.splice(0);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
