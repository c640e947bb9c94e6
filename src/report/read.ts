import { type Finding, FindingSchema } from '../model/finding.js';
import { type InventoryRelation, InventoryRelationSchema } from '../model/inventory.js';
import type { Severity } from '../model/severity.js';

/*
 * Reading scan results back: `warden scan --format json` documents and SARIF 2.1.0 logs (Warden's own,
 * whose result properties carry what the graph needs). Records that do not validate are counted with
 * a reason, never fatal: the good ones around them are kept.
 */

export interface ScanReport {
  format: 'warden-json' | 'sarif';
  findings: Finding[];
  inventory: InventoryRelation[];
  rejected: Array<{ index: number; reason: string }>;
}

/** Whether the start of a file looks like a scan report (Warden JSON or SARIF) rather than a log. */
export function looksLikeScanReport(head: string): boolean {
  const h = head.trimStart();
  if (!h.startsWith('{')) return false;
  return /"\$schema"\s*:\s*"[^"]*sarif/i.test(h) || /"tool"\s*:\s*\{\s*"name"\s*:\s*"warden"/.test(h);
}

const LEVEL_SEVERITY: Record<string, Severity> = { error: 'high', warning: 'medium', note: 'low', none: 'info' };

function issue(err: unknown): string {
  const e = err as { issues?: Array<{ path: PropertyKey[]; message: string }> };
  const first = e.issues?.[0];
  return first ? `${first.path.map(String).join('.') || '(root)'}: ${first.message}` : String(err);
}

function fromSarifResult(result: Record<string, unknown>, rules: Map<string, Record<string, unknown>>): unknown {
  const props = (result.properties ?? {}) as Record<string, unknown>;
  const loc = ((result.locations as unknown[] | undefined)?.[0] ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
  const physical = loc.physicalLocation ?? {};
  const region = (physical.region ?? {}) as Record<string, unknown>;
  const uri = String((physical.artifactLocation as Record<string, unknown> | undefined)?.uri ?? '');
  const ruleId = String(result.ruleId ?? '');
  const rule = rules.get(ruleId) ?? {};
  const tags = ((rule.properties as Record<string, unknown> | undefined)?.tags ?? []) as string[];
  const fingerprints = (result.partialFingerprints ?? {}) as Record<string, string>;
  let path = uri;
  try {
    // Segment by segment: decodeURI would leave %3A, %23 and %3F encoded.
    path = uri.split('/').map(decodeURIComponent).join('/');
  } catch {
    // keep the encoded form
  }
  return {
    ruleId,
    kind: tags.includes('posture') ? 'posture' : 'secret',
    title: String((rule.shortDescription as Record<string, unknown> | undefined)?.text ?? ruleId),
    severity: props.severity ?? LEVEL_SEVERITY[String(result.level ?? 'warning')] ?? 'medium',
    message: String((result.message as Record<string, unknown> | undefined)?.text ?? ''),
    path,
    line: region.startLine,
    column: region.startColumn ?? 1,
    fingerprint: fingerprints['wardenFingerprint/v1'] ?? Object.values(fingerprints)[0],
    preview: props.preview ?? '',
    ...(props.credentialKey ? { credentialKey: props.credentialKey } : {}),
    ...(props.commit ? { commit: props.commit } : {}),
    frameworks: Array.isArray(props.frameworks) ? props.frameworks : [],
  };
}

/**
 * Parses a scan report. Throws only when the document is not JSON or not a report at all; records
 * that do not validate go to `rejected`.
 * @example const { findings, inventory } = readScanReport(readFileSync('scan.json', 'utf8'));
 */
export function readScanReport(text: string): ScanReport {
  const doc = JSON.parse(text) as Record<string, unknown>;
  const out: ScanReport = { format: 'warden-json', findings: [], inventory: [], rejected: [] };
  let raw: unknown[];
  if (Array.isArray(doc.runs)) {
    out.format = 'sarif';
    raw = [];
    for (const run of doc.runs as Array<Record<string, unknown>>) {
      const driver = ((run.tool as Record<string, unknown> | undefined)?.driver ?? {}) as Record<string, unknown>;
      const rules = new Map<string, Record<string, unknown>>();
      for (const r of (driver.rules ?? []) as Array<Record<string, unknown>>) rules.set(String(r.id), r);
      for (const r of (run.results ?? []) as Array<Record<string, unknown>>) raw.push(fromSarifResult(r, rules));
    }
  } else if (Array.isArray(doc.findings)) {
    raw = doc.findings;
    if (Array.isArray(doc.inventory)) {
      doc.inventory.forEach((r, index) => {
        const parsed = InventoryRelationSchema.safeParse(r);
        if (parsed.success) out.inventory.push(parsed.data);
        else out.rejected.push({ index, reason: `inventory: ${issue(parsed.error)}` });
      });
    }
  } else {
    throw new Error('not a scan report: expected a "findings" array (warden scan --format json) or SARIF "runs"');
  }
  raw.forEach((f, index) => {
    const parsed = FindingSchema.safeParse(f);
    if (parsed.success) out.findings.push(parsed.data);
    else out.rejected.push({ index, reason: `finding: ${issue(parsed.error)}` });
  });
  return out;
}
