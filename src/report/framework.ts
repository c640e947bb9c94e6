import { loadGraphPostureRules } from '../correlate/posture.js';
import { DETECTIONS } from '../detect/detections/index.js';
import { type Catalogue, loadCatalogues } from '../frameworks/index.js';
import { WardenError } from '../model/errors.js';
import { loadPostureRules } from '../scan/posture/load-rules.js';
import { loadSecretRules } from '../scan/secrets/load-rules.js';
import { queryable, type StoreTarget } from '../store/store.js';

/*
 * Framework reports: for one catalogue under frameworks/, which controls Warden's rules and detections
 * cover, and which stored findings and alerts fall under each. The mapping is the `frameworks` list of
 * every secret, posture and graph posture rule and every detection; findings and alerts are placed by
 * their rule or detection, so a report is exactly as honest as those references.
 */

/** The report names people type, and the catalogue each one reads. */
export const REPORT_FRAMEWORKS = {
  'owasp-nhi': 'owasp-nhi',
  'nist-csf': 'nist-csf-2',
  'nist-800-207': 'nist-800-207',
  'owasp-agentic': 'owasp-asi',
  'csa-maestro': 'csa-maestro',
  'nist-ai-rmf': 'nist-ai-rmf',
} as const;
export type ReportFramework = keyof typeof REPORT_FRAMEWORKS;

/** Findings and alerts listed per control; the counts beside them are always complete. */
const LISTED = 50;
/** The most recent alerts a report reads (alerts of one detection repeat; counts come from SQL). */
const ALERT_SCAN = 20_000;

/** Something of Warden's that maps to controls: a rule or a detection. */
export interface ReportRule {
  id: string;
  kind: 'secret' | 'posture' | 'graph' | 'detection';
  title: string;
  severity: string;
}

export interface ReportFinding {
  id: string;
  ruleId: string;
  severity: string;
  repository: string;
  path: string;
  line: number;
  commit?: string | undefined;
}

export interface ReportAlert {
  uid: string;
  detectionId: string;
  title: string;
  severity: string;
  identity: string;
  status: string;
  lastSeen: string;
}

export interface ReportControl {
  id: string;
  title: string;
  description: string;
  /** Whether at least one rule or detection maps to it. */
  covered: boolean;
  rules: ReportRule[];
  findings: { total: number; items: ReportFinding[] };
  alerts: { total: number; open: number; items: ReportAlert[] };
}

export interface FrameworkReport {
  framework: { name: string; id: string; title: string; version: string; source: string };
  generatedAt: string;
  /** `findings`, `alerts` and `openAlerts` count each once, however many controls it falls under. */
  summary: { controls: number; covered: number; withFindings: number; findings: number; alerts: number; openAlerts: number };
  controls: ReportControl[];
}

/**
 * The catalogue id a report name stands for (catalogue ids are accepted as they are); a usage error
 * listing the names otherwise.
 * @example reportCatalogueId('nist-csf') // 'nist-csf-2'
 */
export function reportCatalogueId(name: string): string {
  const known = REPORT_FRAMEWORKS as Record<string, string>;
  if (known[name] !== undefined) return known[name];
  if (Object.values(known).includes(name)) return name;
  throw new WardenError(
    'WARDEN_USAGE',
    `unknown framework "${name}"; choose one of: ${Object.keys(REPORT_FRAMEWORKS).join(', ')}`,
  );
}

/** Every rule and detection with its framework references. */
export function mappedRules(): Array<ReportRule & { frameworks: readonly string[] }> {
  return [
    ...loadSecretRules().map((r) => ({
      id: r.id,
      kind: 'secret' as const,
      title: r.title,
      severity: r.severity,
      frameworks: r.frameworks,
    })),
    ...[...loadPostureRules().values()].map((r) => ({
      id: r.id,
      kind: 'posture' as const,
      title: r.title,
      severity: r.severity,
      frameworks: r.frameworks,
    })),
    ...[...loadGraphPostureRules().values()].map((r) => ({
      id: r.id,
      kind: 'graph' as const,
      title: r.title,
      severity: r.severity,
      frameworks: r.frameworks,
    })),
    ...DETECTIONS.map((d) => ({
      id: d.meta.id,
      kind: 'detection' as const,
      title: d.meta.title,
      severity: d.meta.severity,
      frameworks: d.meta.frameworks,
    })),
  ];
}

/** The controls of `catalogue` each rule id maps to. */
function controlsByRule(catalogue: Catalogue, rules: ReturnType<typeof mappedRules>): Map<string, string[]> {
  const prefix = `${catalogue.id}/`;
  const out = new Map<string, string[]>();
  for (const r of rules) {
    const ids = r.frameworks.filter((f) => f.startsWith(prefix)).map((f) => f.slice(prefix.length));
    if (ids.length > 0) out.set(r.id, ids);
  }
  return out;
}

