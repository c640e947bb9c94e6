import type { IdentityEvent } from '../model/identity-event.js';

/**
 * The parsed raw record each event came from, held beside the event's fields (not among them) while
 * it is in memory: Sigma rules read the record as the log wrote it, while the event stays small when
 * stored or sent. The record hangs off a non-enumerable symbol property, which JSON, spreads, copies
 * and deep equality all skip; a per-event WeakMap entry cost the garbage collector more than parsing
 * the record. Events rebuilt from storage or the bus have none; rules on `product: warden` still apply.
 */
const RAW: unique symbol = Symbol('warden.rawRecord');

type WithRaw = IdentityEvent & { [RAW]?: unknown };

/** Remembers the record an event was parsed from. */
export function attachRawRecord(e: IdentityEvent, record: unknown): void {
  if (record !== null && typeof record === 'object')
    Object.defineProperty(e, RAW, { value: record, enumerable: false, writable: true, configurable: true });
}

/** The record an event was parsed from, if it is still in memory. */
export function rawRecordOf(e: IdentityEvent): unknown {
  return (e as WithRaw)[RAW];
}
