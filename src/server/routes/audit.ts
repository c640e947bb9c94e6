import type { FastifyInstance } from 'fastify';
import { listAudit } from '../../store/audit.js';
import type { ServerContext } from '../context.js';

interface AuditQuery {
  action?: string;
  target?: string;
  actor?: string;
  ref?: string;
  cursor?: string;
  limit?: number;
}

/** GET /v1/audit (admin): the audit trail, newest first, a page at a time. */
export function registerAudit(app: FastifyInstance, ctx: ServerContext): void {
  app.get<{ Querystring: AuditQuery }>(
    '/v1/audit',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'the audit trail: every write, decision and response step, newest first',
        tags: ['audit'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            action: { type: 'string', description: 'an action, or a prefix ending in "." or "*"' },
            target: { type: 'string' },
            actor: { type: 'string' },
            ref: { type: 'string' },
            cursor: { type: 'string' },
            limit: { type: 'integer', minimum: 1, maximum: 1000 },
          },
        },
      },
    },
    async (request) => listAudit(ctx.store, request.query),
  );
}
