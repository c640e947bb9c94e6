import type { FastifyInstance } from 'fastify';
import { WardenError } from '../../model/errors.js';
import { readScanReport } from '../../report/read.js';
import { importFindings, importInventory } from '../../store/graph-import.js';
import { rescoreGraph } from '../../store/graph-query.js';
import type { ServerContext } from '../context.js';

interface ScanQuery {
  repo?: string;
  visibility?: 'public' | 'private' | 'unknown';
}

/** POST /v1/scans (ingest): a `warden scan` JSON or SARIF report, imported into the identity graph and rescored. */
export function registerScans(app: FastifyInstance, ctx: ServerContext): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: ctx.config.bodyLimit }, (_req, body, done) => done(null, body));
  app.post<{ Querystring: ScanQuery; Body: string | undefined }>(
    '/v1/scans',
    {
      config: { role: 'ingest' },
      schema: {
        summary: 'upload a warden scan report (JSON or SARIF) into the identity graph',
        tags: ['graph'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            repo: { type: 'string', maxLength: 512 },
            visibility: { type: 'string', enum: ['public', 'private', 'unknown'] },
          },
        },
      },
    },
    async (request) => {
      let report: ReturnType<typeof readScanReport>;
      try {
        report = readScanReport(typeof request.body === 'string' ? request.body : '');
      } catch (error) {
        throw new WardenError('WARDEN_INPUT_INVALID', `not a warden scan report (JSON or SARIF): ${(error as Error).message}`);
      }
      const repo = request.query.repo ?? 'unknown';
      const findings = await importFindings(ctx.store, report.findings, {
        repo,
        visibility: request.query.visibility ?? 'unknown',
      });
      const relations = await importInventory(ctx.store, report.inventory, { repo });
      const rescored = await rescoreGraph(ctx.store);
      const answer = {
        format: report.format,
        findings: findings.imported,
        relations: relations.imported,
        rejected: report.rejected.length,
        reasons: report.rejected.slice(0, 20),
        scored: { identities: rescored.identities, findings: rescored.findings },
      };
      await ctx.audit(request, { action: 'scan.import', target: repo, detail: { ...answer, reasons: undefined } });
      return answer;
    },
  );
}
