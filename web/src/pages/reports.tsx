import { api } from '../api';
import { Card, Link, Loading, navigate, Sev, useData, useLocation } from '../ui';

interface Report {
  framework: { name: string; title: string; version: string; source: string };
  summary: { controls: number; covered: number; withFindings: number; findings: number; alerts: number; openAlerts: number };
  controls: Array<{
    id: string;
    title: string;
    description: string;
    covered: boolean;
    rules: Array<{ id: string; kind: string; title: string; severity: string }>;
    findings: {
      total: number;
      items: Array<{ id: string; ruleId: string; severity: string; repository: string; path: string; line: number }>;
    };
    alerts: {
      total: number;
      open: number;
      items: Array<{ uid: string; title: string; severity: string; identity: string; status: string }>;
    };
  }>;
}

const FRAMEWORKS: Array<[string, string]> = [
  ['owasp-nhi', 'OWASP NHI Top 10'],
  ['nist-csf', 'NIST CSF 2.0'],
  ['nist-800-207', 'NIST SP 800-207'],
  ['owasp-agentic', 'OWASP Agentic'],
  ['csa-maestro', 'CSA MAESTRO'],
  ['nist-ai-rmf', 'NIST AI RMF'],
];

/** Framework reports: coverage per control with the findings and alerts under it; export as standalone HTML or JSON. */
export function ReportsPage() {
  const { query } = useLocation();
  const name = query.get('framework') ?? 'owasp-nhi';
  const { data, error, loading } = useData(() => api.get<Report>(`/v1/reports/${encodeURIComponent(name)}`), [name]);
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Reports</h1>
          <p className="sub">
            Which controls Warden's rules and detections cover, and which findings and alerts fall under each.
          </p>
        </div>
        <div className="row">
          <a className="btn" href={`/v1/reports/${encodeURIComponent(name)}?format=html&download=1`} download>
            Export HTML
          </a>
          <a className="btn" href={`/v1/reports/${encodeURIComponent(name)}?format=json&download=1`} download>
            Export JSON
          </a>
        </div>
      </div>
      <div className="row" role="tablist" aria-label="frameworks" style={{ marginBottom: 14 }}>
        {FRAMEWORKS.map(([id, label]) => (
          <button
            key={id}
            type="button"
            role="tab"
            aria-selected={id === name}
            className={id === name ? 'primary' : ''}
            onClick={() => navigate(`/reports?framework=${id}`)}
          >
            {label}
          </button>
        ))}
      </div>
      <Loading error={error} loading={loading && !data} />
      {data && (
        <div className="grid" style={{ gap: 14 }}>
          <div className="grid cols-4">
            <div className="card stat">
              <span className="label">Controls covered</span>
              <b>
                {data.summary.covered} / {data.summary.controls}
              </b>
            </div>
            <div className="card stat">
              <span className="label">Controls with findings or alerts</span>
              <b>{data.summary.withFindings}</b>
            </div>
            <div className="card stat">
              <span className="label">Findings</span>
              <b>{data.summary.findings}</b>
            </div>
            <div className="card stat">
              <span className="label">Alerts (open)</span>
              <b>
                {data.summary.alerts} ({data.summary.openAlerts})
              </b>
            </div>
          </div>
          {data.controls.map((c) => (
            <Card key={c.id}>
              <div className="row">
                <b className="mono">{c.id}</b>
                <h3 style={{ margin: 0 }}>{c.title}</h3>
                <span className="spacer" />
                <span className={`pill ${c.covered ? 'ok' : ''}`}>
                  {c.covered ? `covered by ${c.rules.length}` : 'not covered'}
                </span>
                {c.findings.total > 0 && <span className="pill high">{c.findings.total} finding(s)</span>}
                {c.alerts.total > 0 && <span className="pill high">{c.alerts.total} alert(s)</span>}
              </div>
              <p className="muted" style={{ margin: '6px 0' }}>
                {c.description}
              </p>
              {(c.findings.items.length > 0 || c.alerts.items.length > 0) && (
                <ul className="list">
                  {c.findings.items.slice(0, 5).map((f) => (
                    <li key={f.id}>
                      <Sev s={f.severity} />
                      <Link to={`/findings?repository=${encodeURIComponent(f.repository)}`}>
                        <span className="mono">
                          {f.repository}: {f.path}:{f.line}
                        </span>
                      </Link>
                      <span className="muted mono">{f.ruleId}</span>
                    </li>
                  ))}
                  {c.alerts.items.slice(0, 5).map((a) => (
                    <li key={a.uid}>
                      <Sev s={a.severity} />
                      <Link to={`/alerts/${encodeURIComponent(a.uid)}`}>{a.title}</Link>
                      <span className="muted mono ellipsis">{a.identity}</span>
                    </li>
                  ))}
                </ul>
              )}
            </Card>
          ))}
        </div>
      )}
    </>
  );
}
