import { useMemo, useState } from 'react';
import type { Blast, BlastGroup } from './api';
import { identityHref, Link } from './ui';

/*
 * The blast radius as a layered picture: the subject on the left, each column one hop further, one
 * node per group (all objects of one bucket, one Vault mount, one namespace are one node with a
 * count). A node opens with a click, Enter or Space and lists its members.
 */

const KIND_COLOR: Record<string, string> = {
  identity: 'var(--accent)',
  credential: 'var(--high)',
  resource: 'var(--low)',
  policy: 'var(--medium)',
  workload: 'var(--info)',
};
const MAX_GROUPS = 36;

interface Placed {
  g: BlastGroup | undefined;
  id: string;
  label: string;
  kind: string;
  count: number;
  admin: boolean;
  col: number;
  row: number;
  parent?: string;
}

/** What a node says on its first line: the resource part of an ARN, else the label; the service goes below. */
function display(label: string): { name: string; service?: string } {
  const arn = /^arn:[^:]+:([^:]+):[^:]*:[^:]*:(.+)$/.exec(label);
  if (arn) return { name: arn[2]!, service: arn[1]! };
  return { name: label };
}

function short(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, Math.ceil(n * 0.45))}…${s.slice(s.length - Math.floor(n * 0.55) + 1)}`;
}

export function BlastGraph({ blast, subjectLabel }: { blast: Blast; subjectLabel: string }) {
  const [open, setOpen] = useState<string | undefined>();
  const { placed, cols, hidden } = useMemo(() => layout(blast, subjectLabel), [blast, subjectLabel]);
  const colW = 300;
  const rowH = 58;
  const nodeW = 250;
  const nodeH = 42;
  const rows = Math.max(1, ...cols.map((c) => c.length));
  const W = Math.max(700, cols.length * colW + 20);
  const H = rows * rowH + 20;
  const pos = new Map(
    placed.map((p) => [p.id, { x: 10 + p.col * colW, y: 10 + p.row * rowH + ((rows - cols[p.col]!.length) * rowH) / 2 }]),
  );
  const selected = placed.find((p) => p.id === open)?.g;
  return (
    <div className="graph">
      <figure
        style={{ overflowX: 'auto', margin: 0 }}
        aria-label={`Blast radius: ${blast.totals.resources ?? 0} resources, ${blast.totals.identities ?? 0} identities, ${blast.totals.credentials ?? 0} credentials`}
      >
        <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H}>
          <title>Blast radius graph</title>
          {placed.map((p) => {
            if (!p.parent) return null;
            const a = pos.get(p.parent);
            const b = pos.get(p.id);
            if (!a || !b) return null;
            const x1 = a.x + nodeW;
            const y1 = a.y + nodeH / 2;
            const x2 = b.x;
            const y2 = b.y + nodeH / 2;
            const mx = (x1 + x2) / 2;
            return (
              <path
                key={`e-${p.id}`}
                d={`M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`}
                fill="none"
                stroke={p.admin ? 'var(--critical)' : 'var(--line)'}
                strokeWidth={p.admin ? 2 : 1.5}
              />
            );
          })}
          {placed.map((p) => {
            const at = pos.get(p.id)!;
            const isStart = p.g === undefined;
            const active = open === p.id;
            return (
              // biome-ignore lint/a11y/useSemanticElements: an SVG node cannot be a <button>; role, tabIndex and key handling make it one
              <g
                key={p.id}
                className="node"
                transform={`translate(${at.x},${at.y})`}
                role="button"
                tabIndex={isStart ? -1 : 0}
                aria-pressed={active}
                aria-label={`${p.kind} ${p.label}${p.count > 1 ? `, ${p.count} objects` : ''}${p.admin ? ', administrator access' : ''}`}
                onClick={() => !isStart && setOpen(active ? undefined : p.id)}
                onKeyDown={(e) => {
                  if (!isStart && (e.key === 'Enter' || e.key === ' ')) {
                    e.preventDefault();
                    setOpen(active ? undefined : p.id);
                  }
                }}
              >
                <title>{p.label}</title>
                <rect
                  width={nodeW}
                  height={nodeH}
                  rx="9"
                  fill={isStart ? 'var(--accent)' : 'var(--panel)'}
                  stroke={active ? 'var(--focus)' : p.admin ? 'var(--critical)' : 'var(--line)'}
                  strokeWidth={active || p.admin ? 2 : 1}
                />
                {!isStart && <rect x="0" y="0" width="5" height={nodeH} rx="2" fill={KIND_COLOR[p.kind] ?? 'var(--info)'} />}
                <text x="14" y="18" fontSize="12.5" fontWeight="600" fill={isStart ? 'var(--accent-fg)' : 'var(--fg)'}>
                  {short(display(p.label).name, p.count > 1 ? 24 : 29)}
                </text>
                <text x="14" y="34" fontSize="11" fill={isStart ? 'var(--accent-fg)' : 'var(--muted)'}>
                  {isStart
                    ? 'subject'
                    : `${display(p.label).service ?? p.kind}${p.admin ? ' · admin' : ''}${p.g?.access ? ` · ${p.g.access}` : ''}`}
                </text>
                {p.count > 1 && (
                  <g transform={`translate(${nodeW - 44},10)`}>
                    <rect width="36" height="20" rx="10" fill="var(--panel-2)" stroke="var(--line)" />
                    <text x="18" y="14" fontSize="11" fontWeight="700" textAnchor="middle" fill="var(--fg)">
                      {p.count > 999 ? `${Math.round(p.count / 100) / 10}k` : p.count}
                    </text>
                  </g>
                )}
              </g>
            );
          })}
        </svg>
      </figure>
      <div className="row legend" style={{ marginTop: 6 }}>
        {Object.entries(KIND_COLOR).map(([k, c]) => (
          <span key={k}>
            <i style={{ background: c }} />
            {k}
          </span>
        ))}
        <span>
          <i style={{ background: 'var(--critical)' }} />
          administrator access
        </span>
        {hidden > 0 && <span>+{hidden} smaller groups not drawn</span>}
        {blast.truncated && <span>walk stopped at its limit</span>}
      </div>
      {selected && (
        <div className="card" style={{ marginTop: 12 }} aria-live="polite">
          <div className="row">
            <h3 style={{ margin: 0 }}>
              {selected.label} <span className="pill">{selected.count}</span>
            </h3>
            <span className="spacer" />
            <button type="button" onClick={() => setOpen(undefined)}>
              Close
            </button>
          </div>
          <p className="muted" style={{ margin: '4px 0 8px' }}>
            Reached through <code>{selected.via}</code>
          </p>
          <ul className="list" style={{ maxHeight: 260, overflow: 'auto' }}>
            {selected.members.map((m) => (
              <li key={m.id}>
                {m.id.startsWith('identity:') ? (
                  <Link to={identityHref(m.id)}>
                    <code>{m.id}</code>
                  </Link>
                ) : (
                  <code className="grow">{m.id}</code>
                )}
                {m.admin && <span className="sev critical">admin</span>}
                {m.actions && <span className="muted mono">{m.actions.slice(0, 4).join(', ')}</span>}
              </li>
            ))}
            {selected.count > selected.members.length && (
              <li className="muted">and {selected.count - selected.members.length} more</li>
            )}
          </ul>
        </div>
      )}
    </div>
  );
}

function layout(blast: Blast, subjectLabel: string): { placed: Placed[]; cols: Placed[][]; hidden: number } {
  const groups = blast.groups.slice(0, MAX_GROUPS);
  const hidden = blast.groups.length - groups.length;
  // Which drawn node holds a given graph id: the start, or the group listing it as a member.
  const holder = new Map<string, string>([[blast.start, 'start']]);
  for (const g of groups) for (const m of g.members) if (!holder.has(m.id)) holder.set(m.id, g.key);
  const start: Placed = {
    g: undefined,
    id: 'start',
    label: subjectLabel,
    kind: 'identity',
    count: 1,
    admin: false,
    col: 0,
    row: 0,
  };
  const placed: Placed[] = [start];
  const colOf = new Map<string, number>([['start', 0]]);
  const pending = [...groups];
  // Each group hangs off the node holding its `via`; place parents before children.
  for (let pass = 0; pass < 8 && pending.length > 0; pass++) {
    for (let i = 0; i < pending.length; ) {
      const g = pending[i]!;
      const parent = holder.get(g.via) ?? 'start';
      const pc = colOf.get(parent);
      if (pc === undefined && pass < 7) {
        i++;
        continue;
      }
      const col = (pc ?? 0) + 1;
      colOf.set(g.key, col);
      placed.push({
        g,
        id: g.key,
        label: g.label,
        kind: g.kind,
        count: g.count,
        admin: g.admin,
        col,
        row: 0,
        parent: colOf.has(parent) ? parent : 'start',
      });
      pending.splice(i, 1);
    }
  }
  const cols: Placed[][] = [];
  for (const p of placed) {
    cols[p.col] ??= [];
    p.row = cols[p.col]!.length;
    cols[p.col]!.push(p);
  }
  return { placed, cols: cols.map((c) => c ?? []), hidden };
}
