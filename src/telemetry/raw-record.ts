import type { IdentityEvent } from '../model/identity-event.js';

/**
 * The parsed raw record each event came from, held beside the event (not in it) while it is in
 * memory: Sigma rules read the record as the log wrote it, while the event stays small when stored
 * or sent. Events rebuilt from storage or the bus have none; rules on `product: warden` still apply.
 */
const RAW = new WeakMap<IdentityEvent, unknown>();

/** Remembers the record an event was parsed from. */
export function attachRawRecord(e: IdentityEvent, record: unknown): void {
  if (record !== null && typeof record === 'object') RAW.set(e, record);
}

/** The record an event was parsed from, if it is still in memory. */
export function rawRecordOf(e: IdentityEvent): unknown {
  return RAW.get(e);
}
