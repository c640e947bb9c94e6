import { type AlertSummary, api, qs, type Session } from '../api';
import {
  Card,
  Choice,
  identityHref,
  Link,
  Loading,
  Score,
  SEVERITY_CHOICES,
  Sev,
  Table,
  useData,
  useUrlFilters,
  when,
} from '../ui';
import { bandOf } from './overview';

const LIMIT = 25;
const STATES = ['open', 'acknowledged', 'resolved', 'suppressed'];

/** Alerts and incidents: filters and sort live in the URL, so a view can be shared and the back button works. */
export function AlertsPage(_: { session: Session }) {
  const { f, key, set } = useUrlFilters('/alerts', { status: '', severity: '', identity: '', detection: '', sort: 'risk' });
  const { data, error, loading } = useData(
    () =>
      api.get<{ items: AlertSummary[]; total: number }>(`/v1/dashboard/alerts${qs({ ...f, offset: f.offset, limit: LIMIT })}`),
    [key],
  );
  const sortButton = (col: string, label: string) => (
    <button type="button" className="sort" onClick={() => set({ sort: col })} aria-label={`Sort by ${label}`}>
      {label} {f.sort === col ? '▾' : ''}
    </button>
  );
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Alerts &amp; incidents</h1>
          <p className="sub">
            Every detection episode, riskiest identity first. Open one to see the events behind it and to triage it.
          </p>
        </div>
      </div>
      <Card>
        <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="filters">
          <Choice label="State" value={f.status} options={STATES} onChange={(status) => set({ status })} />
          <Choice
            label="Severity at least"
            value={f.severity}
            options={SEVERITY_CHOICES}
            onChange={(severity) => set({ severity })}
          />
          <label>
            Identity contains
            <input
              type="search"
              defaultValue={f.identity}
              onKeyDown={(e) => e.key === 'Enter' && set({ identity: e.currentTarget.value })}
              onBlur={(e) => e.currentTarget.value !== f.identity && set({ identity: e.currentTarget.value })}
              placeholder="svc-, arn:aws:…"
            />
          </label>
          <label>
            Sort
            <select value={f.sort} onChange={(e) => set({ sort: e.target.value })}>
              <option value="risk">identity risk</option>
              <option value="severity">severity</option>
              <option value="recent">most recent</option>
            </select>
          </label>
        </form>
        <Loading error={error} loading={loading && !data} />
        {data && (
          <Table
            columns={[
              { label: sortButton('severity', 'Severity') },
              'Alert',
              'Identity',
              'State',
              { label: 'Events', wide: true },
              { label: sortButton('recent', 'Last seen (UTC)'), wide: true },
              { label: sortButton('risk', 'Risk') },
            ]}
            empty={data.items.length === 0 && <p className="empty">No alert matches these filters.</p>}
            page={{ offset: f.offset, limit: LIMIT, total: data.total, onPage: (offset) => set({ offset }) }}
          >
            {data.items.map((a) => (
              <tr key={a.uid}>
                <td>
                  <Sev s={a.severity} />
                </td>
                <td>
                  <Link to={`/alerts/${encodeURIComponent(a.uid)}`}>{a.title}</Link>
                  <div className="muted mono">{a.detectionId}</div>
                </td>
                <td style={{ maxWidth: 280 }}>
                  <Link to={identityHref(a.identity)}>
                    <span className="mono">{a.identityName}</span>
                  </Link>
                </td>
                <td>
                  <span className="pill">{a.status}</span>
                </td>
                <td className="hide-sm">{a.count}</td>
                <td className="hide-sm" style={{ whiteSpace: 'nowrap' }}>
                  {when(a.lastSeen)}
                </td>
                <td>
                  <Score score={a.risk} band={a.risk !== undefined ? bandOf(a.risk) : undefined} />
                </td>
              </tr>
            ))}
          </Table>
        )}
      </Card>
    </>
  );
}
