import { readFileSync } from 'node:fs';
import type { Finding } from '../model/finding.js';
import type { Severity } from '../model/severity.js';
import { analyzePosture, postureAccepts } from './posture/index.js';
import type { SecretScanner } from './secrets/engine.js';
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
}

/**
 * Reads (when needed) and scans one item for secrets and, when `posture` names rules, risky identity
 * configuration; never throws for bad input, it reports a skip instead.
 */
export async function scanOneItem(
  scanner: SecretScanner,
  item: ScanItem,
  maxFileSize: number,
  posture?: ReadonlyMap<string, Severity>,
): Promise<ItemResult> {
  let data = item.data;
  if (data === undefined) {
    if (item.absPath === undefined)
      return { path: item.path, findings: [], suppressed: 0, bytes: 0, skip: { reason: 'missing' } };
    try {
      data = readFileSync(item.absPath);
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
  if (looksBinary(data)) return { path: item.path, findings: [], suppressed: 0, bytes: 0, skip: { reason: 'binary' } };
  const { findings, suppressed } = scanner.scanBuffer(data, item.path, item.commit);
  const result: ItemResult = { path: item.path, findings, suppressed, bytes: data.length };
  if (posture !== undefined && posture.size > 0 && postureAccepts(item.path, data.toString('latin1', 0, 512))) {
    const p = await analyzePosture(item.path, data.toString('utf8'), { enabled: posture });
    findings.push(...p.findings);
    if (p.malformed.length > 0) result.malformed = p.malformed;
  }
  return result;
}
