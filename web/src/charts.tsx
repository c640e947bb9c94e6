import { useState } from 'react';
import type { Severity } from './api';
import { SEV_COLOR } from './ui';

const ORDER: Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

/** Alerts first seen per interval, stacked by severity: a hand-drawn SVG bar chart with axes and a data table for screen readers. */
export function AlertsChart({ series }: { series: Array<{ day: string } & Record<Severity, number>> }) {
  const [hover, setHover] = useState<number | undefined>();
  const W = 640;
  const H = 200;
  const pad = { l: 34, r: 8, t: 10, b: 24 };
  const totals = series.map((d) => ORDER.reduce((n, s) => n + d[s], 0));
  const max = Math.max(1, ...totals);
  const step = niceStep(max);
  const top = Math.ceil(max / step) * step;
  const bw = (W - pad.l - pad.r) / series.length;
  const y = (v: number) => pad.t + (H - pad.t - pad.b) * (1 - v / top);
  const ticks = Array.from({ length: Math.floor(top / step) + 1 }, (_, i) => i * step);
  const shown = hover === undefined ? undefined : series[hover];
  return (
    <div className="chart">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`Alerts over time, ${series.length} intervals from ${series[0]?.day ?? ''}; ${totals.reduce((a, b) => a + b, 0)} in all`}
      >
        {ticks.map((t) => (
          <g key={t}>
            <line
              x1={pad.l}
              x2={W - pad.r}
              y1={y(t)}
              y2={y(t)}
              stroke="var(--line)"
              strokeDasharray={t === 0 ? undefined : '3 3'}
            />
            <text x={pad.l - 6} y={y(t) + 4} textAnchor="end" fontSize="10" fill="var(--muted)">
              {t}
            </text>
          </g>
        ))}
        {series.map((d, i) => {
          let acc = 0;
          const x = pad.l + i * bw + bw * 0.15;
          return (
            // biome-ignore lint/a11y/noStaticElementInteractions: hover shows the same numbers the table below gives keyboard and screen-reader users
            <g key={d.day} onMouseEnter={() => setHover(i)} onMouseLeave={() => setHover(undefined)}>
              <rect
                x={pad.l + i * bw}
                y={pad.t}
                width={bw}
                height={H - pad.t - pad.b}
                fill={hover === i ? 'var(--panel-2)' : 'transparent'}
              />
              {ORDER.map((s) => {
                const v = d[s];
                if (v === 0) return null;
                const y0 = y(acc);
                acc += v;
                return (
                  <rect
                    key={s}
                    x={x}
                    width={bw * 0.7}
                    y={y(acc)}
                    height={Math.max(1, y0 - y(acc))}
                    fill={SEV_COLOR[s]}
                    rx="1.5"
                  />
                );
              })}
              {i % Math.max(1, Math.ceil(series.length / 7)) === 0 && (
                <text x={pad.l + i * bw + bw / 2} y={H - 8} textAnchor="middle" fontSize="10" fill="var(--muted)">
                  {d.day.length > 10 ? d.day.slice(5).replace('T', ' ') : d.day.slice(5)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <div className="row legend" style={{ minHeight: 22 }}>
        {[...ORDER].reverse().map((s) => (
          <span key={s}>
            <i style={{ background: SEV_COLOR[s] }} />
            {s}
          </span>
        ))}
        <span className="spacer" />
        {shown && (
          <span aria-live="polite">
            {shown.day}: {ORDER.map((s) => shown[s]).reduce((a, b) => a + b, 0)} alerts ({shown.critical} critical, {shown.high}{' '}
            high)
          </span>
        )}
      </div>
      <div className="sr-only">
        <table>
          <caption>Alerts over time</caption>
          <thead>
            <tr>
              <th scope="col">from (UTC)</th>
              {ORDER.map((s) => (
                <th key={s} scope="col">
                  {s}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {series
              .filter((_, i) => totals[i]! > 0)
              .map((d) => (
                <tr key={d.day}>
                  <td>{d.day}</td>
                  {ORDER.map((s) => (
                    <td key={s}>{d[s]}</td>
                  ))}
                </tr>
              ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function niceStep(max: number): number {
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * mag >= raw) return Math.max(1, m * mag);
  return Math.max(1, 10 * mag);
}

/** A ring of parts (exposure statuses): SVG arcs with a legend. */
export function Donut({
  parts,
  label,
}: {
  parts: Array<{ key: string; label: string; value: number; color: string }>;
  label: string;
}) {
  const total = parts.reduce((n, p) => n + p.value, 0);
  const R = 52;
  const C = 2 * Math.PI * R;
  let acc = 0;
  return (
    <div className="row" style={{ gap: 18, flexWrap: 'nowrap' }}>
      <svg
        viewBox="0 0 140 140"
        width="132"
        height="132"
        role="img"
        aria-label={`${label}: ${parts.map((p) => `${p.value} ${p.label}`).join(', ') || 'none'}`}
      >
        <circle cx="70" cy="70" r={R} fill="none" stroke="var(--panel-2)" strokeWidth="18" />
        {parts.map((p) => {
          const len = total === 0 ? 0 : (C * p.value) / total;
          const el = (
            <circle
              key={p.key}
              cx="70"
              cy="70"
              r={R}
              fill="none"
              stroke={p.color}
              strokeWidth="18"
              strokeDasharray={`${len} ${C - len}`}
              strokeDashoffset={-acc}
              transform="rotate(-90 70 70)"
            />
          );
          acc += len;
          return el;
        })}
        <text x="70" y="68" textAnchor="middle" fontSize="26" fontWeight="700" fill="var(--fg)">
          {total}
        </text>
        <text x="70" y="88" textAnchor="middle" fontSize="11" fill="var(--muted)">
          leaked
        </text>
      </svg>
      <ul className="list grow" style={{ fontSize: 13 }}>
        {parts.length === 0 && <li className="muted">No leaked credential found in uploaded scans.</li>}
        {parts.map((p) => (
          <li key={p.key}>
            <i style={{ width: 10, height: 10, borderRadius: 3, background: p.color, display: 'inline-block' }} />
            <span className="grow">{p.label}</span>
            <b>{p.value}</b>
          </li>
        ))}
      </ul>
    </div>
  );
}
