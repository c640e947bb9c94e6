import type { SecureContextOptions } from 'node:tls';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyServerOptions, type RouteOptions } from 'fastify';
import { wardenVersion } from '../report/version.js';
import { appendAudit } from '../store/audit.js';
import { type Role, tokenHash, verifyToken } from '../store/tokens.js';
import { accessOf, actorOf, allows, bearerToken, forbidden, type RouteAccess, unauthenticated } from './auth.js';
import type { ServerContext } from './context.js';
import { toProblem } from './problem.js';
import { ROUTE_MODULES, type RouteModule } from './routes/index.js';

export interface BuildOptions {
  /** pino options, `false` for no log (tests), or a logger; default: JSON lines at info on stdout. */
  logger?: FastifyServerOptions['logger'];
  /** Route modules to register instead of ROUTE_MODULES (tests add their own beside them). */
  routes?: readonly RouteModule[];
  /** Serve HTTPS with this certificate and key. */
  https?: SecureContextOptions | undefined;
}

/** One row of the route table: what the auth test walks. */
export interface RouteEntry {
  method: string;
  url: string;
  access: RouteAccess;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered, with its declared access. */
    wardenRoutes: RouteEntry[];
  }
}

/**
 * The `warden serve` HTTP app: problem+json errors, bearer-token auth enforced from each route's
 * declared role, per-token rate limits, OpenAPI 3.1 at /openapi.json, and every route module of
 * src/server/routes. Not listening: call `app.listen` (serve does) or `app.inject` (tests).
 * @example
 * const app = await buildServer(ctx, { logger: false });
 * const res = await app.inject({ method: 'GET', url: '/v1/status', headers: { authorization: `Bearer ${token}` } });
 */
export async function buildServer(ctx: ServerContext, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? {
      level: 'info',
      // Never a token, cookie or secret in the log: the request serializer logs method, url and
      // address only, and these paths are redacted should anything log headers.
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie', 'token'],
        censor: '[redacted]',
      },
    },
    bodyLimit: ctx.config.bodyLimit,
    // No implicit HEAD twins: every route in the table is one that was declared.
    exposeHeadRoutes: false,
    // Request ids from the caller are not trusted: they would let a client forge log correlation.
    genReqId: (() => {
      let n = 0;
      const prefix = Math.random().toString(36).slice(2, 8);
      return () => `${prefix}-${(++n).toString(36)}`;
    })(),
    ...(options.https ? { https: options.https } : {}),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  }) as unknown as FastifyInstance;
  ctx.log = app.log;
  app.decorate('wardenRoutes', [] as RouteEntry[]);
  app.decorateRequest('principal', undefined);

  // Fail closed: a route without a declared access stops the server from starting.
  app.addHook('onRoute', (route: RouteOptions) => {
    const access = accessOf(route);
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) app.wardenRoutes.push({ method: String(method), url: route.url, access });
  });

  app.setErrorHandler((error, request, reply) => {
    const problem = toProblem(error, request.id);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    reply.code(problem.status).type('application/problem+json').send(problem);
  });
  app.setNotFoundHandler((request, reply) => {
    const problem = toProblem(
      { statusCode: 404, message: `no route ${request.method} ${request.url.split('?')[0]}` },
      request.id,
    );
    reply.code(404).type('application/problem+json').send(problem);
  });

  const tokens = tokenCache(ctx.store);
  // Authentication and roles, one hook for every route: runs before body parsing, so an unauthenticated
  // caller cannot make the server read (or inflate) a large body.
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config as RouteAccess;
    if (config.public === true) return;
    const required = config.role;
    // A route outside the table (404) has no config: let the not-found handler answer.
    if (required === undefined) {
      if (request.routeOptions.url === undefined) return;
      throw forbidden('viewer', 'admin');
    }
    const token = bearerToken(request);
    if (token !== undefined) {
      const who = await tokens.verify(token);
      if (who === undefined) throw unauthenticated('the bearer token is unknown or revoked');
      request.principal = { name: who.name, role: who.role, via: 'token' };
    } else {
      for (const authenticate of ctx.authenticators) {
        const p = await authenticate(request);
        if (p !== undefined) {
          request.principal = p;
          break;
        }
      }
      if (request.principal === undefined) throw unauthenticated();
    }
    if (!allows(request.principal.role, required)) throw forbidden(request.principal.role, required);
  });

  await app.register(rateLimit, {
    global: true,
    max: ctx.config.rateLimit,
    timeWindow: 60_000,
    // Per token (by hash: the token itself never becomes a key in memory dumps), else per address.
    keyGenerator: (request) => {
      const token = bearerToken(request);
      return token === undefined ? `ip:${request.ip}` : `token:${tokenHash(token).slice(0, 32)}`;
    },
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      message: `rate limit of ${context.max} requests per minute reached; retry in ${Math.ceil(context.ttl / 1000)} s`,
    }),
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Warden API',
        version: wardenVersion(),
        description: 'Continuous detection for non-human identities. Roles: viewer < analyst < admin; ingest; workload.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    // Each operation says which role it needs, and public ones drop the security requirement.
    transform: ({ schema, route }) => {
      const config = (route.config ?? {}) as RouteAccess;
      const s = { ...(schema ?? {}) } as Record<string, unknown>;
      if (config.public) s.security = [];
      else if (config.role !== undefined) {
        const roles = typeof config.role === 'string' ? [config.role] : config.role;
        s['x-warden-role'] = roles;
      }
      return { schema: s as never, url: route.url };
    },
  });

  for (const register of options.routes ?? ROUTE_MODULES) {
    // Each module in its own encapsulated scope: its content-type parsers and hooks stay its own.
    await app.register(async (scope) => {
      await register(scope, ctx);
    });
  }

  app.get('/openapi.json', { config: { role: 'viewer' }, schema: { hide: true } as never }, async () => app.swagger());
  return app;
}

/** How long a verified bearer token is taken on trust before the store is asked again. */
export const TOKEN_CACHE_MS = 1000;
const TOKEN_CACHE_MAX = 10_000;

/**
 * Bearer-token checks with a short memory: a live token's name and role are kept by hash (never the
 * token itself) for TOKEN_CACHE_MS, so a steady stream of requests from one caller (a workload asking
 * for decisions) costs one store query a second rather than one per request. Unknown and revoked
 * tokens are never kept, so a new token works at once; a revoked one stops within TOKEN_CACHE_MS.
 */
function tokenCache(store: ServerContext['store']): { verify(token: string): ReturnType<typeof verifyToken> } {
  const live = new Map<string, { who: { name: string; role: Role }; until: number }>();
  return {
    async verify(token) {
      const hash = tokenHash(token);
      const now = Date.now();
      const hit = live.get(hash);
      if (hit !== undefined && hit.until > now) return hit.who;
      live.delete(hash);
      const who = await verifyToken(store, token);
      if (who !== undefined) {
        if (live.size >= TOKEN_CACHE_MAX) live.clear();
        live.set(hash, { who, until: now + TOKEN_CACHE_MS });
      }
      return who;
    },
  };
}

/**
 * Appends to the audit trail on behalf of a request: the helper behind `ctx.audit`.
 * @example const audit = auditFor(store); await audit(request, { action: 'token.create', target: name });
 */
export function auditFor(store: ServerContext['store']): ServerContext['audit'] {
  return (request, entry, target) => {
    const actor = 'actor' in request ? request.actor : actorOf(request);
    return appendAudit(target ?? store, { ...entry, actor });
  };
}
