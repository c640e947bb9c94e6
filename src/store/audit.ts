import { WardenError } from '../model/errors.js';
import { toJson } from './detector-state.js';
import { queryable, type StoreTarget } from './store.js';

/** One entry to append to the audit trail. */
export interface AuditInput {
  /** Who: `token:<name>`, `cli`, `worker:<id>`, `system`. */
  actor: string;
  /** What, dotted: `alert.triage`, `token.create`, `ingest.accept`, `scan.import`, `response.step`. */
  action: string;
  /** On what: an alert uid, a token name, an identity id ('' when nothing in particular). */
  target: string;
  /** ok (default), error, denied, planned, skipped, … */
  outcome?: string | undefined;
  /** Groups the entries of one operation, e.g. a response plan id, so its steps read together. */
  ref?: string | undefined;
  /** Anything JSON: before/after, the provider's answer, the undo. Never a secret. */
  detail?: unknown;
}

/** An entry as stored and listed. */
export interface AuditEntry {
  id: number;
  time: string;
  actor: string;
  action: string;
  target: string;
  outcome: string;
  ref: string | null;
  detail: unknown;
}

/**
 * Appends one entry (in the caller's transaction when given a `trx`, so the write and its record
 * commit together) and returns its id.
 * @example await appendAudit(trx, { actor: 'token:alice', action: 'alert.triage', target: uid, detail: { before, after } });
 */
export async function appendAudit(target: StoreTarget, entry: AuditInput): Promise<number> {
  const row = await queryable(target)
    .insertInto('audit_log')
    .values({
      time: Date.now(),
      actor: entry.actor,
      action: entry.action,
      target: entry.target,
      outcome: entry.outcome ?? 'ok',
      ref: entry.ref ?? null,
      detail: toJson(entry.detail ?? {}),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/** Which entries `listAudit` returns. */
export interface AuditFilter {
  /** An action, or a prefix ending in `.` or `*` (`response.` lists every response step). */
  action?: string | undefined;
  target?: string | undefined;
  actor?: string | undefined;
  ref?: string | undefined;
  /** The `next` of the previous page. */
  cursor?: string | undefined;
  /** Page size, 1-1000 (default 100). */
  limit?: number | undefined;
}

/**
 * Lists entries newest first, a page at a time: `next` is the cursor of the following page, null at the end.
 * @example const { items, next } = await listAudit(store, { ref: planId });
 */
export async function listAudit(
  target: StoreTarget,
  filter: AuditFilter = {},
): Promise<{ items: AuditEntry[]; next: string | null }> {
  const limit = filter.limit ?? 100;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000)
    throw new WardenError('WARDEN_USAGE', `limit must be a whole number from 1 to 1000, not ${limit}`);
  let q = queryable(target).selectFrom('audit_log').selectAll();
  if (filter.cursor !== undefined) {
    const before = Number(filter.cursor);
    if (!Number.isSafeInteger(before) || before < 0) throw new WardenError('WARDEN_USAGE', 'cursor is not one this API returned');
    q = q.where('id', '<', before);
  }
  if (filter.action !== undefined) {
    const a = filter.action;
    if (a.endsWith('*') || a.endsWith('.')) {
      const prefix = a.replace(/\*$/, '');
      // A range rather than LIKE: no wildcard characters of the input to escape.
      q = q.where('action', '>=', prefix).where('action', '<', `${prefix}\uffff`);
    } else q = q.where('action', '=', a);
  }
  if (filter.target !== undefined) q = q.where('target', '=', filter.target);
  if (filter.actor !== undefined) q = q.where('actor', '=', filter.actor);
  if (filter.ref !== undefined) q = q.where('ref', '=', filter.ref);
  const rows = await q
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  return {
    items: page.map((r) => ({
      id: Number(r.id),
      time: new Date(r.time).toISOString(),
      actor: r.actor,
      action: r.action,
      target: r.target,
      outcome: r.outcome,
      ref: r.ref,
      detail: JSON.parse(r.detail) as unknown,
    })),
    next: rows.length > limit ? String(page[page.length - 1]!.id) : null,
  };
}
