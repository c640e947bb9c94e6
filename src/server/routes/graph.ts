import type { FastifyInstance } from 'fastify';
import { WardenError } from '../../model/errors.js';
import { blastRadius, evidenceOf, listIdentities, listRisk, resolveNode } from '../../store/graph-query.js';
import type { ServerContext } from '../context.js';

const PAGE = 100;

async function resolveOrFail(ctx: ServerContext, input: string): Promise<string> {
  const id = await resolveNode(ctx.store, input);
  if (id === undefined) throw new WardenError('WARDEN_NOT_FOUND', `"${input}" is not in the graph`);
  return id;
}

function offsetOf(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const n = Number(cursor);
  if (!Number.isSafeInteger(n) || n < 0) throw new WardenError('WARDEN_USAGE', 'cursor is not one this API returned');
  return n;
}

/**
 * GET /v1/risk, /v1/risk/{id}, /v1/identities, /v1/identities/{id}, /v1/blast-radius/{id} (viewer):
 * the JSON of `warden risk`, `warden identities` and `warden blast-radius` with `--format json`.
 */
export function registerGraph(app: FastifyInstance, ctx: ServerContext): void {
  app.get<{ Querystring: { limit?: number } }>(
    '/v1/risk',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'identities and leaked-secret findings ranked by risk (as warden risk --format json)',
        tags: ['graph'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 1000 } },
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 20;
      return {
        identities: await listRisk(ctx.store, { kind: 'identity', limit }),
        findings: await listRisk(ctx.store, { kind: 'finding', limit }),
      };
    },
  );
  // Ids are ARNs, service-account names and key ids: a wildcard takes the rest of the path, slashes and all.
  app.get<{ Params: { '*': string } }>(
    '/v1/risk/*',
    {
      config: { role: 'viewer' },
      schema: { summary: 'why one identity, credential or finding ranks where it does', tags: ['graph'] },
    },
    async (request) => evidenceOf(ctx.store, await resolveOrFail(ctx, request.params['*'])),
  );
  app.get<{ Querystring: { cursor?: string; type?: string; limit?: number } }>(
    '/v1/identities',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'identities in the graph, riskiest first (as warden identities --format json), a page at a time',
        tags: ['graph'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            cursor: { type: 'string' },
            type: { type: 'string' },
            limit: { type: 'integer', minimum: 1, maximum: 1000 },
          },
        },
      },
    },
    async (request) => {
      const offset = offsetOf(request.query.cursor);
      const limit = request.query.limit ?? PAGE;
      const rows = await listIdentities(ctx.store, { offset, limit: limit + 1, type: request.query.type });
      return { items: rows.slice(0, limit), next: rows.length > limit ? String(offset + limit) : null };
    },
  );
  app.get<{ Params: { '*': string } }>(
    '/v1/identities/*',
    { config: { role: 'viewer' }, schema: { summary: 'one identity with its evidence chain', tags: ['graph'] } },
    async (request) => evidenceOf(ctx.store, await resolveOrFail(ctx, request.params['*'])),
  );
  app.get<{ Params: { '*': string }; Querystring: { maxDepth?: number } }>(
    '/v1/blast-radius/*',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'everything an identity, credential or workload can reach (as warden blast-radius --format json)',
        tags: ['graph'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { maxDepth: { type: 'integer', minimum: 1, maximum: 32 } },
        },
      },
    },
    async (request) =>
      blastRadius(ctx.store, await resolveOrFail(ctx, request.params['*']), { maxDepth: request.query.maxDepth ?? 8 }),
  );
}
