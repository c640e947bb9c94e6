/**
 * What an analyzer sees of a file and how it reports. Analyzers are pure over this context: tests
 * build one from a string, the scanner from a file.
 */
export interface PostureContext {
  /** Path relative to the scanned root, forward slashes. */
  readonly path: string;
  /** The file as UTF-8 text. */
  readonly text: string;
  /** 1-based line of a character offset in `text`. */
  lineOf(offset: number): number;
  /**
   * 1-based line of the first occurrence of `needle` at or after line `fromLine` (default 1), or
   * `fromLine` when it does not occur: a way to place findings from parsers that keep no positions.
   */
  findLine(needle: string | RegExp, fromLine?: number): number;
  /**
   * Reports a finding of a declared posture rule. `evidence` is the short offending text shown to
   * people (a secret inside it must already be redacted) and part of the fingerprint.
   */
  report(finding: { ruleId: string; line: number; evidence: string; message?: string }): void;
  /** The file could not be analyzed (malformed input): counted as skipped with this reason. */
  malformed(reason: string): void;
}

export interface PostureAnalyzer {
  /** Stable id: terraform, cloudformation, iam-json, github-actions, gitlab-ci, kubernetes, dockerfile, mcp, vault-policy, arm. */
  readonly id: string;
  /**
   * Whether the analyzer reads this file: by path, and for generic formats (YAML, JSON) by a cheap look
   * at the first bytes (`head`), so a 10,000-file tree is not parsed by every analyzer.
   */
  accepts(path: string, head: string): boolean;
  analyze(ctx: PostureContext): void | Promise<void>;
}
