import type { FastifyInstance } from 'fastify';
import { WardenError } from '../../model/errors.js';
import type { ServerContext } from '../context.js';

/** GET /healthz (the process answers) and GET /readyz (the store and, with a bus, NATS answer). Public. */
export function registerHealth(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/healthz', { config: { public: true }, schema: { summary: 'liveness', tags: ['health'] } }, async () => ({
    status: 'ok',
  }));
  app.get(
    '/readyz',
    { config: { public: true }, schema: { summary: 'readiness: store and bus answer', tags: ['health'] } },
    async () => {
      if (!(await ctx.pipeline.ready()))
        throw new WardenError('WARDEN_UNAVAILABLE', 'not ready: the store or the bus does not answer');
      return { status: 'ready' };
    },
  );
}
