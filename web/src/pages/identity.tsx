import { api, type IdentityPage as Data, type Declaration, type Evidence, qs } from '../api';
import { BlastGraph } from '../graph';
import { Card, EXPOSURE_COLOR, exposureLabel, Link, Loading, Score, Sev, Table, useData, when } from '../ui';

interface Posture {
  ruleId: string;
  title: string;
  severity: string;
  message: string;
  remediation: string;
}

/** One identity: who owns it, its credentials and their exposure, what it did, why it scores, what it can reach. */
export function IdentityPage({ id }: { id: string }) {
  const { data, error, loading } = useData(() => api.get<Data>(`/v1/dashboard/identity${qs({ id })}`), [id]);
  return (
    <>
      <Loading error={error} loading={loading && !data} />
      {data && <IdentityBody d={data} />}
    </>
  );
}

function timeline(ev: Evidence): Array<{ t: number; kind: 'leak' | 'use' | 'alert' | 'seen'; text: string }> {
  const out: Array<{ t: number; kind: 'leak' | 'use' | 'alert' | 'seen'; text: string }> = [];
  out.push({ t: ev.subject.firstSeen, kind: 'seen', text: 'First seen' });
  for (const c of ev.credentials) {
    if (c.exposure.foundAt !== undefined)
      out.push({ t: c.exposure.foundAt, kind: 'leak', text: `${c.label} exposed in a repository` });
    if (c.exposure.revokedAt !== undefined) out.push({ t: c.exposure.revokedAt, kind: 'seen', text: `${c.label} revoked` });
  }
  for (const u of ev.uses.slice(0, 12))
    out.push({
      t: u.firstSeen,
      kind: u.unknown ? 'alert' : 'use',
      text: `First use from ${u.source.replace(/^(network|workload):/, '')}${u.unknown ? ' (unknown source)' : ''}, ${u.count} call(s) until ${when(u.lastSeen)}`,
    });
  for (const a of ev.alerts.slice(0, 12))
    out.push({ t: Date.parse(a.firstSeen), kind: 'alert', text: `${a.severity}: ${a.title}` });
  out.push({ t: ev.subject.lastSeen, kind: 'seen', text: 'Last seen' });
  return out.sort((a, b) => a.t - b.t);
}

