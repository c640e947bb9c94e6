import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type ErrorCode, WardenError } from '../../model/errors.js';
import type { ClientInfo, Refusal } from '../../policy/jit/broker.js';
import { bearerToken } from '../auth.js';
import type { ServerContext } from '../context.js';
import { policyServices } from '../policy-service.js';

const DECISION = {
  type: 'object',
  required: ['decision', 'reasons', 'policies'],
  properties: {
    decision: { type: 'string', enum: ['allow', 'deny'] },
    reasons: { type: 'array', items: { type: 'string' } },
    policies: { type: 'array', items: { type: 'string' } },
    identity: { type: 'string' },
    credential: { type: 'string' },
    task: { type: 'string' },
  },
} as const;

function client(request: FastifyRequest): ClientInfo {
  const ua = request.headers['user-agent'];
  return { ip: request.ip, ...(typeof ua === 'string' ? { userAgent: ua } : {}) };
}

const CODE_OF: Record<Refusal['status'], ErrorCode> = {
  400: 'WARDEN_INPUT_INVALID',
  401: 'WARDEN_UNAUTHENTICATED',
  403: 'WARDEN_FORBIDDEN',
  404: 'WARDEN_NOT_FOUND',
};

/** A broker refusal as the problem the API answers with. */
export function refusal(r: Refusal): WardenError {
  return new WardenError(CODE_OF[r.status], r.reason);
}

/**
 * POST /v1/authorize (workload, admin): CONTRACTS §3, one decision per request, always 200 with the
 * decision (a denial is an answer, not an error); GET /.well-known/jwks.json (public): the keys that
 * verify just-in-time credentials.
 */
export function registerAuthorize(app: FastifyInstance, ctx: ServerContext): void {
  const svc = policyServices(ctx);
  app.addHook('onClose', async () => svc.close());

  app.post(
    '/v1/authorize',
    {
      config: { role: ['workload', 'admin'] },
      schema: {
        summary: 'decide one request against the manifest (allow or deny, with reasons and the deciding policies)',
        tags: ['authz'],
        body: {
          type: 'object',
          required: ['principal', 'action', 'resource'],
          properties: {
            principal: { type: 'string', description: 'a Warden name, anything its match lists, or a just-in-time credential' },
            action: { type: 'string' },
            resource: { type: 'string' },
            context: {
              type: 'object',
              properties: {
                time: { type: 'string' },
                sourceIp: { type: 'string' },
                environment: { type: 'string' },
                region: { type: 'string' },
              },
            },
          },
        },
        response: { 200: DECISION },
      },
    },
    async (request) => svc.authorizer.authorize(request.body, client(request)),
  );

  app.get(
    '/.well-known/jwks.json',
    {
      config: { public: true },
      schema: { summary: 'public keys of the just-in-time credentials (RFC 7517)', tags: ['credentials'] },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=60');
      return svc.broker.jwks();
    },
  );
}

/**
 * POST /v1/credentials (public: the workload identity token is the credential), POST
 * /v1/credentials/introspect (workload, admin: RFC 7662), POST /v1/credentials/{id}/revoke (an admin
 * token, or the workload the credential was issued to: its identity token or the credential itself).
 */
export function registerCredentials(app: FastifyInstance, ctx: ServerContext): void {
  const svc = policyServices(ctx);
  // RFC 7662 §2.1 clients send the token form-encoded; CONTRACTS §4 clients send JSON. Both work.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 65_536 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });

  app.post(
    '/v1/credentials',
    {
      config: { public: true },
      schema: {
        summary:
          'exchange a workload identity token (GitHub Actions OIDC, Kubernetes, SPIFFE JWT-SVID) for a task-scoped credential',
        tags: ['credentials'],
        body: {
          type: 'object',
          required: ['identity'],
          properties: {
            identity: { type: 'string' },
            ttl: { type: 'string' },
            task: { type: 'string' },
            audience: { type: 'string' },
          },
        },
      },
    },
    async (request, reply) => {
      const token = bearerToken(request);
      if (token === undefined)
        throw new WardenError('WARDEN_UNAUTHENTICATED', 'a workload identity token is required: Authorization: Bearer <token>');
      const r = await svc.broker.issue(token, request.body, client(request));
      if (!r.ok) throw refusal(r);
      const { ok: _, ...body } = r;
      await ctx.audit(
        { actor: `workload:${r.identity}` },
        {
          action: 'credential.issue',
          target: r.id,
          outcome: 'ok',
          detail: { identity: r.identity, ttl: r.ttl, expiresAt: r.expiresAt },
        },
      );
      reply.code(201);
      return body;
    },
  );

  app.post(
    '/v1/credentials/introspect',
    {
      config: { role: ['workload', 'admin'] },
      schema: {
        summary: 'RFC 7662 token introspection of a just-in-time credential',
        tags: ['credentials'],
        body: { type: 'object', required: ['token'], properties: { token: { type: 'string' } } },
      },
    },
    async (request) => svc.broker.introspect((request.body as { token: string }).token, client(request)),
  );

  app.post<{ Params: { id: string } }>(
    '/v1/credentials/:id/revoke',
    {
      // Authenticated here, not by the role hook: an admin's Warden token, or the workload's own token.
      config: { public: true },
      schema: {
        summary: 'revoke a just-in-time credential (admin, or the workload it was issued to)',
        tags: ['credentials'],
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } } },
      },
    },
    async (request) => {
      const token = bearerToken(request);
      if (token === undefined)
        throw new WardenError('WARDEN_UNAUTHENTICATED', 'a bearer token is required: Authorization: Bearer <token>');
      const id = request.params.id;
      const { verifyToken } = await import('../../store/tokens.js');
      const who = await verifyToken(ctx.store, token);
      let by: string;
      if (who !== undefined) {
        if (who.role !== 'admin')
          throw new WardenError(
            'WARDEN_FORBIDDEN',
            `revoking a credential needs the admin role, or the workload it was issued to`,
          );
        by = `token:${who.name}`;
      } else {
        const self = await svc.broker.check(token);
        if (self.record !== undefined && self.record.id === id && self.state === 'active') by = `credential:${id}`;
        else if (await svc.broker.isIssuedTo(id, token)) by = 'workload';
        else
          throw new WardenError('WARDEN_FORBIDDEN', 'only an admin, or the workload the credential was issued to, may revoke it');
      }
      const r = await svc.broker.revoke(id, by, client(request));
      if (!r.ok) throw refusal(r);
      await ctx.audit({ actor: by }, { action: 'credential.revoke', target: id, outcome: r.revoked ? 'ok' : 'unchanged' });
      return {
        id,
        revoked: true,
        revokedAt: new Date(r.record.revokedAt ?? Date.now()).toISOString(),
        identity: r.record.identity,
      };
    },
  );
}
