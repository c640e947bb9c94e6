import pc from 'picocolors';
import type { Finding } from '../model/finding.js';
import type { Severity } from '../model/severity.js';
import { createTable, DEFAULT_WIDTH, termSafe } from './terminal.js';

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
 * with what was skipped and why. Paths, commit authors, titles and previews are attacker-controlled
 * text: every one goes through `termSafe`, and rows fit `width` columns.
 */
export function toTable(findings: readonly Finding[], summary: TableSummary, color: boolean, width = DEFAULT_WIDTH): string {
  const c = pc.createColors(color);
  const lines: string[] = [];
  const table = createTable(
    [
      { header: 'LINE:COL', size: 9, style: (s) => c.dim(s) },
      { header: 'SEVERITY', size: 8, style: (s, raw) => SEVERITY_STYLE[String(raw).toLowerCase() as Severity]?.(c, s) ?? s },
      { header: 'TITLE', size: 40, min: 14, wrap: true },
      { header: 'PREVIEW', size: 20, min: 12, style: (s) => c.dim(s) },
      { header: 'RULE', size: 32, min: 25, style: (s) => c.dim(s) },
    ],
    width,
    {
      indent: 2,
      // Each column as wide as its widest cell, up to its size.
      wanted: [
        Math.max(...findings.map((f) => `${f.line}:${f.column}`.length), 8),
        8,
        Math.min(40, Math.max(5, ...findings.map((f) => termSafe(f.title).length))),
        Math.min(20, Math.max(7, ...findings.map((f) => termSafe(f.preview).length))),
        Math.min(40, Math.max(4, ...findings.map((f) => f.ruleId.length))),
      ],
    },
  );
  let current: string | undefined;
  if (findings.length > 0) lines.push(table.header().trimEnd());
  for (const f of findings) {
    const where = f.commit ? `${f.path} @ ${f.commit.sha.slice(0, 10)}` : f.path;
    if (where !== current) {
      if (current !== undefined) lines.push('');
      lines.push(c.bold(c.underline(termSafe(where, width))));
      if (f.commit) lines.push(c.dim(termSafe(`  ${f.commit.author} <${f.commit.email}> ${f.commit.date}`, width)));
      current = where;
    }
    lines.push(table.row([`${f.line}:${f.column}`, f.severity.toUpperCase(), f.title, f.preview, f.ruleId]).trimEnd());
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
  if (skipped.length > 0) lines.push(c.dim(`Skipped: ${skipped.map(([r, n]) => `${n} ${termSafe(r)}`).join(', ')}.`));
  const suppressed = summary.suppressedInline + summary.suppressedBaseline;
  if (suppressed > 0) {
    lines.push(
      c.dim(`Suppressed: ${summary.suppressedInline} by warden:ignore, ${summary.suppressedBaseline} by baseline or allowlist.`),
    );
  }
  return `${lines.join('\n')}\n`;
}