function IdentityBody({ d }: { d: Data }) {
  const ev = d.evidence;
  const detail = (d.risk?.detail ?? {}) as { owners?: string[]; posture?: Posture[]; type?: string; workloads?: number };
  const props = d.node.props as Record<string, unknown>;
  const manifest = d.manifest;
  const owners = [...new Set([...(manifest ? [manifest.owner] : []), ...(detail.owners ?? [])])];
  const violations = ev.alerts.filter((a) => a.detectionId.startsWith('runtime.policy'));
  // The manifest answers "who owns it": the graph's no-owner finding does not stand beside a declared owner.
  const posture = (detail.posture ?? []).filter((p) => !(manifest && p.ruleId === 'graph.identity.no-owner'));
  return (
    <div className="grid" style={{ gap: 16 }}>
      <div className="page-head">
        <div style={{ minWidth: 0 }}>
          <p className="muted" style={{ margin: 0 }}>
            <Link to="/identities">Identities</Link> / {detail.type ?? String(props.type ?? 'identity')}
          </p>
          <h1 className="mono" style={{ fontSize: 19, wordBreak: 'break-all' }}>
            {d.node.label}
          </h1>
          <p className="sub mono">{d.node.id}</p>
        </div>
        {d.risk && (
          <div className="card stat" style={{ minWidth: 170 }}>
            <span className="label">Risk</span>
            <Score score={d.risk.score} band={d.risk.band} />
            <Sev s={d.risk.band} />
          </div>
        )}
      </div>

      <div className="grid cols-3-1">
        <Card title="Why it scores">
          {d.risk ? (
            <ul className="list">
              {d.risk.factors.map((f) => (
                <li key={f.factor} style={{ alignItems: 'flex-start' }}>
                  <b style={{ minWidth: 100 }}>{f.factor}</b>
                  <span className="grow">{f.reasons.join('; ')}</span>
                  <span className="mono muted">×{Math.round(f.weight * 100) / 100}</span>
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">Not scored yet.</p>
          )}
        </Card>
        <Card title="Owner and manifest">
          <dl className="kv">
            <dt>Owner</dt>
            <dd>{owners.length > 0 ? owners.join(', ') : <span className="high">no owner recorded</span>}</dd>
            <dt>Workloads</dt>
            <dd>{detail.workloads ?? 0}</dd>
            <dt>Manifest entry</dt>
            <dd>
              {manifest ? (
                <a href="#manifest-entry" className="mono">
                  {manifest.name} <span className="muted">{manifest.declaredAt}</span>
                </a>
              ) : (
                <span className="muted">not declared in the policy manifest</span>
              )}
            </dd>
          </dl>
        </Card>
      </div>

      <Card title="Credentials">
        <Table
          columns={['Credential', 'Exposure', 'Leaked since', 'Revoked']}
          empty={ev.credentials.length === 0 && <p className="empty">No credential of this identity in the graph.</p>}
        >
          {ev.credentials.map((c) => (
            <tr key={c.id}>
              <td className="mono">{c.label}</td>
              <td>
                <span style={{ color: EXPOSURE_COLOR[c.exposure.status] ?? 'inherit', fontWeight: 600 }}>
                  {exposureLabel(c.exposure.status)}
                </span>
              </td>
              <td>{when(c.exposure.foundAt)}</td>
              <td>{when(c.exposure.revokedAt)}</td>
            </tr>
          ))}
        </Table>
      </Card>

      {manifest && (
        <section id="manifest-entry" aria-label="Policy manifest entry">
          <Card title="Policy manifest entry">
            <ManifestEntry m={manifest} />
          </Card>
        </section>
      )}

      <Card title="Blast radius">
        <p className="muted" style={{ marginTop: 0 }}>
          {d.blast.totals.resources ?? 0} resources, {d.blast.totals.identities ?? 0} identities and{' '}
          {d.blast.totals.credentials ?? 0} credentials reachable. Objects of one bucket, mount or namespace are one node: open it
          to list them.
        </p>
        <BlastGraph blast={d.blast} subjectLabel={d.node.label} />
      </Card>

      <div className="grid cols-2">
        <Card title="Evidence chain">
          <h3>Leaks</h3>
          <ul className="list">
            {ev.findings.map((f) => (
              <li key={f.id}>
                <Sev s={f.severity} />
                <Link to={`/findings?repository=${encodeURIComponent(f.repository)}`} className="finding-location">
                  <span className="mono">
                    {f.repository}: {f.path}:{f.line}
                  </span>
                </Link>
              </li>
            ))}
            {ev.findings.length === 0 && <li className="muted">No leak found by uploaded scans.</li>}
          </ul>
          <h3 style={{ marginTop: 14 }}>Uses</h3>
          <ul className="list">
            {ev.uses.slice(0, 10).map((u) => (
              <li key={u.credential + u.source} style={{ display: 'block' }}>
                <span className="mono">{u.source.replace(/^(network|workload):/, '')}</span>{' '}
                {u.unknown && <span className="sev critical">unknown source</span>}{' '}
                <span className="muted">
                  {u.count} call(s) · last {when(u.lastSeen)}
                  {u.event?.file !== undefined
                    ? ` · raw ${String(u.event.file)}${u.event.line !== undefined ? `:${String(u.event.line)}` : ''}`
                    : ''}
                </span>
              </li>
            ))}
          </ul>
          <h3 style={{ marginTop: 14 }}>Alerts</h3>
          <ul className="list">
            {ev.alerts.slice(0, 10).map((a) => (
              <li key={a.uid}>
                <Sev s={a.severity} />
                <Link to={`/alerts/${encodeURIComponent(a.uid)}`}>{a.title}</Link>
                <span className="spacer" />
                <span className="muted">{when(a.lastSeen)}</span>
              </li>
            ))}
            {ev.alerts.length === 0 && <li className="muted">No alert.</li>}
          </ul>
        </Card>
        <Card title="Activity timeline">
          <ol className="timeline">
            {timeline(ev).map((t) => (
              <li key={`${t.t}-${t.kind}-${t.text}`} className={t.kind}>
                <span className="muted mono">{when(t.t)}</span>
                <div>{t.text}</div>
              </li>
            ))}
          </ol>
        </Card>
      </div>

      <Card title="Policy violations and posture">
        <ul className="list">
          {violations.map((a) => (
            <li key={a.uid}>
              <Sev s={a.severity} />
              <Link to={`/alerts/${encodeURIComponent(a.uid)}`}>{a.title}</Link>
              <span className="grow muted">{a.message}</span>
            </li>
          ))}
          {posture.map((p) => (
            <li key={p.ruleId} style={{ alignItems: 'flex-start' }}>
              <Sev s={p.severity} />
              <div className="grow">
                <b>{p.title}</b> <span className="muted mono">{p.ruleId}</span>
                <div>{p.message}</div>
                <div className="muted">Fix: {p.remediation}</div>
              </div>
            </li>
          ))}
          {violations.length === 0 && posture.length === 0 && <li className="muted">No policy violation or posture finding.</li>}
        </ul>
      </Card>
    </div>
  );
}

/** The identity's manifest entry: what it may do, from where, when, and with what credentials, each part with its file:line. */
function ManifestEntry({ m }: { m: Declaration }) {
  const list = (xs: string[] | undefined) => (xs && xs.length > 0 ? xs.join(', ') : 'any');
  return (
    <div className="manifest-entry">
      <p style={{ margin: 0 }}>
        <b className="mono">{m.name}</b> <span className="muted mono">{m.declaredAt}</span>
      </p>
      {m.description && <p style={{ margin: '4px 0' }}>{m.description}</p>}
      <dl className="kv">
        {m.environments && (
          <>
            <dt>Environments</dt>
            <dd>{m.environments.join(', ')}</dd>
          </>
        )}
        <dt>Allowed</dt>
        <dd>
          {m.allow === undefined ? (
            <span className="muted">actions not constrained</span>
          ) : m.allow.length === 0 ? (
            <span className="high">nothing</span>
          ) : (
            <ul className="list compact">
              {m.allow.map((a) => (
                <li key={a.id} title={a.at}>
                  <span className="mono">{a.actions.join(', ')}</span>
                  <span className="muted"> on </span>
                  <span className="mono">{a.resources.join(', ')}</span>
                </li>
              ))}
            </ul>
          )}
        </dd>
        {m.sources && (
          <>
            <dt>From</dt>
            <dd className="mono">
              {list(m.sources.networks)}; regions {list(m.sources.regions)}
            </dd>
          </>
        )}
        {m.windows && (
          <>
            <dt>When</dt>
            <dd className="mono">{m.windows.join('; ')}</dd>
          </>
        )}
        {m.credentials && (
          <>
            <dt>Credentials</dt>
            <dd>
              {[
                m.credentials.maxLifetime && `live at most ${m.credentials.maxLifetime}`,
                m.credentials.longLived === false && 'no long-lived keys',
              ]
                .filter(Boolean)
                .join(' · ')}
            </dd>
          </>
        )}
        {m.agent && (
          <>
            <dt>Agent tools</dt>
            <dd className="mono">{list(m.agent.tools)}</dd>
          </>
        )}
        {m.response && (
          <>
            <dt>Response</dt>
            <dd>{m.response.automatic ? 'automatic allowed' : 'a person approves every playbook'}</dd>
          </>
        )}
        {m.trust.length > 0 && (
          <>
            <dt>Just-in-time</dt>
            <dd className="mono">{m.trust.map((t) => `${t.subject} @ ${t.issuer}`).join('; ')}</dd>
          </>
        )}
        {m.changes.length > 0 && (
          <>
            <dt>Declared changes</dt>
            <dd>
              {m.changes.map((c) => (
                <div key={c.at}>
                  {c.reason}{' '}
                  <span className="muted">
                    ({when(Date.parse(c.from))} → {when(Date.parse(c.to))})
                  </span>
                </div>
              ))}
            </dd>
          </>
        )}
      </dl>
    </div>
  );
}
