import { createHash } from 'node:crypto';
import type { Finding } from '../../model/finding.js';
import type { Severity } from '../../model/severity.js';
import type { PostureRule } from './rule-schema.js';
import type { PostureContext } from './types.js';

export interface PostureRun {
  ctx: PostureContext;
  findings: Finding[];
  malformed: string[];
}

const MAX_EVIDENCE = 160;

/**
 * Builds the context an analyzer runs in, turning its reports into findings with rule metadata.
 * Reports of undeclared rules throw: every check must have its metadata and framework mapping.
 * `enabled` filters rules (--rule/--skip-rule) and carries severity overrides.
 */
export function createPostureContext(
  path: string,
  text: string,
  rules: ReadonlyMap<string, PostureRule>,
  enabled?: ReadonlyMap<string, Severity>,
): PostureRun {
  let lineStarts: number[] | undefined;
  const starts = (): number[] => {
    if (lineStarts) return lineStarts;
    lineStarts = [0];
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
    return lineStarts;
  };
  const lineOf = (offset: number): number => {
    const s = starts();
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const run: PostureRun = { findings: [], malformed: [], ctx: undefined as unknown as PostureContext };
  const seen = new Set<string>();
  run.ctx = {
    path,
    text,
    lineOf,
    findLine(needle, fromLine = 1) {
      const s = starts();
      const from = s[Math.max(0, Math.min(s.length - 1, fromLine - 1))]!;
      if (typeof needle === 'string') {
        const at = text.indexOf(needle, from);
        return at < 0 ? fromLine : lineOf(at);
      }
      const re = new RegExp(needle.source, needle.flags.includes('g') ? needle.flags : `${needle.flags}g`);
      re.lastIndex = from;
      const m = re.exec(text);
      return m ? lineOf(m.index) : fromLine;
    },
    report({ ruleId, line, evidence, message }) {
      const rule = rules.get(ruleId);
      if (!rule) throw new Error(`posture analyzer reported undeclared rule ${ruleId}`);
      if (enabled && !enabled.has(ruleId)) return;
      const ev = evidence.replace(/\s+/g, ' ').trim().slice(0, MAX_EVIDENCE);
      const fp = createHash('sha256').update(`${ruleId}\0${path}\0${ev}`).digest('hex');
      // One finding per rule, place and evidence: analyzers may reach the same statement twice.
      const key = `${fp}:${line}`;
      if (seen.has(key)) return;
      seen.add(key);
      const finding: Finding = {
        ruleId,
        kind: 'posture',
        title: rule.title,
        severity: enabled?.get(ruleId) ?? rule.severity,
        message: message ?? rule.title,
        path,
        line: Math.max(1, line),
        column: 1,
        fingerprint: fp,
        preview: ev,
        frameworks: rule.frameworks,
        remediation: rule.remediation,
      };
      run.findings.push(finding);
    },
    malformed(reason) {
      run.malformed.push(reason);
    },
  };
  return run;
}
