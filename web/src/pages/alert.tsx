import { useState } from 'react';
import { type AlertDetail, ApiError, api, can, type Session } from '../api';
import { Card, exposureLabel, identityHref, Link, Loading, Score, Sev, Toast, useData, when } from '../ui';

const STATES = ['open', 'acknowledged', 'resolved', 'suppressed'];

/** One alert: what happened, the evidence chain (leak → uses → alerts), the events behind it, triage and response. */
export function AlertPage({ uid, session }: { uid: string; session: Session }) {
  const { data, error, loading, reload } = useData(
    () => api.get<AlertDetail>(`/v1/dashboard/alerts/${encodeURIComponent(uid)}`),
    [uid],
  );
  const [toast, setToast] = useState<string | undefined>();
  return (
    <>
      <Loading error={error} loading={loading && !data} />
      {data && (
        <AlertBody
          d={data}
          session={session}
          onChanged={(m) => {
            setToast(m);
            reload();
          }}
        />
      )}
      <Toast message={toast} onDone={() => setToast(undefined)} />
    </>
  );
}

function AlertBody({ d, session, onChanged }: { d: AlertDetail; session: Session; onChanged: (message: string) => void }) {
  const a = d.alert;
  const ev = d.evidence;
  return (
    <div className="grid" style={{ gap: 16 }}>
      <div className="page-head">
        <div style={{ minWidth: 0 }}>
          <p className="muted" style={{ margin: 0 }}>
            <Link to="/alerts">Alerts</Link> / <span className="mono">{a.uid}</span>
          </p>
          <h1 className="row" style={{ gap: 10 }}>
            <Sev s={a.severity} /> {a.title}
          </h1>
          <p className="sub">{a.message}</p>
        </div>
        <div style={{ textAlign: 'right' }}>
          <span className="pill" data-state={d.status}>
            state: <b>{d.status}</b>
          </span>
          {d.triage && (
            <p className="muted" style={{ margin: '6px 0 0', fontSize: 12.5 }}>
              {d.triage.reason ? `“${d.triage.reason}” ` : ''}
              {d.triage.by.replace(/^[a-z]+:/, '')}, {when(d.triage.at)}
            </p>
          )}
        </div>
      </div>

      <div className="grid cols-3-1">
        <Card title="What happened">
          <dl className="kv">
            <dt>Identity</dt>
            <dd>
              <Link to={identityHref(a.identity.id)} className="identity-link">
                <span className="mono">{a.identity.name ?? a.identity.id}</span>
              </Link>{' '}
              <span className="muted">({a.identity.type})</span>
            </dd>
            {a.credential && (
              <>
                <dt>Credential</dt>
                <dd className="mono">
                  {a.credential.key} <span className="muted">({a.credential.type})</span>
                </dd>
              </>
            )}
            <dt>Detection</dt>
            <dd className="mono">{a.detectionId}</dd>
            <dt>First / last seen</dt>
            <dd>
              {when(a.firstSeen)} → {when(a.lastSeen)} UTC · {a.count} event(s)
            </dd>
            {a.anomaly && (
              <>
                <dt>{a.anomaly.parameter}</dt>
                <dd>
                  observed <b className="mono">{a.anomaly.observed.join(', ')}</b>
                  {a.anomaly.expected.length > 0 && (
                    <>
                      {' '}
                      · expected <span className="mono">{a.anomaly.expected.slice(0, 6).join(', ')}</span>
                    </>
                  )}
                </dd>
              </>
            )}
            {a.attacks.length > 0 && (
              <>
                <dt>ATT&amp;CK</dt>
                <dd>{a.attacks.map((t) => `${t.id} ${t.name}`).join(' · ')}</dd>
              </>
            )}
            <dt>Frameworks</dt>
            <dd className="mono">{a.frameworks.join(', ')}</dd>
          </dl>
        </Card>
        <Card title="Identity risk">
          {d.risk ? (
            <>
              <Score score={d.risk.score} band={d.risk.band} />
              <ul className="list" style={{ marginTop: 8 }}>
                {d.risk.factors.map((f) => (
                  <li key={f.factor} style={{ alignItems: 'flex-start' }}>
                    <b style={{ minWidth: 90 }}>{f.factor}</b>
                    <span className="grow muted">{f.reasons.join('; ')}</span>
                  </li>
                ))}
              </ul>
            </>
          ) : (
            <p className="muted">Not scored: import scans and logs with warden import.</p>
          )}
        </Card>
      </div>

      <Triage d={d} session={session} onChanged={onChanged} />
      <Respond uid={a.uid} session={session} onChanged={onChanged} />

      {ev && (
        <Card title="Evidence chain">
          <div className="chain">
            <div className="step">
              <h3>1 · Leaked</h3>
              {ev.findings.length === 0 ? (
                <p className="muted">No uploaded scan found this identity's credentials leaked.</p>
              ) : (
                <ul className="list">
                  {ev.findings.map((f) => (
                    <li key={f.id} style={{ display: 'block' }}>
                      <Sev s={f.severity} /> <span className="mono">{f.ruleId}</span>
                      <div>
                        <Link to={`/findings?repository=${encodeURIComponent(f.repository)}`} className="finding-location">
                          <span className="mono">
                            {f.repository}: {f.path}:{f.line}
                          </span>
                        </Link>
                        {f.commit && <span className="muted mono"> @{f.commit.slice(0, 10)}</span>}
                      </div>
                    </li>
                  ))}
                </ul>
              )}
              {ev.credentials.map((c) => (
                <p key={c.id} style={{ margin: '8px 0 0' }}>
                  <span className="mono">{c.label}</span>: <b>{exposureLabel(c.exposure.status)}</b>
                </p>
              ))}
            </div>
            <div className="step">
              <h3>2 · Used from</h3>
              <ul className="list">
                {ev.uses.slice(0, 8).map((u) => (
                  <li key={u.credential + u.source} style={{ display: 'block' }}>
                    <span className="mono">{u.source.replace(/^(network|workload):/, '')}</span>{' '}
                    {u.unknown && <span className="sev critical">unknown source</span>}
                    <div className="muted">
                      {u.count} call(s), {when(u.firstSeen)} → {when(u.lastSeen)}
                    </div>
                    {u.event?.file !== undefined && (
                      <div className="muted mono">
                        raw: {String(u.event.file)}
                        {u.event.line !== undefined ? `:${String(u.event.line)}` : ''}
                      </div>
                    )}
                  </li>
                ))}
                {ev.uses.length === 0 && <li className="muted">No use seen in the imported logs.</li>}
              </ul>
            </div>
            <div className="step">
              <h3>3 · Detected</h3>
              <ul className="list">
                {ev.alerts.slice(0, 8).map((x) => (
                  <li key={x.uid}>
                    <Sev s={x.severity} />
                    <Link to={`/alerts/${encodeURIComponent(x.uid)}`}>{x.title}</Link>
                  </li>
                ))}
              </ul>
            </div>
          </div>
        </Card>
      )}

      <Card title={`Events behind this alert (${a.evidences.length} of ${a.count})`}>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Time (UTC)</th>
                <th scope="col">Source</th>
                <th scope="col">Action</th>
                <th scope="col">Resource</th>
                <th scope="col">Outcome</th>
                <th scope="col">From</th>
                <th scope="col">Raw record</th>
              </tr>
            </thead>
            <tbody>
              {a.evidences.map((e) => (
                <tr key={e.id}>
                  <td style={{ whiteSpace: 'nowrap' }}>{when(e.time)}</td>
                  <td>{e.source}</td>
                  <td className="mono">{e.action}</td>
                  <td className="mono" style={{ maxWidth: 260 }}>
                    {e.resource?.id ?? '–'}
                  </td>
                  <td className={e.outcome === 'failure' ? 'high' : ''}>{e.outcome}</td>
                  <td className="mono">{[e.client.ip, e.client.region, e.client.workload].filter(Boolean).join(' · ') || '–'}</td>
                  <td className="mono muted">
                    {e.raw?.file ?? '–'}
                    {e.raw?.line !== undefined ? `:${e.raw.line}` : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
    </div>
  );
}

function Triage({ d, session, onChanged }: { d: AlertDetail; session: Session; onChanged: (m: string) => void }) {
  const [state, setState] = useState(d.status === 'open' ? 'acknowledged' : d.status);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | undefined>();
  if (!can(session.role, 'triage')) return null;
  return (
    <Card title="Triage">
      <form
        className="filters"
        style={{ marginBottom: 0 }}
        onSubmit={async (e) => {
          e.preventDefault();
          setError(undefined);
          try {
            await api.patch(`/v1/alerts/${encodeURIComponent(d.alert.uid)}`, { state, reason });
            setReason('');
            onChanged(`Alert marked ${state}.`);
          } catch (err) {
            setError((err as Error).message);
          }
        }}
      >
        <label>
          New state
          <select value={state} onChange={(e) => setState(e.target.value)} name="state">
            {STATES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label style={{ flex: 1, minWidth: 220 }}>
          Reason (kept in the audit trail)
          <input
            name="reason"
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            required
            placeholder="e.g. key rotated, owner confirmed"
          />
        </label>
        <button type="submit" className="primary">
          Save triage
        </button>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </Card>
  );
}

/** A response plan as the server returns it (src/store/respond.ts planDocument). */
interface PlanStep {
  id: string;
  position: number;
  action: string;
  status: string;
  subject: { key?: string } | null;
  reason?: string;
  calls: Array<{ method: string; url: string; note?: string }>;
}
interface PlanDoc {
  playbook: { id: string; approval?: string } | null;
  considered?: unknown;
  steps: PlanStep[];
}
interface Applied {
  steps: Array<{ id?: string; action: string; status?: string; outcome?: string; error?: string }>;
}

/** Response playbooks: plan first (the exact calls, none made), then apply. Hidden when the server has no response routes. */
function Respond({ uid, session, onChanged }: { uid: string; session: Session; onChanged: (m: string) => void }) {
  const [plan, setPlan] = useState<PlanDoc>();
  const [applied, setApplied] = useState<Applied>();
  const [missing, setMissing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  if (missing || session.respond === false || !can(session.role, 'plan')) return null;
  const call = async (what: 'plan' | 'apply') => {
    setError(undefined);
    setBusy(true);
    try {
      const r = await api.post<unknown>(
        `/v1/alerts/${encodeURIComponent(uid)}/${what}`,
        what === 'apply' ? { approve: true } : {},
      );
      if (what === 'plan') {
        setPlan(r as PlanDoc);
        setApplied(undefined);
      } else {
        setApplied(r as Applied);
        onChanged('Playbook applied; every step is in the audit trail.');
      }
    } catch (err) {
      if (err instanceof ApiError && err.status === 404 && /route|not found/i.test(err.message) && plan === undefined)
        setMissing(true);
      else setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const result = new Map((applied?.steps ?? []).map((s) => [s.id ?? s.action, s]));
  const runnable = plan?.playbook != null && plan.steps.some((s) => s.status !== 'done');
  return (
    <Card title="Response">
      <div className="row">
        <button type="button" disabled={busy} onClick={() => call('plan')}>
          Plan response
        </button>
        {runnable && can(session.role, 'apply') && applied === undefined && (
          <button type="button" className="danger" disabled={busy} onClick={() => call('apply')}>
            Approve and apply
          </button>
        )}
        <span className="muted">The plan lists every call before anything runs.</span>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {plan !== undefined && plan.playbook === null && <p className="muted">No playbook matches this alert.</p>}
      {plan?.playbook && (
        <div className="table-wrap">
          <p>
            Playbook <b className="mono">{plan.playbook.id}</b>
            {plan.playbook.approval && <span className="muted"> (approval {plan.playbook.approval})</span>}
          </p>
          <table className="steps">
            <caption className="sr-only">Planned steps</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Action</th>
                <th scope="col">Subject</th>
                <th scope="col">Calls</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {plan.steps.map((st) => {
                const r = result.get(st.id) ?? result.get(st.action);
                const status = r?.outcome ?? r?.status ?? st.status;
                return (
                  <tr key={st.id} data-step={st.action} data-status={status}>
                    <td>{st.position + 1}</td>
                    <td className="mono">{st.action}</td>
                    <td className="mono">{st.subject?.key ?? '–'}</td>
                    <td>
                      {st.calls.map((c) => (
                        <span key={`${c.method} ${c.url}`} className="call mono">
                          {c.method} {c.url}
                        </span>
                      ))}
                      {st.reason && <span className="muted">{st.reason}</span>}
                    </td>
                    <td className="step-status">
                      {status}
                      {r?.error ? `: ${r.error}` : ''}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <details>
            <summary>The plan as the API returns it</summary>
            <pre className="plan mono">{JSON.stringify(plan, null, 2)}</pre>
          </details>
        </div>
      )}
    </Card>
  );
}
