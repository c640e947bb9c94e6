import type { Readable } from 'node:stream';
import type { WardenConfig } from '../model/config.js';
import type { Finding } from '../model/finding.js';
import type { InventoryRelation } from '../model/inventory.js';
import { compareRelations } from './inventory/compare.js';
import { defaultThreads, emptySummary, recordSkip, type ScanSummary, scanItems } from './pipeline.js';
import { loadPostureRules } from './posture/load-rules.js';
import { loadSecretRules, selectRules } from './secrets/load-rules.js';
import type { VaultAuditHashConfig } from './secrets/vault-audit-hash.js';
import { gitHistoryItems, gitStagedItems, gitTopLevel } from './sources/git.js';
import { stdinItems } from './sources/stdin.js';
import type { ScanItem } from './sources/types.js';
import { createPathIgnore, walkTree } from './sources/walk.js';

export { createBaseline, readBaseline, writeBaseline } from './baseline.js';
export { compareRelations } from './inventory/compare.js';
export { emptySummary, type ScanSummary } from './pipeline.js';

export type ScanMode = 'tree' | 'git' | 'staged' | 'stdin';

export interface ScanOptions {
  /** A directory, a file, or (for git and staged modes) a directory inside a repository. */
  root: string;
  mode: ScanMode;
  config: WardenConfig;
  stdin?: Readable | undefined;
  /** Name reported for stdin input. */
  stdinName?: string | undefined;
  since?: string | undefined;
  rules?: readonly string[] | undefined;
  skipRules?: readonly string[] | undefined;
  maxFileSize?: number | undefined;
  /**
   * Scanning threads; default one per core (at most 8), less one for a history scan, where git's own
   * decompression (`cat-file`) keeps a core busy.
   */
  threads?: number | undefined;
  /**
   * Workers take batches while still starting (see ScanEngineOptions.eagerWorkers); also set by
   * WARDEN_SCAN_EAGER_WORKERS=1, for tests of the worker path through the CLI.
   */
  eagerWorkers?: boolean | undefined;
  /** Findings it accepts are dropped and counted as suppressed (see baseline.ts). */
  baseline?: ((f: Finding) => boolean) | undefined;
  vaultAuditSalt?: string | undefined;
  /** Without a salt: ask this Vault server (/sys/audit-hash) for the audit HMAC of each Vault token found. */
  vaultAuditHash?: VaultAuditHashConfig | undefined;
  onProgress?: ((s: ScanSummary) => void) | undefined;
  /**
   * Also read the identity relations files declare (src/scan/inventory): tree and staged modes only,
   * like posture. `runScan` returns them; `scanFindings` hands them to `onInventory`. `'with-posture'`:
   * only when the rule selection keeps some posture rule (a secrets-only scan reads no configuration).
   */
  inventory?: boolean | 'with-posture' | undefined;
  /** With `inventory`: receives each file's relations as the file is scanned. */
  onInventory?: ((relations: InventoryRelation[]) => void) | undefined;
}

/**
 * Runs a scan and yields findings as they are found; `summary` fills in as it goes.
 * @example for await (const f of scanFindings({ root: '.', mode: 'tree', config }, summary)) …
 */
export async function* scanFindings(opts: ScanOptions, summary: ScanSummary): AsyncGenerator<Finding> {
  const config = opts.config;
  const selection = {
    only: [...config.scan.rules, ...(opts.rules ?? [])],
    skip: [...config.scan.skipRules, ...(opts.skipRules ?? [])],
    severity: config.severity,
  };
  const rules = selectRules(loadSecretRules(), selection);
  // Posture describes the tree as it is (or is about to be committed), not every past version.
  const posture =
    opts.mode === 'tree' || opts.mode === 'staged'
      ? new Map(selectRules([...loadPostureRules().values()], selection).map((r) => [r.id, r.severity]))
      : undefined;
  const maxFileSize = opts.maxFileSize ?? config.scan.maxFileSize;
  const onSkip = recordSkip.bind(null, summary);
  const defaultExcludes = config.scan.defaultExcludes;
  let items: AsyncIterable<ScanItem> | Iterable<ScanItem>;
  switch (opts.mode) {
    case 'tree':
      summary.root = opts.root;
      items = walkTree({ root: opts.root, maxFileSize, defaultExcludes, exclude: config.scan.exclude, onSkip });
      break;
    case 'git':
    case 'staged': {
      // Git reports paths from the repository's top level; ignores are read from there too.
      const top = await gitTopLevel(opts.root);
      summary.root = top;
      const common = {
        cwd: opts.root,
        maxFileSize,
        defaultExcludes,
        isIgnored: createPathIgnore(top, config.scan.exclude),
        onSkip,
      };
      items = opts.mode === 'git' ? gitHistoryItems({ ...common, since: opts.since }) : gitStagedItems(common);
      break;
    }
    case 'stdin':
      summary.root = opts.root;
      items = stdinItems(opts.stdin ?? process.stdin, maxFileSize, opts.stdinName ?? '-', onSkip);
      break;
  }
  const allowedFingerprints = new Set(config.scan.allowlist.fingerprints);
  for await (const f of scanItems(
    items,
    {
      rules,
      posture,
      maxFileSize,
      threads: opts.threads ?? (opts.mode === 'git' ? Math.max(1, defaultThreads() - 1) : undefined),
      eagerWorkers: opts.eagerWorkers ?? process.env.WARDEN_SCAN_EAGER_WORKERS === '1',
      vaultAuditSalt: opts.vaultAuditSalt,
      vaultAuditHash: opts.vaultAuditHash,
      allow: config.scan.allowlist.secrets,
      onProgress: opts.onProgress,
      onInventory:
        (opts.inventory === true || (opts.inventory === 'with-posture' && (posture?.size ?? 0) > 0)) &&
        (opts.mode === 'tree' || opts.mode === 'staged')
          ? (opts.onInventory ?? (() => {}))
          : undefined,
    },
    summary,
  )) {
    if (allowedFingerprints.has(f.fingerprint) || opts.baseline?.(f)) {
      summary.findings--;
      summary.suppressedBaseline++;
      continue;
    }
    yield f;
  }
}

/** Orders findings for stable output: path, line, column, rule. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) ||
    a.line - b.line ||
    a.column - b.column ||
    (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0) ||
    (a.commit?.date ?? '').localeCompare(b.commit?.date ?? '')
  );
}

/**
 * Runs a scan to the end: all findings in a stable order, the summary, and (with `inventory`) the
 * identity relations the files declare, ordered by `compareRelations` (empty otherwise).
 */
export async function runScan(
  opts: ScanOptions,
): Promise<{ findings: Finding[]; summary: ScanSummary; inventory: InventoryRelation[] }> {
  const summary = emptySummary();
  const findings: Finding[] = [];
  const inventory: InventoryRelation[] = [];
  const onInventory = (relations: InventoryRelation[]): void => {
    inventory.push(...relations);
    opts.onInventory?.(relations);
  };
  for await (const f of scanFindings({ ...opts, onInventory }, summary)) findings.push(f);
  findings.sort(compareFindings);
  inventory.sort(compareRelations);
  // Threads report skips as they meet them: in path order, a report is the same from run to run.
  summary.skippedFiles.sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0,
  );
  return { findings, summary, inventory };
}
