import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { queryable, type StoreTarget } from './store.js';

/*
 * Dashboard sessions: a random 256-bit id in an HttpOnly, SameSite=Strict cookie, stored only as its
 * SHA-256 (a leaked table opens nothing). The CSRF token is an HMAC-like derivation of the session
 * id, so it needs no storage and dies with the session; writes must echo it in a header
 * (double submit bound to the session, OWASP CSRF Prevention Cheat Sheet).
 */

/** Sessions last 12 hours from sign-in, whatever the activity. */
export const SESSION_TTL_MS = 12 * 3_600_000;

export interface DashboardSession {
  tokenName: string;
  role: string;
  expiresAt: number;
}

function hash(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('hex');
}

/**
 * The CSRF token of a session: derived from its id, so only the holder of the cookie can know it.
 * @example csrfToken(sid).length // 43
 */
export function csrfToken(sessionId: string): string {
  return createHash('sha256').update('warden-csrf\u0000').update(sessionId).digest('base64url');
}

/** Compares a presented CSRF token with the session's in constant time. */
export function csrfMatches(sessionId: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const want = Buffer.from(csrfToken(sessionId));
  const got = Buffer.from(presented);
  return want.length === got.length && timingSafeEqual(want, got);
}

/**
 * Opens a session for a verified API token; returns the session id for the cookie (shown nowhere else).
 * @example const sid = await createSession(store, { tokenName: 'alice', role: 'analyst' });
 */
export async function createSession(
  target: StoreTarget,
  who: { tokenName: string; role: string },
  now = Date.now(),
): Promise<{ id: string; expiresAt: number }> {
  const id = randomBytes(32).toString('base64url');
  const expiresAt = now + SESSION_TTL_MS;
  const db = queryable(target);
  // Expired sessions go as new ones arrive: the table holds live sessions only.
  await db.deleteFrom('dashboard_sessions').where('expires_at', '<', now).execute();
  await db
    .insertInto('dashboard_sessions')
    .values({ id: hash(id), token_name: who.tokenName, role: who.role, created_at: now, expires_at: expiresAt })
    .execute();
  return { id, expiresAt };
}

/** The live session of a cookie's session id, or undefined (unknown, expired, malformed). */
export async function getSession(
  target: StoreTarget,
  sessionId: string | undefined,
  now = Date.now(),
): Promise<DashboardSession | undefined> {
  if (sessionId === undefined || sessionId.length < 20 || sessionId.length > 100) return undefined;
  const row = await queryable(target)
    .selectFrom('dashboard_sessions')
    .selectAll()
    .where('id', '=', hash(sessionId))
    .executeTakeFirst();
  if (row === undefined || Number(row.expires_at) <= now) return undefined;
  return { tokenName: row.token_name, role: row.role, expiresAt: Number(row.expires_at) };
}

/** Ends one session (sign-out). */
export async function deleteSession(target: StoreTarget, sessionId: string): Promise<void> {
  await queryable(target).deleteFrom('dashboard_sessions').where('id', '=', hash(sessionId)).execute();
}

/** Ends every session opened with a token (when the token is revoked). */
export async function deleteSessionsOf(target: StoreTarget, tokenName: string): Promise<void> {
  await queryable(target).deleteFrom('dashboard_sessions').where('token_name', '=', tokenName).execute();
}
