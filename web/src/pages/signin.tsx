import { useState } from 'react';
import { ApiError, api, type Session } from '../api';

/** The one password-type input on the page: a Warden API token, sent with Enter or the button. */
export function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  return (
    <div className="signin">
      <form
        className="card"
        style={{ padding: 28 }}
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          try {
            const s = await api.post<Session>('/v1/session', { token });
            setToken('');
            onSignedIn(s);
          } catch (err) {
            setError(
              err instanceof ApiError && err.status === 401
                ? 'That token is not valid, or it was revoked.'
                : String((err as Error).message),
            );
          } finally {
            setBusy(false);
          }
        }}
      >
        <div className="row" style={{ gap: 12 }}>
          <svg width="36" height="36" viewBox="0 0 32 32" aria-hidden="true">
            <path d="M16 2 4 7v8c0 7.5 5.1 13.4 12 15 6.9-1.6 12-7.5 12-15V7z" fill="#2f6bff" />
            <path d="m11 16 4 4 7-8" fill="none" stroke="#fff" strokeWidth="2.6" strokeLinecap="round" strokeLinejoin="round" />
          </svg>
          <div>
            <h1>Sign in to Warden</h1>
            <p className="sub">Non-human identity security</p>
          </div>
        </div>
        <label htmlFor="token">
          API token
          <input
            id="token"
            name="token"
            type="password"
            autoComplete="current-password"
            required
            // biome-ignore lint/a11y/noAutofocus: the page has one field; focusing it is what every visitor wants
            autoFocus
            value={token}
            onChange={(e) => setToken(e.target.value)}
            aria-describedby="token-help"
            aria-invalid={error ? true : undefined}
          />
        </label>
        <p id="token-help" className="muted" style={{ margin: 0, fontSize: 12.5 }}>
          Create one with <code>warden token create --name you --role analyst</code>. It is exchanged for a session cookie and
          never stored in the browser.
        </p>
        {error && (
          <p className="error" role="alert" style={{ margin: 0 }}>
            {error}
          </p>
        )}
        <button
          type="submit"
          className="primary"
          disabled={busy || token === ''}
          style={{ justifyContent: 'center', padding: '9px 12px' }}
        >
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