/**
 * Builds the report of one framework from the rules and detections, and, when a store is given, the
 * findings and alerts stored in it.
 * @example const report = await frameworkReport('owasp-nhi', store);
 */
export async function frameworkReport(name: string, store?: StoreTarget, now = new Date()): Promise<FrameworkReport> {
  const catalogueId = reportCatalogueId(name);
  const catalogue = loadCatalogues().get(catalogueId);
  if (catalogue === undefined)
    throw new WardenError('WARDEN_FRAMEWORK_REF_UNKNOWN', `no catalogue ${catalogueId} under frameworks/`);
  const rules = mappedRules();
  const byRule = controlsByRule(catalogue, rules);
  const controls = new Map<string, ReportControl>(
    catalogue.controls.map((c) => [
      c.id,
      {
        id: c.id,
        title: c.title,
        description: c.description,
        covered: false,
        rules: [],
        findings: { total: 0, items: [] },
        alerts: { total: 0, open: 0, items: [] },
      },
    ]),
  );
  for (const r of rules)
    for (const c of byRule.get(r.id) ?? []) {
      const control = controls.get(c);
      if (!control) continue;
      control.covered = true;
      control.rules.push({ id: r.id, kind: r.kind, title: r.title, severity: r.severity });
    }
  const placed =
    store === undefined
      ? { findings: 0, alerts: 0, openAlerts: 0 }
      : await placeStored(store, byRule, controls, new Map(rules.map((r) => [r.id, r.title])));
  const list = [...controls.values()];
  return {
    framework: { name, id: catalogue.id, title: catalogue.title, version: catalogue.version, source: catalogue.source },
    generatedAt: now.toISOString(),
    summary: {
      controls: list.length,
      covered: list.filter((c) => c.covered).length,
      withFindings: list.filter((c) => c.findings.total + c.alerts.total > 0).length,
      ...placed,
    },
    controls: list,
  };
}

const CLOSED = new Set(['resolved', 'suppressed']);

/**
 * Places the stored leaked-secret findings and the alerts under the controls their rule or detection
 * maps to; returns how many of each fall under at least one control.
 */
async function placeStored(
  store: StoreTarget,
  byRule: Map<string, string[]>,
  controls: Map<string, ReportControl>,
  titles: ReadonlyMap<string, string>,
): Promise<{ findings: number; alerts: number; openAlerts: number }> {
  const placed = { findings: 0, alerts: 0, openAlerts: 0 };
  const db = queryable(store);
  const findings = await db
    .selectFrom('graph_nodes')
    .select(['id', 'props'])
    .where('kind', '=', 'finding')
    .orderBy('id')
    .execute();
  for (const row of findings) {
    const p = JSON.parse(row.props) as Record<string, unknown>;
    const ruleId = String(p.ruleId ?? '');
    if (byRule.has(ruleId)) placed.findings++;
    for (const c of byRule.get(ruleId) ?? []) {
      const control = controls.get(c)!;
      control.findings.total++;
      if (control.findings.items.length < LISTED)
        control.findings.items.push({
          id: row.id,
          ruleId,
          severity: String(p.severity ?? 'info'),
          repository: String(p.repository ?? '.'),
          path: String(p.path ?? ''),
          line: Number(p.line ?? 0),
          ...(typeof p.commit === 'string' ? { commit: p.commit } : {}),
        });
    }
  }
  // Counts by detection and status in SQL, so a store with millions of alerts is counted whole.
  const counts = await db
    .selectFrom('alerts')
    .select(['detection_id', 'status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(['detection_id', 'status'])
    .execute();
  for (const r of counts) {
    if (byRule.has(r.detection_id)) {
      placed.alerts += Number(r.n);
      if (!CLOSED.has(r.status)) placed.openAlerts += Number(r.n);
    }
    for (const c of byRule.get(r.detection_id) ?? []) {
      const control = controls.get(c)!;
      control.alerts.total += Number(r.n);
      if (!CLOSED.has(r.status)) control.alerts.open += Number(r.n);
    }
  }
  const recent = await db
    .selectFrom('alerts')
    .select(['uid', 'detection_id', 'identity_id', 'severity', 'status', 'last_seen'])
    .orderBy('last_seen', 'desc')
    .orderBy('uid')
    .limit(ALERT_SCAN)
    .execute();
  for (const r of recent)
    for (const c of byRule.get(r.detection_id) ?? []) {
      const control = controls.get(c)!;
      if (control.alerts.items.length >= LISTED) continue;
      control.alerts.items.push({
        uid: r.uid,
        detectionId: r.detection_id,
        // The detection's title (an alert's title is its detection's), so no alert document is parsed.
        title: titles.get(r.detection_id) ?? r.detection_id,
        severity: r.severity,
        identity: r.identity_id,
        status: r.status,
        lastSeen: new Date(Number(r.last_seen)).toISOString(),
      });
    }
  return placed;
}
