/*
 * The dashboard's one way to the server: same-origin fetches with the session cookie (HttpOnly, so
 * script never sees it) and, on writes, the CSRF token the session handed out, echoed in a header.
 */

export type Role = 'viewer' | 'analyst' | 'admin' | 'ingest' | 'workload';
export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';
export const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

export interface Session {
  name: string;
  role: Role;
  csrf: string;
  /** Whether the server has the response routes (plan, apply). */
  respond?: boolean;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let csrf = '';
let onUnauthorized: () => void = () => {};

export function setSession(s: Session | undefined): void {
  csrf = s?.csrf ?? '';
}
export function whenUnauthorized(fn: () => void): void {
  onUnauthorized = fn;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-warden-csrf'] = csrf;
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (res.status === 401 && path !== '/v1/session') onUnauthorized();
  if (!res.ok) {
    let detail = res.statusText;
    try {
      const p = (await res.json()) as { detail?: string; title?: string };
      detail = p.detail ?? p.title ?? detail;
    } catch {
      // Not a problem document: keep the status text.
    }
    throw new ApiError(res.status, detail);
  }
  return res.status === 204 ? (undefined as T) : ((await res.json()) as T);
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  del: <T>(path: string) => request<T>('DELETE', path),
};

/** What a role may press. Mirrors the server's route roles; the server decides regardless. */
export function can(role: Role | undefined, what: 'triage' | 'plan' | 'apply'): boolean {
  if (role === 'admin') return true;
  if (role === 'analyst') return what !== 'apply';
  return false;
}

export function qs(params: Record<string, string | number | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

// Shapes the server returns (src/store/dashboard.ts, graph-query.ts, scan-findings.ts).
export interface RiskFactor {
  factor: 'exposure' | 'privilege' | 'activity' | 'reachability';
  /** The multiplier this factor contributes (1 = neutral). */
  weight: number;
  reasons: string[];
}
export interface RiskRow {
  id: string;
  kind: 'identity' | 'finding';
  label: string;
  score: number;
  band: Severity;
  factors: RiskFactor[];
  detail: Record<string, unknown>;
}
export interface AlertSummary {
  uid: string;
  detectionId: string;
  title: string;
  severity: Severity;
  status: string;
  identity: string;
  identityName: string;
  credential?: string;
  firstSeen: string;
  lastSeen: string;
  count: number;
  risk?: number;
}
export interface Overview {
  identities: { total: number; bands: Record<Severity, number>; top: RiskRow[] };
  incidents: { open: number; top: AlertSummary[] };
  alerts: { total: number; open: number; byStatus: Record<string, number> };
  alertsOverTime: Array<{ day: string } & Record<Severity, number>>;
  exposure: Record<string, number>;
  findings: { leaked: number; repositories: number };
  frameworks: Array<{ name: string; title: string; version: string; controls: number; covered: number; withFindings: number }>;
}
export interface IdentityEvent {
  id: string;
  time: string;
  source: string;
  action: string;
  resource?: { id?: string; type?: string };
  outcome: string;
  client: { ip?: string; region?: string; userAgent?: string; workload?: string; environment?: string };
  raw?: { file?: string; offset?: number; line?: number; index?: number; pointer?: string; [k: string]: unknown };
}
export interface Alert {
  uid: string;
  detectionId: string;
  title: string;
  severity: Severity;
  message: string;
  identity: { id: string; type: string; name?: string };
  credential?: { key: string; type: string };
  firstSeen: string;
  lastSeen: string;
  count: number;
  evidences: IdentityEvent[];
  anomaly?: { parameter: string; pattern: string; observed: string[]; expected: string[] };
  frameworks: string[];
  attacks: Array<{ id: string; name: string; tactic: string }>;
}
export interface Evidence {
  subject: { id: string; kind: string; label: string; props: Record<string, unknown>; firstSeen: number; lastSeen: number };
  risk?: RiskRow;
  identities: string[];
  credentials: Array<{ id: string; label: string; exposure: { status: string; foundAt?: number; revokedAt?: number } }>;
  findings: Array<{
    id: string;
    label: string;
    ruleId: string;
    severity: string;
    repository: string;
    path: string;
    line: number;
    commit?: string;
  }>;
  uses: Array<{
    credential: string;
    source: string;
    count: number;
    firstSeen: number;
    lastSeen: number;
    unknown: boolean;
    event?: Record<string, unknown>;
  }>;
  alerts: Alert[];
}
export interface AlertDetail {
  alert: Alert;
  status: string;
  triage?: { reason: string; by: string; at: string };
  risk?: RiskRow;
  evidence?: Evidence;
}
export interface BlastGroup {
  key: string;
  label: string;
  kind: 'identity' | 'credential' | 'resource' | 'policy' | 'workload';
  count: number;
  admin: boolean;
  access?: string;
  via: string;
  members: Array<{ id: string; actions?: string[]; admin?: boolean }>;
}
export interface Blast {
  start: string;
  truncated: boolean;
  totals: Record<string, number>;
  groups: BlastGroup[];
}
/** An identity's entry in the policy manifest, as the server enforces it (src/policy/declaration.ts). */
export interface Declaration {
  name: string;
  owner: string;
  description?: string;
  declaredAt: string;
  match: string[];
  environments?: string[];
  allow?: Array<{ id: string; at: string; actions: string[]; resources: string[] }>;
  sources?: { networks?: string[]; regions?: string[] };
  windows?: string[];
  credentials?: { maxLifetime?: string; longLived?: boolean };
  agent?: { tools?: string[]; destinations?: string[] };
  response?: { automatic: boolean };
  trust: Array<{ issuer: string; audience: string; subject: string; at: string }>;
  changes: Array<{ reason: string; from: string; to: string; at: string }>;
}
export interface IdentityPage {
  node: Evidence['subject'];
  risk?: RiskRow;
  evidence: Evidence;
  blast: Blast;
  /** Absent when the manifest does not declare the identity (or the server has none). */
  manifest?: Declaration;
}
export interface FindingRow {
  id: string;
  repository: string;
  kind: 'secret' | 'posture';
  ruleId: string;
  title: string;
  severity: Severity;
  path: string;
  line: number;
  commit?: string;
  preview: string;
  fingerprint: string;
  message: string;
  frameworks: string[];
  foundAt: string;
}
