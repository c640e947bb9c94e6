import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { WardenError } from '../model/errors.js';
import type { Finding } from '../model/finding.js';

/**
 * A baseline lists accepted findings by rule, path and fingerprint (never the secret), so that
 * `--baseline FILE` reports only what is new. A moved secret is new: exposure in a new place counts.
 */
export const BaselineSchema = z.object({
  version: z.literal(1),
  tool: z.literal('warden'),
  createdAt: z.string(),
  findings: z.array(z.object({ ruleId: z.string(), path: z.string(), fingerprint: z.string(), line: z.number().optional() })),
});
export type Baseline = z.infer<typeof BaselineSchema>;

const keyOf = (f: { ruleId: string; path: string; fingerprint: string }): string => `${f.ruleId}\0${f.path}\0${f.fingerprint}`;

export function createBaseline(findings: readonly Finding[], now = new Date()): Baseline {
  const seen = new Set<string>();
  const entries: Baseline['findings'] = [];
  for (const f of findings) {
    const k = keyOf(f);
    if (seen.has(k)) continue;
    seen.add(k);
    entries.push({ ruleId: f.ruleId, path: f.path, fingerprint: f.fingerprint, line: f.line });
  }
  entries.sort((a, b) => a.path.localeCompare(b.path) || (a.line ?? 0) - (b.line ?? 0) || a.ruleId.localeCompare(b.ruleId));
  return { version: 1, tool: 'warden', createdAt: now.toISOString(), findings: entries };
}

export function writeBaseline(path: string, baseline: Baseline): void {
  writeFileSync(path, `${JSON.stringify(baseline, null, 2)}\n`);
}

/** Reads a baseline and returns a predicate: true for findings it already accepts. */
export function readBaseline(path: string): (f: Finding) => boolean {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new WardenError(
      'WARDEN_BASELINE_INVALID',
      `cannot read baseline ${path}: ${(err as Error).message}; write one with 'warden baseline'`,
    );
  }
  const parsed = BaselineSchema.safeParse(doc);
  if (!parsed.success) {
    throw new WardenError(
      'WARDEN_BASELINE_INVALID',
      `${path} is not a Warden baseline; write one with 'warden baseline'`,
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  const keys = new Set(parsed.data.findings.map(keyOf));
  return (f) => keys.has(keyOf(f));
}
