import { StrictMode, useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { api, type Session, setSession, whenUnauthorized } from './api';
import { AlertPage } from './pages/alert';
import { AlertsPage } from './pages/alerts';
import { FindingsPage } from './pages/findings';
import { IdentitiesPage } from './pages/identities';
import { IdentityPage } from './pages/identity';
import { OverviewPage } from './pages/overview';
import { ReportsPage } from './pages/reports';
import { SignIn } from './pages/signin';
import './styles.css';
import { Link, navigate, useLocation } from './ui';

type Theme = 'light' | 'dark';

function initialTheme(): Theme {
  const saved = localStorage.getItem('warden.theme');
  if (saved === 'light' || saved === 'dark') return saved;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

const NAV: Array<{ to: string; label: string; icon: string; match: (p: string) => boolean }> = [
  { to: '/', label: 'Overview', icon: 'M3 13h8V3H3zm0 8h8v-6H3zm10 0h8V11h-8zm0-18v6h8V3z', match: (p) => p === '/' },
  {
    to: '/alerts',
    label: 'Alerts & incidents',
    icon: 'M12 2 1 21h22L12 2zm0 6 1 7h-2l1-7zm0 9.5a1.25 1.25 0 1 1 0 2.5 1.25 1.25 0 0 1 0-2.5z',
    match: (p) => p.startsWith('/alerts'),
  },
  {
    to: '/identities',
    label: 'Identities',
    icon: 'M12 12a5 5 0 1 0 0-10 5 5 0 0 0 0 10zm0 2c-5 0-9 2.5-9 5.5V22h18v-2.5C21 16.5 17 14 12 14z',
    match: (p) => p.startsWith('/identit'),
  },
  { to: '/findings', label: 'Findings', icon: 'M4 4h16v4H4zm0 6h16v4H4zm0 6h10v4H4z', match: (p) => p.startsWith('/findings') },
  { to: '/reports', label: 'Reports', icon: 'M6 2h9l5 5v15H6zm8 1v5h5', match: (p) => p.startsWith('/reports') },
];

function Shield() {
  return (
    <svg width="24" height="24" viewBox="0 0 32 32" aria-hidden="true">
      <path d="M16 2 4 7v8c0 7.5 5.1 13.4 12 15 6.9-1.6 12-7.5 12-15V7z" fill="#2f6bff" />
      <path d="m11 16 4 4 7-8" fill="none" stroke="#fff" strokeWidth="2.6" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

function App() {
  const [session, setS] = useState<Session | null | undefined>(undefined);
  const [theme, setTheme] = useState<Theme>(initialTheme);
  const { path, query } = useLocation();

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem('warden.theme', theme);
  }, [theme]);

  const signedIn = useCallback((s: Session | null) => {
    setSession(s ?? undefined);
    setS(s);
  }, []);

  useEffect(() => {
    whenUnauthorized(() => signedIn(null));
    api.get<Session>('/v1/session').then(signedIn, () => signedIn(null));
  }, [signedIn]);

  useEffect(() => {
    const page = NAV.find((n) => n.match(path))?.label ?? (path === '/identity' ? 'Identity' : 'Warden');
    document.title = session ? `${page} · Warden` : 'Sign in · Warden';
  }, [path, session]);

  if (session === undefined) return null;
  if (session === null)
    return (
      <SignIn
        onSignedIn={(s) => {
          signedIn(s);
          if (path === '/signin') navigate('/');
        }}
      />
    );

  const signOut = async () => {
    try {
      await api.del('/v1/session');
    } finally {
      signedIn(null);
      navigate('/signin');
    }
  };

  let page: React.ReactNode;
  if (path === '/' || path === '/signin') page = <OverviewPage />;
  else if (path === '/alerts') page = <AlertsPage session={session} />;
  else if (path.startsWith('/alerts/')) page = <AlertPage uid={decodeURIComponent(path.slice(8))} session={session} />;
  else if (path === '/identities') page = <IdentitiesPage />;
  else if (path === '/identity') page = <IdentityPage id={query.get('id') ?? ''} />;
  else if (path === '/findings') page = <FindingsPage />;
  else if (path === '/reports') page = <ReportsPage />;
  else
    page = (
      <div className="card">
        <h1>Not found</h1>
        <p>
          <Link to="/">Back to the overview</Link>
        </p>
      </div>
    );

  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <aside className="side">
        <div className="brand">
          <Shield />
          <span>Warden</span>
        </div>
        <nav aria-label="main">
          {NAV.map((n) => (
            <Link key={n.to} to={n.to} current={n.match(path)}>
              <svg width="16" height="16" viewBox="0 0 24 24" aria-hidden="true">
                <path d={n.icon} fill="currentColor" />
              </svg>
              {n.label}
            </Link>
          ))}
        </nav>
        <div className="who">
          <span className="me">
            Signed in as <b style={{ color: '#fff' }}>{session.name}</b>
            <br />
            role: {session.role}
          </span>
          <div className="row">
            <button
              type="button"
              aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
              onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}
            >
              {theme === 'dark' ? '☀' : '☾'}
            </button>
            <button type="button" onClick={signOut}>
              Sign out
            </button>
          </div>
        </div>
      </aside>
      <main className="content" id="main" tabIndex={-1}>
        {page}
      </main>
    </div>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
