import { api, qs } from '../api';
import { Card, identityHref, Link, Loading, navigate, Pager, Score, useData, useLocation, when } from '../ui';

const LIMIT = 50;

interface IdentityRow {
  id: string;
  label: string;
  type: string;
  lastSeen: number;
  score?: number;
  band?: 'critical' | 'high' | 'medium' | 'low' | 'info';
  detail?: { exposure: string; credentials: number; owners: string[]; alerts: number; posture: unknown[] };
}

/** Every identity, riskiest first (the order of `warden risk`), paged on the server. */
export function IdentitiesPage() {
  const { query } = useLocation();
  const offset = Number(query.get('offset') ?? 0) || 0;
  const { data, error, loading } = useData(
    () => api.get<{ items: IdentityRow[]; total: number }>(`/v1/dashboard/identities${qs({ offset, limit: LIMIT })}`),
    [offset],
  );
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Identities</h1>
          <p className="sub">Service accounts, keys, CI and agent identities, highest risk first.</p>
        </div>
      </div>
      <Card>
        <Loading error={error} loading={loading && !data} />
        {data && (
          <>
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Risk</th>
                    <th scope="col">Identity</th>
                    <th scope="col">Type</th>
                    <th scope="col" className="hide-sm">
                      Owner
                    </th>
                    <th scope="col" className="hide-sm">
                      Credentials
                    </th>
                    <th scope="col" className="hide-sm">
                      Open alerts
                    </th>
                    <th scope="col" className="hide-sm">
                      Last seen (UTC)
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((r) => (
                    <tr key={r.id}>
                      <td>
                        <Score score={r.score} band={r.band} />
                      </td>
                      <td style={{ maxWidth: 360 }}>
                        <Link to={identityHref(r.id)}>
                          <span className="mono">{r.label}</span>
                        </Link>
                      </td>
                      <td>{r.type}</td>
                      <td className="hide-sm">{r.detail?.owners.join(', ') || <span className="muted">none</span>}</td>
                      <td className="hide-sm">{r.detail?.credentials ?? '–'}</td>
                      <td className="hide-sm">{r.detail?.alerts ?? '–'}</td>
                      <td className="hide-sm" style={{ whiteSpace: 'nowrap' }}>
                        {when(r.lastSeen)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager
              offset={offset}
              limit={LIMIT}
              total={data.total}
              onPage={(o) => navigate(`/identities${qs({ offset: o || undefined })}`)}
            />
          </>
        )}
      </Card>
    </>
  );
}
