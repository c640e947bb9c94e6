import { api, qs } from '../api';
import { Card, identityHref, Link, Loading, Score, Table, useData, useUrlFilters, when } from '../ui';

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
  const { f, key, set } = useUrlFilters('/identities', {});
  const { data, error, loading } = useData(
    () => api.get<{ items: IdentityRow[]; total: number }>(`/v1/dashboard/identities${qs({ offset: f.offset, limit: LIMIT })}`),
    [key],
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
          <Table
            columns={[
              'Risk',
              'Identity',
              'Type',
              { label: 'Owner', wide: true },
              { label: 'Credentials', wide: true },
              { label: 'Open alerts', wide: true },
              { label: 'Last seen (UTC)', wide: true },
            ]}
            page={{ offset: f.offset, limit: LIMIT, total: data.total, onPage: (offset) => set({ offset }) }}
          >
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
          </Table>
        )}
      </Card>
    </>
  );
}
