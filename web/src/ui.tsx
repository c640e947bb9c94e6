import { type ReactNode, useCallback, useEffect, useState } from 'react';
import { ApiError, qs, SEVERITIES, type Severity } from './api';

/** Client-side navigation: history API, one listener. */
export function navigate(to: string): void {
  if (to === location.pathname + location.search) return;
  history.pushState(null, '', to);
  window.dispatchEvent(new PopStateEvent('popstate'));
  window.scrollTo(0, 0);
}

export function useLocation(): { path: string; query: URLSearchParams } {
  const [loc, setLoc] = useState(() => ({ path: location.pathname, search: location.search }));
  useEffect(() => {
    const on = () => setLoc({ path: location.pathname, search: location.search });
    window.addEventListener('popstate', on);
    return () => window.removeEventListener('popstate', on);
  }, []);
  return { path: loc.path, query: new URLSearchParams(loc.search) };
}

/** An in-app link: a real anchor (so it opens in a new tab and reads as a link), routed client-side. */
export function Link(props: {
  to: string;
  children: ReactNode;
  className?: string;
  'aria-label'?: string;
  title?: string;
  current?: boolean;
}) {
  return (
    <a
      href={props.to}
      className={props.className}
      aria-label={props['aria-label']}
      title={props.title}
      aria-current={props.current ? 'page' : undefined}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(props.to);
      }}
    >
      {props.children}
    </a>
  );
}

export function identityHref(id: string): string {
  return `/identity?id=${encodeURIComponent(id.replace(/^identity:/, ''))}`;
}

