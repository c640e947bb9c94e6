import { findingId } from '../correlate/graph.js';
import type { Finding } from '../model/finding.js';
import { SEVERITIES, type Severity } from '../model/severity.js';
import { cleanText } from './graph.js';
import type { ScanFindingsTable } from './schema.js';
import { queryable, type StoreTarget } from './store.js';

/*
 * Every finding of every imported scan (migration 0050), secret and posture alike, by repository,
 * file and line, for the dashboard's findings page. The graph keeps only secrets it can join to logs;
 * this keeps the rest. A Finding never holds a secret (fingerprint and redacted preview only).
 */

const BATCH = 500;

/**
 * Records findings of one repository; a finding already recorded (same rule, secret, path, line and
 * commit) is left as it is, so importing a scan twice adds nothing.
 * @example await recordScanFindings(trx, report.findings, 'acme/api', Date.now());
 */
export async function recordScanFindings(
  target: StoreTarget,
  findings: readonly Finding[],
  repository: string,
  at: number,
): Promise<void> {
  const db = queryable(target);
  const rows = new Map<string, ScanFindingsTable>();
  for (const f of findings) {
    const id = findingId(f);
    rows.set(id, {
      id,
      repository: cleanText(repository),
      kind: f.kind,
      rule_id: f.ruleId,
      severity: f.severity,
      path: cleanText(f.path),
      line: f.line,
      finding: JSON.stringify(f, (_k, v: unknown) => (typeof v === 'string' ? cleanText(v) : v)),
      found_at: at,
    });
  }
  const all = [...rows.values()];
  for (let i = 0; i < all.length; i += BATCH)
    await db
      .insertInto('scan_findings')
      .values(all.slice(i, i + BATCH))
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
}

export interface ScanFindingRow {
  id: string;
  repository: string;
  kind: 'secret' | 'posture';
  ruleId: string;
  title: string;
  severity: Severity;
  path: string;
  line: number;
  commit?: string | undefined;
  preview: string;
  fingerprint: string;
  message: string;
  frameworks: string[];
  foundAt: string;
}

export interface ScanFindingQuery {
  repository?: string | undefined;
  kind?: 'secret' | 'posture' | undefined;
  /** This severity and above. */
  severity?: Severity | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

/**
 * A page of recorded findings (by repository, file and line), the total that match, and every
 * repository with its counts.
 * @example const { items, total, repositories } = await listScanFindings(store, { kind: 'secret', limit: 50 });
 */
export async function listScanFindings(
  target: StoreTarget,
  q: ScanFindingQuery = {},
): Promise<{
  items: ScanFindingRow[];
  total: number;
  repositories: Array<{ repository: string; secret: number; posture: number }>;
}> {
  const db = queryable(target);
  let base = db.selectFrom('scan_findings');
  if (q.repository !== undefined) base = base.where('repository', '=', q.repository);
  if (q.kind !== undefined) base = base.where('kind', '=', q.kind);
  if (q.severity !== undefined && SEVERITIES.includes(q.severity))
    base = base.where('severity', 'in', SEVERITIES.slice(SEVERITIES.indexOf(q.severity)));
  const total = Number((await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst())?.n ?? 0);
  const rows = await base
    .select(['id', 'repository', 'finding', 'found_at'])
    .orderBy('repository')
    .orderBy('path')
    .orderBy('line')
    .orderBy('id')
    .limit(Math.min(Math.max(q.limit ?? 50, 1), 500))
    .offset(Math.max(q.offset ?? 0, 0))
    .execute();
  const perRepo = await db
    .selectFrom('scan_findings')
    .select(['repository', 'kind', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(['repository', 'kind'])
    .orderBy('repository')
    .execute();
  const repositories = new Map<string, { repository: string; secret: number; posture: number }>();
  for (const r of perRepo) {
    const entry = repositories.get(r.repository) ?? { repository: r.repository, secret: 0, posture: 0 };
    if (r.kind === 'secret' || r.kind === 'posture') entry[r.kind] += Number(r.n);
    repositories.set(r.repository, entry);
  }
  return {
    items: rows.map((r) => {
      const f = JSON.parse(r.finding) as Finding;
      return {
        id: `finding:${r.id}`,
        repository: r.repository,
        kind: f.kind,
        ruleId: f.ruleId,
        title: f.title,
        severity: f.severity,
        path: f.path,
        line: f.line,
        ...(f.commit ? { commit: f.commit.sha } : {}),
        preview: f.preview,
        fingerprint: f.fingerprint,
        message: f.message,
        frameworks: f.frameworks,
        foundAt: new Date(Number(r.found_at)).toISOString(),
      };
    }),
    total,
    repositories: [...repositories.values()],
  };
}
