import type { FastifyInstance } from 'fastify';
import { DETECTIONS } from '../../detect/detections/index.js';
import { exceptionsForExpectedChange } from '../../detect/learned.js';
import { WardenError } from '../../model/errors.js';
import { SEVERITIES, type Severity } from '../../model/severity.js';
import { toDetectionFinding } from '../../report/ocsf.js';
import {
  getTriagedAlert,
  listAlertPage,
  setAlertStatus,
  TRIAGE_STATES,
  type TriagedAlert,
  type TriageState,
} from '../../store/alert-triage.js';
import { addLearnedExceptions } from '../../store/learned-exceptions.js';
import { actorOf } from '../auth.js';
import type { ServerContext } from '../context.js';

const ANALYTIC_TYPE = new Map(DETECTIONS.map((d) => [d.meta.id as string, d.meta.type]));

/** OCSF status_id for each triage state (Detection Finding: 1 New, 2 In Progress, 3 Suppressed, 4 Resolved). */
const OCSF_STATUS: Record<TriageState, [number, string]> = {
  open: [1, 'New'],
  acknowledged: [2, 'In Progress'],
  suppressed: [3, 'Suppressed'],
  resolved: [4, 'Resolved'],
};

/** An alert as the API shows it: an OCSF Detection Finding carrying its triage state. */
export function findingOf(t: TriagedAlert): Record<string, unknown> {
  const f = toDetectionFinding(t.alert, t.alert.count > 1 ? 'update' : 'create', ANALYTIC_TYPE.get(t.alert.detectionId));
  const [statusId, status] = OCSF_STATUS[t.status];
  f.status_id = statusId;
  f.status = status;
  if (t.reason !== null) f.status_detail = t.reason;
  (f.unmapped as Record<string, unknown>).triage = {
    state: t.status,
    reason: t.reason,
    updatedAt: t.updatedAt,
    updatedBy: t.updatedBy,
  };
  return f;
}

interface AlertQuery {
  severity?: Severity;
  detection?: string;
  identity?: string;
  since?: string;
  state?: TriageState;
  cursor?: string;
  limit?: number;
}

/** GET /v1/alerts (viewer), GET /v1/alerts/{uid} (viewer), PATCH /v1/alerts/{uid} (analyst: triage). */
export function registerAlerts(app: FastifyInstance, ctx: ServerContext): void {
  app.get<{ Querystring: AlertQuery }>(
    '/v1/alerts',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'alerts as OCSF Detection Findings, most recently seen first',
        tags: ['alerts'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            severity: { type: 'string', enum: [...SEVERITIES], description: 'this severity and above' },
            detection: { type: 'string' },
            identity: { type: 'string' },
            since: { type: 'string', description: 'ISO time: alerts last seen at or after it' },
            state: { type: 'string', enum: [...TRIAGE_STATES] },
            cursor: { type: 'string' },
            limit: { type: 'integer', minimum: 1, maximum: 1000 },
          },
        },
      },
    },
    async (request) => {
      const q = request.query;
      let since: number | undefined;
      if (q.since !== undefined) {
        since = Date.parse(q.since);
        if (Number.isNaN(since))
          throw new WardenError('WARDEN_USAGE', `since takes an ISO time such as 2026-03-01T00:00:00Z, not "${q.since}"`);
      }
      const page = await listAlertPage(ctx.store, {
        minSeverity: q.severity,
        detectionId: q.detection,
        identityId: q.identity,
        since,
        status: q.state,
        cursor: q.cursor,
        limit: q.limit,
      });
      return { items: page.items.map(findingOf), next: page.next };
    },
  );

  app.get<{ Params: { uid: string } }>(
    '/v1/alerts/:uid',
    { config: { role: 'viewer' }, schema: { summary: 'one alert', tags: ['alerts'] } },
    async (request) => {
      const t = await getTriagedAlert(ctx.store, request.params.uid);
      if (t === undefined) throw new WardenError('WARDEN_NOT_FOUND', `no alert ${request.params.uid}`);
      return findingOf(t);
    },
  );

  app.patch<{ Params: { uid: string }; Body: { state: TriageState; reason?: string } }>(
    '/v1/alerts/:uid',
    {
      config: { role: 'analyst' },
      schema: {
        summary: 'triage an alert: open, acknowledged, resolved or suppressed, with a reason',
        tags: ['alerts'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['state'],
          properties: { state: { type: 'string', enum: [...TRIAGE_STATES] }, reason: { type: 'string', maxLength: 2000 } },
        },
      },
    },
    async (request) => {
      const { uid } = request.params;
      const by = actorOf(request);
      const after = await ctx.store.transaction(async (trx) => {
        const change = await setAlertStatus(trx, uid, { status: request.body.state, reason: request.body.reason ?? '', by });
        // Closed as an expected change (a reason starting "expected change"): the same identity from the
        // same new network or region is an exception from now on, recorded in the audit trail.
        const reason = request.body.reason ?? '';
        if ((request.body.state === 'resolved' || request.body.state === 'suppressed') && /^expected[ -]change\b/i.test(reason)) {
          const triaged = await getTriagedAlert(trx, uid);
          const learned = triaged === undefined ? undefined : exceptionsForExpectedChange(triaged.alert, reason, by);
          if (learned !== undefined) {
            const added = await addLearnedExceptions(trx, learned);
            await ctx.audit(
              request,
              { action: 'detect.exception.learned', target: uid, detail: { exceptions: learned, added } },
              trx,
            );
          }
        }
        await ctx.audit(
          request,
          {
            action: 'alert.triage',
            target: uid,
            detail: {
              before: { state: change.before.status, reason: change.before.reason },
              after: { state: change.after.status, reason: change.after.reason },
            },
          },
          trx,
        );
        return change.after;
      });
      return findingOf(after);
    },
  );
}
