import type { CommitInfo } from '../../model/finding.js';

/** Why something was not scanned; counted in the scan summary. */
export type SkipReason =
  | 'binary'
  | 'too-large'
  | 'symlink'
  | 'unreadable'
  | 'excluded'
  | 'ignored'
  | 'missing'
  /** Warden's own JSON, JSON lines, SARIF or baseline report: its key ids must not set Warden off. */
  | 'warden-report'
  /** Read for secrets, but a posture analyzer could not parse it (broken HCL, invalid YAML). */
  | 'malformed';

/**
 * One thing to scan: a file on disk (read where it is scanned, possibly in a worker thread) or bytes
 * already in hand (a git blob, stdin).
 */
export interface ScanItem {
  /** Path as reported: relative to the scanned root, forward slashes; "-" for stdin. */
  path: string;
  absPath?: string;
  data?: Buffer;
  size?: number;
  commit?: CommitInfo;
  /** The source has already found `data` not binary (`looksBinary`), so the scan need not look again. */
  text?: true;
}

/** Sources report what they pass over through this callback, so nothing is skipped silently. */
export type OnSkip = (path: string, reason: SkipReason, detail?: string) => void;
