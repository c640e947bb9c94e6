import type { Alert } from '../model/alert.js';
import { WardenError } from '../model/errors.js';
import { SEVERITIES, type Severity, severityRank } from '../model/severity.js';
import { queryable, type StoreTarget } from './store.js';

/** Triage states of an alert: open until someone acknowledges, resolves or suppresses it. */
export const TRIAGE_STATES = ['open', 'acknowledged', 'resolved', 'suppressed'] as const;
export type TriageState = (typeof TRIAGE_STATES)[number];

/** An alert with its triage. */
export interface TriagedAlert {
  alert: Alert;
  status: TriageState;
  reason: string | null;
  updatedAt: string | null;
  updatedBy: string | null;
}

export interface AlertPageFilter {
  /** This severity and above. */
  minSeverity?: Severity | undefined;
  detectionId?: string | undefined;
  identityId?: string | undefined;
  /** Last seen at or after (epoch ms). */
  since?: number | undefined;
  status?: TriageState | undefined;
  /** The `next` of the previous page. */
  cursor?: string | undefined;
  /** 1-1000, default 100. */
  limit?: number | undefined;
}

function encodeCursor(lastSeen: number, uid: string): string {
  return Buffer.from(JSON.stringify([lastSeen, uid])).toString('base64url');
}

function decodeCursor(cursor: string): [number, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'string') return [v[0], v[1]];
  } catch {
    // falls through to the error below
  }
  throw new WardenError('WARDEN_USAGE', 'cursor is not one this API returned');
}

type Row = { alert: string; status: string; status_reason: string | null; status_at: number | null; status_by: string | null };

function triaged(row: Row): TriagedAlert {
  return {
    alert: JSON.parse(row.alert) as Alert,
    status: row.status as TriageState,
    reason: row.status_reason,
    updatedAt: row.status_at === null ? null : new Date(row.status_at).toISOString(),
    updatedBy: row.status_by,
  };
}

/**
 * A page of alerts, most recently seen first (ties by uid), with triage state; `next` is null on the last page.
 * @example const { items, next } = await listAlertPage(store, { minSeverity: 'high', limit: 50 });
 */
export async function listAlertPage(
  target: StoreTarget,
  filter: AlertPageFilter = {},
): Promise<{ items: TriagedAlert[]; next: string | null }> {
  const limit = filter.limit ?? 100;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000)
    throw new WardenError('WARDEN_USAGE', `limit must be a whole number from 1 to 1000, not ${limit}`);
  let q = queryable(target)
    .selectFrom('alerts')
    .select(['uid', 'last_seen', 'alert', 'status', 'status_reason', 'status_at', 'status_by']);
  if (filter.identityId !== undefined) q = q.where('identity_id', '=', filter.identityId);
  if (filter.detectionId !== undefined) q = q.where('detection_id', '=', filter.detectionId);
  if (filter.status !== undefined) q = q.where('status', '=', filter.status);
  if (filter.minSeverity !== undefined) {
    if (!SEVERITIES.includes(filter.minSeverity))
      throw new WardenError('WARDEN_USAGE', `unknown severity "${filter.minSeverity}" (${SEVERITIES.join(', ')})`);
    q = q.where('severity', 'in', SEVERITIES.slice(severityRank(filter.minSeverity)));
  }
  if (filter.since !== undefined) q = q.where('last_seen', '>=', filter.since);
  if (filter.cursor !== undefined) {
    const [lastSeen, uid] = decodeCursor(filter.cursor);
    q = q.where((eb) => eb.or([eb('last_seen', '<', lastSeen), eb.and([eb('last_seen', '=', lastSeen), eb('uid', '>', uid)])]));
  }
  const rows = await q
    .orderBy('last_seen', 'desc')
    .orderBy('uid', 'asc')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { items: page.map(triaged), next: rows.length > limit && last ? encodeCursor(last.last_seen, last.uid) : null };
}

/** One alert with its triage, or undefined. */
export async function getTriagedAlert(target: StoreTarget, uid: string): Promise<TriagedAlert | undefined> {
  const row = await queryable(target)
    .selectFrom('alerts')
    .select(['alert', 'status', 'status_reason', 'status_at', 'status_by'])
    .where('uid', '=', uid)
    .executeTakeFirst();
  return row === undefined ? undefined : triaged(row);
}

/**
 * Sets an alert's triage state and returns it before and after; WARDEN_NOT_FOUND for an unknown uid.
 * @example const { before, after } = await setAlertStatus(trx, uid, { status: 'resolved', reason: 'key rotated', by: 'token:alice' });
 */
export async function setAlertStatus(
  target: StoreTarget,
  uid: string,
  change: { status: TriageState; reason: string; by: string },
): Promise<{ before: TriagedAlert; after: TriagedAlert }> {
  if (!TRIAGE_STATES.includes(change.status))
    throw new WardenError('WARDEN_USAGE', `unknown triage state "${change.status}" (${TRIAGE_STATES.join(', ')})`);
  const before = await getTriagedAlert(target, uid);
  if (before === undefined) throw new WardenError('WARDEN_NOT_FOUND', `no alert ${uid}`);
  const now = Date.now();
  await queryable(target)
    .updateTable('alerts')
    .set({ status: change.status, status_reason: change.reason, status_at: now, status_by: change.by })
    .where('uid', '=', uid)
    .execute();
  return {
    before,
    after: {
      ...before,
      status: change.status,
      reason: change.reason,
      updatedAt: new Date(now).toISOString(),
      updatedBy: change.by,
    },
  };
}
