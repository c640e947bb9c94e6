import type { FastifyInstance } from 'fastify';
import { readCounters } from '../../store/partitions.js';
import type { ServerContext } from '../context.js';

/** GET /v1/status (viewer): `{ingested, processed, lag, workers}`; processed == ingested once all went through detection. */
export function registerStatus(app: FastifyInstance, ctx: ServerContext): void {
  app.get(
    '/v1/status',
    {
      config: { role: 'viewer' },
      schema: { summary: 'ingest progress: processed equals ingested once detection caught up', tags: ['ingest'] },
    },
    async () => {
      const s = await ctx.pipeline.status();
      const counters = await readCounters(ctx.store);
      const reasons: Record<string, number> = {};
      for (const [name, n] of Object.entries(counters))
        if (name.startsWith('rejected:')) reasons[name.slice('rejected:'.length)] = n;
      return {
        ingested: s.ingested,
        processed: s.processed,
        lag: Math.max(0, s.ingested - s.processed),
        workers: s.workers,
        partitions: s.partitions,
        mode: ctx.pipeline.mode,
        records: {
          accepted: counters['records.accepted'] ?? 0,
          rejected: Object.values(reasons).reduce((a, n) => a + n, 0),
          reasons,
        },
      };
    },
  );
}
