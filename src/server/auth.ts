import type { FastifyRequest, RouteOptions } from 'fastify';
import { WardenError } from '../model/errors.js';
import { ROLES, type Role } from '../store/tokens.js';

/** Who made a request: the token (or session) that authenticated it. */
export interface Principal {
  /** The token's name (or the session's user). */
  name: string;
  role: Role;
  /** How the request authenticated: a bearer token, or something a route module added (a session cookie). */
  via: 'token' | 'session' | string;
}

/**
 * What a route declares in `config`: exactly one of `public: true` (no authentication) and `role`
 * (the weakest role that may call it, or a list of roles). A route that declares neither makes the
 * server refuse to start: a forgotten declaration fails closed, never open.
 */
export interface RouteAccess {
  public?: boolean;
  role?: Role | readonly Role[];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** No authentication (health, JWKS, workload-token routes that check their own credential). */
    public?: boolean;
    /** The weakest role that may call the route, or the list of roles that may. */
    role?: Role | readonly Role[];
  }
  interface FastifyRequest {
    /** Set by the auth hook on every non-public route before the handler runs. */
    principal?: Principal;
  }
}

/** People's roles, weakest first: each reaches what the ones before it reach. */
const HUMAN_RANK: Readonly<Partial<Record<Role, number>>> = { viewer: 0, analyst: 1, admin: 2 };

/**
 * Whether `role` may call a route that requires `required`:
 * - a person's role (viewer < analyst < admin) reaches routes of its rank and below;
 * - `ingest` and `workload` are machines: they reach only routes that name them;
 * - `admin` reaches every route.
 * A list of roles allows each of them by the same rules.
 * @example allows('analyst', 'viewer') // true;  allows('ingest', 'viewer') // false
 */
export function allows(role: Role, required: Role | readonly Role[]): boolean {
  const list: readonly Role[] = typeof required === 'string' ? [required] : required;
  return list.some((r) => {
    if (role === r || role === 'admin') return true;
    const need = HUMAN_RANK[r];
    const have = HUMAN_RANK[role];
    return need !== undefined && have !== undefined && have >= need;
  });
}

/** The route's declared access; throws at start-up for a route that declares neither or both. */
export function accessOf(route: Pick<RouteOptions, 'method' | 'url' | 'config'>): RouteAccess {
  const config = (route.config ?? {}) as RouteAccess;
  const isPublic = config.public === true;
  const role = config.role;
  if (isPublic && role !== undefined)
    throw new Error(`route ${String(route.method)} ${route.url} declares both public and a role; pick one`);
  if (!isPublic && role === undefined)
    throw new Error(
      `route ${String(route.method)} ${route.url} declares no access: add config: { role: '…' } or { public: true }`,
    );
  for (const r of typeof role === 'string' ? [role] : (role ?? []))
    if (!(ROLES as readonly string[]).includes(r))
      throw new Error(`route ${String(route.method)} ${route.url}: unknown role "${r}"`);
  return isPublic ? { public: true } : { role: role as Role | readonly Role[] };
}

/** The bearer token of a request (RFC 6750 §2.1), or undefined when it carries none. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const h = request.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(h);
  return m?.[1];
}

/** `token:<name>` (or `<via>:<name>`): how the audit trail names the caller. */
export function actorOf(request: FastifyRequest): string {
  const p = request.principal;
  return p === undefined ? 'anonymous' : `${p.via === 'token' ? 'token' : p.via}:${p.name}`;
}

export function unauthenticated(message = 'a bearer token is required: Authorization: Bearer <token>'): WardenError {
  return new WardenError('WARDEN_UNAUTHENTICATED', message);
}

export function forbidden(role: Role, required: Role | readonly Role[]): WardenError {
  const list = typeof required === 'string' ? [required] : required;
  return new WardenError('WARDEN_FORBIDDEN', `the ${role} role does not reach this route (needs ${list.join(' or ')})`);
}
