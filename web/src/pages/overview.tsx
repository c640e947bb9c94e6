import { api, type Overview, SEVERITIES } from '../api';
import { AlertsChart, Donut } from '../charts';
import {
  Card,
  EXPOSURE_COLOR,
  exposureLabel,
  identityHref,
  Link,
  Loading,
  Score,
  SEV_COLOR,
  Sev,
  Table,
  useData,
  when,
} from '../ui';

export function OverviewPage() {
  const { data, error, loading } = useData(() => api.get<Overview>('/v1/dashboard/overview'), []);
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Overview</h1>
          <p className="sub">
            Risk across every non-human identity, what needs a decision now, and how the estate maps to the frameworks.
          </p>
        </div>
      </div>
      <Loading error={error} loading={loading && !data} />
      {data && <OverviewBody o={data} />}
    </>
  );
}

function OverviewBody({ o }: { o: Overview }) {
  const bands = SEVERITIES.map((s) => ({ s, n: o.identities.bands[s] ?? 0 }));
  const exposure = Object.entries(o.exposure)
    .sort((a, b) => Object.keys(EXPOSURE_COLOR).indexOf(a[0]) - Object.keys(EXPOSURE_COLOR).indexOf(b[0]))
    .map(([k, v]) => ({ key: k, label: exposureLabel(k), value: v, color: EXPOSURE_COLOR[k] ?? 'var(--info)' }));
  return (
    <div className="grid" style={{ gap: 16 }}>
      <div className="grid cols-4">
        <div className="card stat">
          <span className="label">Identities scored</span>
          <b>{o.identities.total.toLocaleString()}</b>
          <span className="muted">
            {(o.identities.bands.critical ?? 0) + (o.identities.bands.high ?? 0)} at high or critical risk
          </span>
        </div>
        <div className="card stat">
          <span className="label">Open incidents</span>
          <b className={o.incidents.open > 0 ? 'critical' : 'ok'}>{o.incidents.open.toLocaleString()}</b>
          <span className="muted">high and critical alerts not yet resolved</span>
        </div>
        <div className="card stat">
          <span className="label">Open alerts</span>
          <b>{o.alerts.open.toLocaleString()}</b>
          <span className="muted">of {o.alerts.total.toLocaleString()} raised</span>
        </div>
        <div className="card stat">
          <span className="label">Leaked-secret findings</span>
          <b>{o.findings.leaked.toLocaleString()}</b>
          <span className="muted">
            in {o.findings.repositories} repositor{o.findings.repositories === 1 ? 'y' : 'ies'}
          </span>
        </div>
      </div>

      <div className="grid cols-3-1">
        <Card title="Alerts over time" actions={<span className="muted">first seen, UTC</span>}>
          <AlertsChart series={o.alertsOverTime} />
        </Card>
        <Card title="Risk by band">
          <div className="bandbar" role="img" aria-label={bands.map((b) => `${b.n} ${b.s}`).join(', ')}>
            {bands.map((b) =>
              b.n > 0 ? (
                <span key={b.s} style={{ flex: Math.max(b.n, o.identities.total / 60), background: SEV_COLOR[b.s] }} />
              ) : null,
            )}
          </div>
          <ul className="list">
            {bands.map((b) => (
              <li key={b.s}>
                <Sev s={b.s} />
                <span className="grow" />
                <b>{b.n.toLocaleString()}</b>
              </li>
            ))}
          </ul>
        </Card>
      </div>

      <div className="grid cols-3-1">
        <Card title="Open incidents" actions={<Link to="/alerts?status=open&sort=risk">All alerts →</Link>}>
          {o.incidents.top.length === 0 ? (
            <p className="empty">No open high or critical alert.</p>
          ) : (
            <ul className="list" aria-label="open incidents, riskiest identity first">
              {o.incidents.top.map((a) => (
                <li key={a.uid}>
                  <Sev s={a.severity} />
                  <div className="grow">
                    <Link to={`/alerts/${encodeURIComponent(a.uid)}`} className="incident">
                      <b>{a.title}</b>
                    </Link>
                    <div className="muted ellipsis mono" title={a.identity}>
                      {a.identityName}
                    </div>
                  </div>
                  <span className="muted hide-sm" style={{ whiteSpace: 'nowrap' }}>
                    {when(a.lastSeen)}
                  </span>
                  <Score score={a.risk} band={a.risk !== undefined ? bandOf(a.risk) : undefined} />
                </li>
              ))}
            </ul>
          )}
        </Card>
        <Card title="Leaked credentials by exposure">
          <Donut parts={exposure} label="Leaked credentials by exposure status" />
        </Card>
      </div>

      <div className="grid cols-2">
        <Card title="Riskiest identities" actions={<Link to="/identities">All identities →</Link>}>
          <Table columns={['Risk', 'Identity', { label: 'Why', wide: true }]}>
            {o.identities.top.map((r) => (
              <tr key={r.id}>
                <td>
                  <Score score={r.score} band={r.band} />
                </td>
                <td style={{ maxWidth: 200 }}>
                  <Link to={identityHref(r.id)} title={r.id}>
                    <span className="mono ellipsis" style={{ display: 'block' }}>
                      {r.label}
                    </span>
                  </Link>
                </td>
                <td className="muted hide-sm" style={{ minWidth: 200 }}>
                  {r.factors[0]?.reasons[0] ?? ''}
                </td>
              </tr>
            ))}
          </Table>
        </Card>
        <Card title="Framework coverage" actions={<Link to="/reports">Reports →</Link>}>
          <ul className="list">
            {o.frameworks.map((f) => {
              const pct = f.controls === 0 ? 0 : Math.round((100 * f.covered) / f.controls);
              return (
                <li key={f.name}>
                  <div className="grow">
                    <Link to={`/reports?framework=${f.name}`}>{f.title}</Link> <span className="muted">{f.version}</span>
                    <div
                      className="bandbar"
                      style={{ height: 6, margin: '6px 0 0' }}
                      role="img"
                      aria-label={`${pct}% of controls covered`}
                    >
                      <span style={{ width: `${pct}%`, background: 'var(--ok)' }} />
                    </div>
                  </div>
                  <span style={{ whiteSpace: 'nowrap' }}>
                    <b>{f.covered}</b>/{f.controls}
                  </span>
                  <span className={`pill ${f.withFindings > 0 ? 'high' : ''}`} title="controls with findings or alerts">
                    {f.withFindings} hit
                  </span>
                </li>
              );
            })}
          </ul>
        </Card>
      </div>
    </div>
  );
}

export function bandOf(score: number): 'critical' | 'high' | 'medium' | 'low' | 'info' {
  // The same cut-offs as src/correlate/risk.ts.
  return score >= 70 ? 'critical' : score >= 50 ? 'high' : score >= 30 ? 'medium' : 'low';
}
