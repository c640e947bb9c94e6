import pc from 'picocolors';
import type { Finding } from '../model/finding.js';
import type { Severity } from '../model/severity.js';

type Colors = ReturnType<typeof pc.createColors>;

const SEVERITY_STYLE: Record<Severity, (c: Colors, s: string) => string> = {
  critical: (c, s) => c.bold(c.red(s)),
  high: (c, s) => c.red(s),
  medium: (c, s) => c.yellow(s),
  low: (c, s) => c.cyan(s),
  info: (c, s) => c.dim(s),
};

export interface TableSummary {
  files: number;
  bytes: number;
  durationMs: number;
  skipped: Partial<Record<string, number>>;
  suppressedInline: number;
  suppressedBaseline: number;
}

/**
 * The human report: findings grouped by file, severity coloured (when `color`), then a summary line
 * with what was skipped and why.
 */
export function toTable(findings: readonly Finding[], summary: TableSummary, color: boolean): string {
  const c = pc.createColors(color);
  const lines: string[] = [];
  let current: string | undefined;
  for (const f of findings) {
    const where = f.commit ? `${f.path} @ ${f.commit.sha.slice(0, 10)}` : f.path;
    if (where !== current) {
      if (current !== undefined) lines.push('');
      lines.push(c.bold(c.underline(where)));
      if (f.commit) lines.push(c.dim(`  ${f.commit.author} <${f.commit.email}> ${f.commit.date}`));
      current = where;
    }
    const sev = SEVERITY_STYLE[f.severity](c, f.severity.toUpperCase().padEnd(8));
    const loc = c.dim(`${f.line}:${f.column}`.padEnd(9));
    lines.push(`  ${loc} ${sev} ${f.title}  ${c.dim(f.preview)}  ${c.dim(f.ruleId)}`);
  }
  if (findings.length > 0) lines.push('');
  const bySeverity = new Map<Severity, number>();
  for (const f of findings) bySeverity.set(f.severity, (bySeverity.get(f.severity) ?? 0) + 1);
  const counts = (['critical', 'high', 'medium', 'low', 'info'] as const)
    .filter((s) => bySeverity.has(s))
    .map((s) => SEVERITY_STYLE[s](c, `${bySeverity.get(s)} ${s}`))
    .join(', ');
  const mb = (summary.bytes / 1e6).toFixed(1);
  const secs = (summary.durationMs / 1000).toFixed(2);
  lines.push(
    findings.length === 0
      ? c.green(`No findings. ${summary.files} files, ${mb} MB scanned in ${secs}s.`)
      : `${c.bold(`${findings.length} finding${findings.length === 1 ? '' : 's'}`)} (${counts}) in ${summary.files} files, ${mb} MB scanned in ${secs}s.`,
  );
  const skipped = Object.entries(summary.skipped).filter(([, n]) => (n ?? 0) > 0);
  if (skipped.length > 0) lines.push(c.dim(`Skipped: ${skipped.map(([r, n]) => `${n} ${r}`).join(', ')}.`));
  const suppressed = summary.suppressedInline + summary.suppressedBaseline;
  if (suppressed > 0) {
    lines.push(
      c.dim(`Suppressed: ${summary.suppressedInline} by warden:ignore, ${summary.suppressedBaseline} by baseline or allowlist.`),
    );
  }
  return `${lines.join('\n')}\n`;
}
