import type { FastifyInstance } from 'fastify';
import { WardenError } from '../../model/errors.js';
import type { Severity } from '../../model/severity.js';
import { declarationOf, resolveIdentity } from '../../policy/index.js';
import { frameworkReport, REPORT_FRAMEWORKS } from '../../report/framework.js';
import { frameworkReportHtml } from '../../report/framework-html.js';
import { alertDetail, alertPage, groupedBlastRadius, overview } from '../../store/dashboard.js';
import { getGraphNode } from '../../store/graph.js';
import { evidenceOf, getRisk, listIdentities, resolveNode } from '../../store/graph-query.js';
import { listScanFindings } from '../../store/scan-findings.js';
import type { ServerContext } from '../context.js';
import { policyServices } from '../policy-service.js';

/*
 * The dashboard's data routes: aggregates and pages the web app reads, each declared `viewer` and
 * paged on the server. The pages themselves are served by web.ts.
 */

const PAGE_SIZE_MAX = 200;

interface Paging {
  offset?: number;
  limit?: number;
}
const paging = {
  offset: { type: 'integer', minimum: 0, maximum: 10_000_000 },
  limit: { type: 'integer', minimum: 1, maximum: PAGE_SIZE_MAX },
} as const;

/** Framework coverage at a glance, for the overview: built once per process (rules do not change). */
let coverage: Promise<Array<{ name: string; title: string; version: string; controls: number; covered: number }>> | undefined;
function frameworkCoverage() {
  coverage ??= Promise.all(
    Object.keys(REPORT_FRAMEWORKS).map(async (name) => {
      const r = await frameworkReport(name);
      return {
        name,
        title: r.framework.title,
        version: r.framework.version,
        controls: r.summary.controls,
        covered: r.summary.covered,
      };
    }),
  );
  return coverage;
}

/** Controls with findings or alerts, per framework: cached for a minute (a full pass over the findings). */
let hits: { at: number; value: Promise<Record<string, number>> } | undefined;
function frameworkHits(ctx: ServerContext): Promise<Record<string, number>> {
  if (hits === undefined || Date.now() - hits.at > 60_000) {
    const value = (async () => {
      const out: Record<string, number> = {};
      for (const name of Object.keys(REPORT_FRAMEWORKS))
        out[name] = (await frameworkReport(name, ctx.store)).summary.withFindings;
      return out;
    })();
    hits = { at: Date.now(), value };
    value.catch(() => {
      hits = undefined;
    });
  }
  return hits.value;
}

