import { pathToFileURL } from 'node:url';
import type { Log, ReportingDescriptor, Result } from 'sarif';
import type { Finding } from '../model/finding.js';
import type { Severity } from '../model/severity.js';
import { wardenVersion } from './version.js';

const LEVEL: Record<Severity, Result.level> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

/**
 * A path relative to the scanned root as an RFC 3986 relative reference: every segment
 * percent-encoded (UTF-8), so a file named `notes:2024.env` is not read as an absolute URI with scheme
 * `notes` (RFC 3986 §4.2: a colon in the first segment of a relative path must be encoded), and `#`,
 * `?`, `%`, spaces, non-ASCII and control characters survive the trip (`readScanReport` decodes it).
 * @example relativeUri('a b/notes:2024.env') // 'a%20b/notes%3A2024.env'
 */
export function relativeUri(path: string): string {
  return path
    .split('/')
    .map((seg) =>
      encodeURIComponent(seg.replace(/[\ud800-\udfff]/gu, '\ufffd')).replace(
        /[!'()*]/g,
        (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
      ),
    )
    .join('/');
}

/** GitHub code scanning ranks security results by this property (0.0–10.0). */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '0.0',
};

/**
 * SARIF 2.1.0 for CI: one result per finding, paths relative to the scanned root (uriBaseId SRCROOT),
 * secrets redacted, and `partialFingerprints` carrying the secret's SHA-256 so code scanning
 * deduplicates the same secret across runs and line moves.
 * @example JSON.stringify(toSarif(findings, '/repo'))
 */
export function toSarif(findings: readonly Finding[], root: string): Log {
  const rules: ReportingDescriptor[] = [];
  const ruleIndex = new Map<string, number>();
  for (const f of findings) {
    if (ruleIndex.has(f.ruleId)) continue;
    ruleIndex.set(f.ruleId, rules.length);
    rules.push({
      id: f.ruleId,
      name: f.ruleId.replace(/[.-](\w)/g, (_, c: string) => c.toUpperCase()),
      shortDescription: { text: f.title },
      fullDescription: { text: f.kind === 'secret' ? `${f.title} exposed in source or history.` : f.title },
      help: { text: f.remediation ?? 'Remove the credential, rotate it, and load it from a secret store at run time.' },
      defaultConfiguration: { level: LEVEL[f.severity] },
      properties: {
        tags: ['security', f.kind, ...f.frameworks],
        'security-severity': SECURITY_SEVERITY[f.severity],
        precision: 'high',
      },
    });
  }
  const results: Result[] = findings.map((f) => {
    const result: Result = {
      ruleId: f.ruleId,
      ruleIndex: ruleIndex.get(f.ruleId)!,
      level: LEVEL[f.severity],
      message: { text: f.message },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: relativeUri(f.path), uriBaseId: 'SRCROOT' },
            region: { startLine: f.line, startColumn: f.column, ...(f.endLine ? { endLine: f.endLine } : {}) },
          },
        },
      ],
      partialFingerprints: { 'wardenFingerprint/v1': f.fingerprint },
      properties: {
        severity: f.severity,
        preview: f.preview,
        frameworks: f.frameworks,
        ...(f.credentialKey ? { credentialKey: f.credentialKey } : {}),
        ...(f.commit ? { commit: f.commit } : {}),
      },
    };
    return result;
  });
  const rootUri = pathToFileURL(root).href;
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'Warden',
            semanticVersion: wardenVersion(),
            rules,
          },
        },
        originalUriBaseIds: { SRCROOT: { uri: rootUri.endsWith('/') ? rootUri : `${rootUri}/` } },
        results,
      },
    ],
  };
}
