import { api, type FindingRow, qs } from '../api';
import { Card, Choice, Link, Loading, SEVERITY_CHOICES, Sev, Table, useData, useUrlFilters } from '../ui';

const LIMIT = 50;

/** Findings from uploaded scans, by repository, file and line. Only the redacted preview and fingerprint ever reach the page. */
export function FindingsPage() {
  const { f, key, set } = useUrlFilters('/findings', { repository: '', kind: '', severity: '' });
  const { data, error, loading } = useData(
    () =>
      api.get<{
        items: FindingRow[];
        total: number;
        repositories: Array<{ repository: string; secret: number; posture: number }>;
      }>(`/v1/dashboard/findings${qs({ ...f, limit: LIMIT })}`),
    [key],
  );
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Findings</h1>
          <p className="sub">
            Leaked secrets and risky identity configuration from uploaded scans. Secrets are never shown: a redacted preview and
            the SHA-256 fingerprint only.
          </p>
        </div>
      </div>
      <div className="grid cols-3-1" style={{ gridTemplateColumns: 'minmax(0,1fr) minmax(0,3fr)' }}>
        <Card title="Repositories">
          <ul className="list">
            <li>
              <Link to="/findings" current={f.repository === ''}>
                All repositories
              </Link>
            </li>
            {data?.repositories.map((r) => (
              <li key={r.repository}>
                <Link
                  to={`/findings${qs({ repository: r.repository })}`}
                  current={f.repository === r.repository}
                  className="grow"
                >
                  <span className="mono">{r.repository}</span>
                </Link>
                <span className="pill" title="secrets">
                  {r.secret} secret
                </span>
                <span className="pill" title="posture">
                  {r.posture} posture
                </span>
              </li>
            ))}
          </ul>
        </Card>
        <Card>
          <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="filters">
            <Choice
              label="Kind"
              value={f.kind}
              options={[
                ['secret', 'leaked secret'],
                ['posture', 'posture'],
              ]}
              onChange={(kind) => set({ kind })}
            />
            <Choice
              label="Severity at least"
              value={f.severity}
              options={SEVERITY_CHOICES}
              onChange={(severity) => set({ severity })}
            />
          </form>
          <Loading error={error} loading={loading && !data} />
          {data && (
            <Table
              columns={['Severity', 'Location', 'Finding', { label: 'Preview', wide: true }]}
              empty={
                data.items.length === 0 && (
                  <p className="empty">No finding. Upload a scan with POST /v1/scans or warden import.</p>
                )
              }
              page={{ offset: f.offset, limit: LIMIT, total: data.total, onPage: (offset) => set({ offset }) }}
            >
              {data.items.map((x) => (
                <tr key={x.id} data-finding={x.id}>
                  <td>
                    <Sev s={x.severity} />
                  </td>
                  <td style={{ maxWidth: 340 }}>
                    <div className="muted mono">{x.repository}</div>
                    <span className="mono location">
                      {x.path}:{x.line}
                    </span>
                    {x.commit && <div className="muted mono">commit {x.commit.slice(0, 12)}</div>}
                  </td>
                  <td>
                    {x.title}
                    <div className="muted mono">{x.ruleId}</div>
                  </td>
                  <td className="mono hide-sm" title={`SHA-256 ${x.fingerprint}`}>
                    {x.preview}
                  </td>
                </tr>
              ))}
            </Table>
          )}
        </Card>
      </div>
    </>
  );
}
