import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { WardenError } from '../../model/errors.js';
import { createSession, csrfMatches, csrfToken, deleteSession, getSession, SESSION_TTL_MS } from '../../store/sessions.js';
import { type Role, verifyToken } from '../../store/tokens.js';
import type { Principal } from '../auth.js';
import type { ServerContext } from '../context.js';

/*
 * Dashboard sign-in: an API token typed into the sign-in page is exchanged once for a session cookie
 * (HttpOnly, SameSite=Strict, Secure over TLS, Path=/); the token is never kept by the browser.
 * Requests with the cookie authenticate as the token's name and role, read from the token table on
 * each request, so revoking the token ends its sessions at once. Writes made with a cookie must also
 * carry the session's CSRF token in `x-warden-csrf` and, when the browser sends one, an Origin of this
 * server: SameSite=Strict alone leaves out old browsers and same-site subdomains.
 */

export const SESSION_COOKIE = 'warden_session';
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The session id a request's Cookie header carries, if any (RFC 6265 §5.4). */
export function sessionIdOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The principal of a live session with a live token, or undefined. */
export async function sessionPrincipal(ctx: ServerContext, request: FastifyRequest): Promise<Principal | undefined> {
  const sid = sessionIdOf(request);
  if (sid === undefined) return undefined;
  const session = await getSession(ctx.store, sid);
  if (session === undefined) return undefined;
  const token = await ctx.store.db
    .selectFrom('api_tokens')
    .select(['name', 'role'])
    .where('name', '=', session.tokenName)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (token === undefined) return undefined;
  return { name: token.name, role: token.role as Role, via: 'session' };
}

function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

function setCookie(reply: FastifyReply, request: FastifyRequest, value: string, maxAgeSeconds: number): void {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  reply.header('set-cookie', `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`);
}

/**
 * POST /v1/session (sign in), GET /v1/session (who am I), DELETE /v1/session (sign out); and the
 * cookie authenticator every other route accepts beside bearer tokens.
 */
export function registerSession(app: FastifyInstance, ctx: ServerContext): void {
  ctx.authenticators.push(async (request) => {
    const p = await sessionPrincipal(ctx, request);
    if (p === undefined) return undefined;
    if (!SAFE.has(request.method)) {
      const header = request.headers['x-warden-csrf'];
      if (!sameOrigin(request) || !csrfMatches(sessionIdOf(request)!, typeof header === 'string' ? header : undefined))
        throw new WardenError(
          'WARDEN_FORBIDDEN',
          'a write with a session cookie needs its CSRF token in x-warden-csrf, from this origin',
        );
    }
    return p;
  });
  // Whether issue 14's response routes are in this server: the dashboard shows plan/apply only then.
  const respond = () => app.wardenRoutes.some((r) => r.method === 'POST' && /^\/v1\/alerts\/:[^/]+\/plan$/.test(r.url));

  app.post<{ Body: { token: string } }>(
    '/v1/session',
    {
      config: { public: true },
      schema: {
        summary: 'sign in to the dashboard with an API token: sets an HttpOnly session cookie',
        tags: ['dashboard'],
        body: {
          type: 'object',
          required: ['token'],
          additionalProperties: false,
          properties: { token: { type: 'string', minLength: 1, maxLength: 512 } },
        },
      },
    },
    async (request, reply) => {
      if (!sameOrigin(request)) throw new WardenError('WARDEN_FORBIDDEN', 'sign-in from another origin');
      const who = await verifyToken(ctx.store, request.body.token);
      if (who === undefined) throw new WardenError('WARDEN_UNAUTHENTICATED', 'the token is unknown or revoked');
      if (who.role === 'ingest' || who.role === 'workload')
        throw new WardenError(
          'WARDEN_FORBIDDEN',
          `a ${who.role} token is for machines; sign in with a viewer, analyst or admin token`,
        );
      const session = await createSession(ctx.store, { tokenName: who.name, role: who.role });
      setCookie(reply, request, session.id, Math.floor(SESSION_TTL_MS / 1000));
      await ctx.audit({ actor: `token:${who.name}` }, { action: 'session.create', target: who.name });
      return { name: who.name, role: who.role, csrf: csrfToken(session.id), respond: respond() };
    },
  );

  app.get(
    '/v1/session',
    { config: { role: 'viewer' }, schema: { summary: 'the signed-in session: name, role and CSRF token', tags: ['dashboard'] } },
    async (request) => {
      const sid = sessionIdOf(request);
      const p = request.principal!;
      return { name: p.name, role: p.role, csrf: p.via === 'session' && sid ? csrfToken(sid) : '', respond: respond() };
    },
  );

  app.delete(
    '/v1/session',
    { config: { role: 'viewer' }, schema: { summary: 'sign out: ends the session and clears its cookie', tags: ['dashboard'] } },
    async (request, reply) => {
      const sid = sessionIdOf(request);
      if (sid !== undefined) await deleteSession(ctx.store, sid);
      if (request.principal?.via === 'session')
        await ctx.audit(request, { action: 'session.delete', target: request.principal.name });
      setCookie(reply, request, '', 0);
      reply.code(204);
      return null;
    },
  );
}