/** GET /v1/dashboard/* and /v1/reports/:framework (viewer). */
export function registerDashboard(app: FastifyInstance, ctx: ServerContext): void {
  // Loading every rule catalogue takes most of a second: do it at start, not on the first overview.
  frameworkCoverage().catch((error: unknown) => ctx.log?.error({ err: error }, 'framework coverage failed'));
  app.get(
    '/v1/dashboard/overview',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'overview aggregates: risk by band, incidents, alerts per day, exposure, coverage',
        tags: ['dashboard'],
      },
    },
    async () => {
      const [o, fw, hit] = await Promise.all([overview(ctx.store), frameworkCoverage(), frameworkHits(ctx)]);
      return { ...o, frameworks: fw.map((f) => ({ ...f, withFindings: hit[f.name] ?? 0 })) };
    },
  );

  app.get<{
    Querystring: Paging & {
      status?: string;
      severity?: Severity;
      detection?: string;
      identity?: string;
      sort?: 'risk' | 'recent' | 'severity';
    };
  }>(
    '/v1/dashboard/alerts',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'alerts filtered, sorted and paged on the server (sort=risk: riskiest identity first)',
        tags: ['dashboard'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...paging,
            status: { type: 'string', enum: ['open', 'acknowledged', 'resolved', 'suppressed'] },
            severity: { type: 'string', enum: ['info', 'low', 'medium', 'high', 'critical'] },
            detection: { type: 'string', maxLength: 200 },
            identity: { type: 'string', maxLength: 500 },
            sort: { type: 'string', enum: ['risk', 'recent', 'severity'] },
          },
        },
      },
    },
    async (request) => alertPage(ctx.store, request.query),
  );

  app.get<{ Params: { uid: string } }>(
    '/v1/dashboard/alerts/:uid',
    {
      config: { role: 'viewer' },
      schema: { summary: 'one alert: its events, triage state, identity risk and evidence chain', tags: ['dashboard'] },
    },
    async (request) => {
      const d = await alertDetail(ctx.store, request.params.uid);
      if (d === undefined) throw new WardenError('WARDEN_NOT_FOUND', `no alert ${request.params.uid}`);
      return d;
    },
  );

  app.get<{ Querystring: Paging }>(
    '/v1/dashboard/identities',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'identities, riskiest first, paged',
        tags: ['dashboard'],
        querystring: { type: 'object', additionalProperties: false, properties: paging },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const offset = request.query.offset ?? 0;
      const items = await listIdentities(ctx.store, { limit, offset });
      const total = Number(
        (
          await ctx.store.db
            .selectFrom('graph_nodes')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('kind', '=', 'identity')
            .executeTakeFirst()
        )?.n ?? 0,
      );
      return { items, total };
    },
  );

  app.get<{ Querystring: { id: string } }>(
    '/v1/dashboard/identity',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'one identity: risk, credentials with exposure, evidence chain and grouped blast radius',
        tags: ['dashboard'],
        querystring: {
          type: 'object',
          required: ['id'],
          additionalProperties: false,
          properties: { id: { type: 'string', minLength: 1, maxLength: 2000 } },
        },
      },
    },
    async (request) => {
      const id =
        (await resolveNode(
          ctx.store,
          request.query.id.startsWith('identity:') ? request.query.id : `identity:${request.query.id}`,
        )) ?? (await resolveNode(ctx.store, request.query.id));
      const node = id === undefined ? undefined : await getGraphNode(ctx.store, id);
      if (id === undefined || node === undefined)
        throw new WardenError('WARDEN_NOT_FOUND', `no identity ${request.query.id} in the graph`);
      const [risk, evidence, blast] = await Promise.all([
        getRisk(ctx.store, id),
        evidenceOf(ctx.store, id),
        groupedBlastRadius(ctx.store, id),
      ]);
      // The identity's entry in the policy manifest the server enforces (--policy, else ./warden.policy.yaml).
      const manifest = policyServices(ctx).manifest();
      const declared =
        resolveIdentity(manifest, id.replace(/^identity:/, '')) ??
        (node.label === undefined ? undefined : resolveIdentity(manifest, node.label));
      return {
        node,
        ...(risk ? { risk } : {}),
        evidence,
        blast,
        ...(declared ? { manifest: declarationOf(manifest, declared) } : {}),
      };
    },
  );

  app.get<{ Querystring: Paging & { repository?: string; kind?: 'secret' | 'posture'; severity?: Severity } }>(
    '/v1/dashboard/findings',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'findings of uploaded scans by repository, file and line (never the secret), paged',
        tags: ['dashboard'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...paging,
            repository: { type: 'string', maxLength: 500 },
            kind: { type: 'string', enum: ['secret', 'posture'] },
            severity: { type: 'string', enum: ['info', 'low', 'medium', 'high', 'critical'] },
          },
        },
      },
    },
    async (request) => listScanFindings(ctx.store, request.query),
  );

  app.get<{ Params: { framework: string }; Querystring: { format?: 'json' | 'html'; download?: string } }>(
    '/v1/reports/:framework',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'a framework report (coverage, findings and alerts per control) as JSON or a standalone HTML page',
        tags: ['dashboard'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { format: { type: 'string', enum: ['json', 'html'] }, download: { type: 'string', enum: ['0', '1'] } },
        },
      },
    },
    async (request, reply) => {
      const report = await frameworkReport(request.params.framework, ctx.store);
      const html = request.query.format === 'html';
      if (request.query.download === '1')
        reply.header('content-disposition', `attachment; filename="warden-${report.framework.name}.${html ? 'html' : 'json'}"`);
      if (!html) return report;
      reply.type('text/html; charset=utf-8').header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
      return frameworkReportHtml(report);
    },
  );
}
