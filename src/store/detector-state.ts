import { inTransaction, queryable, type StoreTarget } from './store.js';

/*
 * Rows per statement. SQLite allows 32,766 bound variables per statement and PostgreSQL 65,535; a
 * state row binds 4, so 1,000 rows (4,000 variables) fits both with room, and larger batches measured
 * no faster (statement compilation grows with the batch).
 */
const BATCH = 1000;

/** JSON text of a value; `undefined` (which JSON cannot hold) is stored as null, as JSON.stringify does in arrays. */
export function toJson(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Writes state entries under `scope`, replacing any entry with the same key, all in one transaction
 * (the caller's, when given a `trx`). When a key appears twice in `entries`, the last one wins.
 * @example
 * await putStates(store, 'runtime.credential.new-source', [{ key: 'AKIA…', state: { ips: ['10.0.0.1'] } }]);
 */
export async function putStates(
  target: StoreTarget,
  scope: string,
  entries: ReadonlyArray<{ key: string; state: unknown }>,
): Promise<void> {
  if (entries.length === 0) return;
  // One row per key: PostgreSQL refuses an INSERT … ON CONFLICT that touches the same row twice.
  const latest = new Map<string, string>();
  for (const e of entries) latest.set(e.key, toJson(e.state));
  const now = Date.now();
  const rows = Array.from(latest, ([key, state]) => ({ scope, key, state, updated_at: now }));
  await inTransaction(target, async (trx) => {
    for (const batch of chunks(rows, BATCH)) {
      await trx
        .insertInto('detector_state')
        .values(batch)
        .onConflict((oc) =>
          oc.columns(['scope', 'key']).doUpdateSet((eb) => ({
            state: eb.ref('excluded.state'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
    }
  });
}

/**
 * Reads the states under `scope`: those of `keys` when given (absent keys are simply missing from the
 * map), else all of them.
 * @example
 * const states = await getStates(store, 'identity', ['arn:aws:iam::1:role/ci']);
 * const ci = states.get('arn:aws:iam::1:role/ci'); // unknown: validate before use
 */
export async function getStates(target: StoreTarget, scope: string, keys?: readonly string[]): Promise<Map<string, unknown>> {
  const db = queryable(target);
  const out = new Map<string, unknown>();
  const base = db.selectFrom('detector_state').select(['key', 'state']).where('scope', '=', scope);
  if (keys === undefined) {
    for (const row of await base.execute()) out.set(row.key, JSON.parse(row.state));
    return out;
  }
  for (const batch of chunks([...new Set(keys)], BATCH)) {
    for (const row of await base.where('key', 'in', batch).execute()) out.set(row.key, JSON.parse(row.state));
  }
  return out;
}

/**
 * Deletes the states of `keys` under `scope`, or the whole scope when `keys` is omitted (an empty
 * array deletes nothing). Returns how many entries were deleted.
 * @example
 * await deleteStates(store, 'identity', ['arn:aws:iam::1:role/retired']);
 */
export async function deleteStates(target: StoreTarget, scope: string, keys?: readonly string[]): Promise<number> {
  if (keys === undefined) {
    const result = await queryable(target).deleteFrom('detector_state').where('scope', '=', scope).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
  if (keys.length === 0) return 0;
  return inTransaction(target, async (trx) => {
    let deleted = 0;
    for (const batch of chunks([...new Set(keys)], BATCH)) {
      const result = await trx
        .deleteFrom('detector_state')
        .where('scope', '=', scope)
        .where('key', 'in', batch)
        .executeTakeFirst();
      deleted += Number(result.numDeletedRows);
    }
    return deleted;
  });
}

/**
 * Reads a named value (a watermark, a cursor); `undefined` when it was never set.
 * @example const watermark = await getMeta(store, 'cloudtrail.watermark');
 */
export async function getMeta(target: StoreTarget, key: string): Promise<unknown> {
  const row = await queryable(target).selectFrom('detector_meta').select('value').where('key', '=', key).executeTakeFirst();
  return row === undefined ? undefined : JSON.parse(row.value);
}

/**
 * Sets a named value, replacing the previous one.
 * @example await setMeta(store, 'cloudtrail.watermark', { time: '2025-01-01T00:00:00Z', offset: 1042 });
 */
export async function setMeta(target: StoreTarget, key: string, value: unknown): Promise<void> {
  await queryable(target)
    .insertInto('detector_meta')
    .values({ key, value: toJson(value), updated_at: Date.now() })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet((eb) => ({ value: eb.ref('excluded.value'), updated_at: eb.ref('excluded.updated_at') })),
    )
    .execute();
}
