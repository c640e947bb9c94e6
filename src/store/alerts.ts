import type { Alert } from '../model/alert.js';
import { WardenError } from '../model/errors.js';
import { SEVERITIES, type Severity, severityRank } from '../model/severity.js';
import { toJson } from './detector-state.js';
import { inTransaction, queryable, type StoreTarget } from './store.js';

/** 10 bound variables a row: 500 rows stay far below SQLite's 32,766 and PostgreSQL's 65,535. */
const BATCH = 500;

function millis(iso: string, what: string): number {
  const ms = Date.parse(iso);
  // An alert whose times do not parse would sort and filter wrongly forever; refuse it instead.
  if (Number.isNaN(ms)) throw new RangeError(`${what} is not an ISO 8601 time: ${JSON.stringify(iso)}`);
  return ms;
}

/** Whether `a` is a later version of the same episode than `b` (or the same one). */
function notOlder(a: { lastSeen: number; count: number }, b: { lastSeen: number; count: number }): boolean {
  return a.lastSeen > b.lastSeen || (a.lastSeen === b.lastSeen && a.count >= b.count);
}

/**
 * Stores alerts: new uids are inserted; a known uid takes the incoming severity, last_seen, count and
 * Alert document, which the detector keeps cumulative. An incoming version older than the stored one
 * (earlier lastSeen, or the same lastSeen with a smaller count) is ignored, so a redelivered batch
 * never rolls an episode back. `status` (triage) and `created_at` are never touched. One transaction.
 * @example
 * await upsertAlerts(store, alerts);
 */
export async function upsertAlerts(target: StoreTarget, alerts: readonly Alert[]): Promise<void> {
  if (alerts.length === 0) return;
  const now = Date.now();
  const byUid = new Map<string, { alert: Alert; lastSeen: number; count: number }>();
  for (const alert of alerts) {
    const next = { alert, lastSeen: millis(alert.lastSeen, `alert ${alert.uid} lastSeen`), count: alert.count };
    const prev = byUid.get(alert.uid);
    // One row per uid: PostgreSQL refuses an INSERT … ON CONFLICT that touches the same row twice.
    if (!prev || notOlder(next, prev)) byUid.set(alert.uid, next);
  }
  const rows = Array.from(byUid.values(), ({ alert, lastSeen, count }) => ({
    uid: alert.uid,
    detection_id: alert.detectionId,
    identity_id: alert.identity.id,
    credential_key: alert.credential?.key ?? null,
    severity: alert.severity,
    first_seen: millis(alert.firstSeen, `alert ${alert.uid} firstSeen`),
    last_seen: lastSeen,
    count,
    alert: toJson(alert),
    created_at: now,
    updated_at: now,
  }));
  await inTransaction(target, async (trx) => {
    for (let i = 0; i < rows.length; i += BATCH) {
      await trx
        .insertInto('alerts')
        .values(rows.slice(i, i + BATCH))
        .onConflict((oc) =>
          oc
            .column('uid')
            .doUpdateSet((eb) => ({
              severity: eb.ref('excluded.severity'),
              last_seen: eb.ref('excluded.last_seen'),
              count: eb.ref('excluded.count'),
              alert: eb.ref('excluded.alert'),
              updated_at: eb.ref('excluded.updated_at'),
            }))
            .where((eb) =>
              eb.or([
                eb('excluded.last_seen', '>', eb.ref('alerts.last_seen')),
                eb.and([
                  eb('excluded.last_seen', '=', eb.ref('alerts.last_seen')),
                  eb('excluded.count', '>=', eb.ref('alerts.count')),
                ]),
              ]),
            ),
        )
        .execute();
    }
  });
}

/** Which alerts `listAlerts` returns; every field narrows the result. */
export interface AlertFilter {
  identityId?: string | undefined;
  detectionId?: string | undefined;
  /** This severity and those above it. */
  minSeverity?: Severity | undefined;
  /** Alerts last seen at or after this time (ISO 8601 or a Date). */
  since?: string | Date | undefined;
  /** At most this many, the most recent first. */
  limit?: number | undefined;
}

/**
 * Lists stored alerts, most recently seen first (ties by uid, so pages are stable).
 * @example
 * const recent = await listAlerts(store, { minSeverity: 'high', since: '2025-01-01T00:00:00Z', limit: 50 });
 */
export async function listAlerts(target: StoreTarget, filter: AlertFilter = {}): Promise<Alert[]> {
  let query = queryable(target).selectFrom('alerts').select('alert');
  if (filter.identityId !== undefined) query = query.where('identity_id', '=', filter.identityId);
  if (filter.detectionId !== undefined) query = query.where('detection_id', '=', filter.detectionId);
  if (filter.minSeverity !== undefined) {
    if (!SEVERITIES.includes(filter.minSeverity))
      throw new WardenError('WARDEN_USAGE', `unknown severity "${filter.minSeverity}" (${SEVERITIES.join(', ')})`);
    query = query.where('severity', 'in', SEVERITIES.slice(severityRank(filter.minSeverity)));
  }
  if (filter.since !== undefined) {
    const since = filter.since instanceof Date ? filter.since.getTime() : Date.parse(filter.since);
    if (Number.isNaN(since)) throw new WardenError('WARDEN_USAGE', `since is not a time: ${String(filter.since)}`);
    query = query.where('last_seen', '>=', since);
  }
  if (filter.limit !== undefined) {
    if (!Number.isSafeInteger(filter.limit) || filter.limit < 0)
      throw new WardenError('WARDEN_USAGE', `limit must be a whole number ≥ 0, not ${filter.limit}`);
    query = query.limit(filter.limit);
  }
  const rows = await query.orderBy('last_seen', 'desc').orderBy('uid', 'asc').execute();
  return rows.map((row) => JSON.parse(row.alert) as Alert);
}