/** Loads `fn` when `deps` change; `reload` fetches again. */
export function useData<T>(
  fn: () => Promise<T>,
  deps: unknown[],
): { data?: T; error?: string; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps decide when to load again
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    fn().then(
      (data) => live && setState({ data, loading: false }),
      (e: unknown) => live && setState({ error: e instanceof ApiError ? e.message : String(e), loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export function Sev({ s }: { s: Severity | string }) {
  return <span className={`sev ${s}`}>{s}</span>;
}

export const SEV_COLOR: Record<Severity, string> = {
  critical: 'var(--critical)',
  high: 'var(--high)',
  medium: 'var(--medium)',
  low: 'var(--low)',
  info: 'var(--info)',
};

export function Score({ score, band }: { score?: number | undefined; band?: Severity | undefined }) {
  if (score === undefined) return <span className="muted">–</span>;
  return (
    <span className="row" style={{ gap: 8, flexWrap: 'nowrap' }}>
      <span className={`score ${band ?? ''}`}>{score}</span>
      <span className="meter" aria-hidden="true">
        <span style={{ width: `${score}%`, background: band ? SEV_COLOR[band] : 'var(--accent)' }} />
      </span>
    </span>
  );
}

export function Card(props: { title?: string; children: ReactNode; actions?: ReactNode; className?: string; id?: string }) {
  const id = props.id ?? (props.title ? `card-${props.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}` : undefined);
  return (
    <section className={`card ${props.className ?? ''}`} aria-labelledby={props.title ? id : undefined}>
      {props.title && (
        <div className="row" style={{ marginBottom: 4 }}>
          <h2 id={id}>{props.title}</h2>
          <span className="spacer" />
          {props.actions}
        </div>
      )}
      {props.children}
    </section>
  );
}

export function Loading({ error, loading }: { error?: string | undefined; loading: boolean }) {
  if (error)
    return (
      <p className="error" role="alert">
        {error}
      </p>
    );
  if (loading)
    return (
      <p className="muted" aria-live="polite">
        Loading…
      </p>
    );
  return null;
}

/**
 * A list page's filters, kept in the URL (so a view can be shared and the back button works): the
 * current values with their defaults, the paging offset, and `set`, which navigates to the new view
 * (back to the first page unless the patch says otherwise).
 */
export function useUrlFilters<K extends string>(
  path: string,
  defaults: Record<K, string>,
): {
  f: Record<K, string> & { offset: number };
  key: string;
  set: (patch: Partial<Record<K, string>> & { offset?: number }) => void;
} {
  const { query } = useLocation();
  const f = { offset: Number(query.get('offset') ?? 0) || 0 } as Record<K, string> & { offset: number };
  for (const k of Object.keys(defaults) as K[]) (f as Record<K, string>)[k] = query.get(k) ?? defaults[k];
  const set = (patch: Partial<Record<K, string>> & { offset?: number }) => {
    const next = { ...f, offset: 0, ...patch };
    navigate(`${path}${qs({ ...next, offset: next.offset || undefined })}`);
  };
  return { f, key: JSON.stringify(f), set };
}

/** A header cell: its label, and `wide` for columns a phone hides. */
export type Column = string | { label: ReactNode; wide?: boolean };

/** A table of rows with a header, a message when empty and, when `page` is given, a pager under it. */
export function Table(props: {
  columns: Column[];
  children: ReactNode;
  empty?: ReactNode | undefined;
  page?: { offset: number; limit: number; total: number; onPage: (offset: number) => void } | undefined;
}) {
  return (
    <>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              {props.columns.map((c, i) =>
                typeof c === 'string' ? (
                  <th key={c} scope="col">
                    {c}
                  </th>
                ) : (
                  // biome-ignore lint/suspicious/noArrayIndexKey: header cells are fixed per table
                  <th key={i} scope="col" className={c.wide ? 'hide-sm' : undefined}>
                    {c.label}
                  </th>
                ),
              )}
            </tr>
          </thead>
          <tbody>{props.children}</tbody>
        </table>
        {props.empty}
      </div>
      {props.page && <Pager {...props.page} />}
    </>
  );
}

export function Pager(props: { offset: number; limit: number; total: number; onPage: (offset: number) => void }) {
  const { offset, limit, total } = props;
  const end = Math.min(offset + limit, total);
  return (
    <nav className="pager" aria-label="pages">
      <span>
        {total === 0 ? 0 : offset + 1}–{end} of {total.toLocaleString()}
      </span>
      <button type="button" disabled={offset === 0} onClick={() => props.onPage(Math.max(0, offset - limit))}>
        ‹ Previous
      </button>
      <button type="button" disabled={end >= total} onClick={() => props.onPage(offset + limit)}>
        Next ›
      </button>
    </nav>
  );
}

export function when(t: string | number | undefined): string {
  if (t === undefined) return '–';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? '–' : d.toISOString().slice(0, 16).replace('T', ' ');
}

export function exposureLabel(s: string): string {
  return (
    {
      'leaked-in-use-unknown-source': 'Leaked, used from an unknown source',
      'leaked-in-use-by-owner': 'Leaked, used by its owner',
      'leaked-never-seen': 'Leaked, never seen in use',
      'leaked-revoked': 'Leaked, revoked',
      'not-leaked': 'Not leaked',
    }[s] ?? s
  );
}

export const EXPOSURE_COLOR: Record<string, string> = {
  'leaked-in-use-unknown-source': 'var(--critical)',
  'leaked-in-use-by-owner': 'var(--high)',
  'leaked-never-seen': 'var(--medium)',
  'leaked-revoked': 'var(--low)',
  'not-leaked': 'var(--info)',
};

export function Toast({ message, onDone }: { message: string | undefined; onDone: () => void }) {
  useEffect(() => {
    if (!message) return;
    const t = setTimeout(onDone, 4000);
    return () => clearTimeout(t);
  }, [message, onDone]);
  if (!message) return null;
  return (
    <div className="toast" role="status">
      {message}
    </div>
  );
}

/** A labelled select of choices with an "any" first; filters keep their state in the URL. */
export function Choice(props: {
  label: string;
  value: string;
  options: ReadonlyArray<string | [string, string]>;
  onChange: (v: string) => void;
}) {
  return (
    <label>
      {props.label}
      <select value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        <option value="">any</option>
        {props.options.map((o) => {
          const [value, text] = typeof o === 'string' ? [o, o] : o;
          return (
            <option key={value} value={value}>
              {text}
            </option>
          );
        })}
      </select>
    </label>
  );
}

export const SEVERITY_CHOICES: readonly string[] = SEVERITIES;
