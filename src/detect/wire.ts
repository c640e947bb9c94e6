/**
 * How an event travels between the server's request thread and a detector (a queue row, a bus
 * message): its JSON, plus what the detector on the other side needs and JSON would drop. Two
 * additions ride beside the event's fields under keys no IdentityEvent has, and `fromWire` takes them
 * off again:
 * - the raw record a Sigma rule matches (`keepRawRecords` decides which), so the detector matches it
 *   as a replay holding the record would;
 * - the mark of a revocation copy: a credential's revocation is routed to one partition (its actor's,
 *   or for an AWS key its owner's), but the revoked key may next be used by any identity on any
 *   partition, so every other partition gets a copy its detector only learns the revocation from.
 */
import type { IdentityEvent } from '../model/identity-event.js';
import { attachRawRecord, rawRecordOf } from '../telemetry/raw-record.js';

/** The key a carried raw record travels under. */
export const CARRIED_RECORD_KEY = 'warden.rawRecord';
/** The key that marks a revocation copy. */
export const COPY_KEY = 'warden.revocationCopy';

const COPY: unique symbol = Symbol('warden.revocationCopy');

/** A successful revocation or deactivation of a credential: what every partition must learn. */
export function revokesCredential(e: IdentityEvent): boolean {
  return (
    e.credential !== undefined &&
    e.outcome !== 'failure' &&
    (e.tags.includes('credential.revoked') || e.tags.includes('credential.deactivated'))
  );
}

/**
 * The partitions that get a copy of `e` besides its own (`home`, from `partitionOf`): every other one
 * for a revocation, none for anything else.
 */
export function copyPartitions(e: IdentityEvent, home: number, partitions: number): number[] {
  if (partitions < 2 || !revokesCredential(e)) return [];
  const out: number[] = [];
  for (let p = 0; p < partitions; p++) if (p !== home) out.push(p);
  return out;
}

/**
 * An event's JSON with the raw record it holds (if any) and, for a revocation copy, the copy's mark.
 * @example eventJson(e) // '{"id":"…",…,"warden.rawRecord":{…}}'
 */
export function eventJson(e: IdentityEvent, copy = false): string {
  const json = JSON.stringify(e);
  const record = copy ? undefined : rawRecordOf(e);
  if (record === undefined && !copy) return json;
  let extra = '';
  if (record !== undefined) extra += `,${JSON.stringify(CARRIED_RECORD_KEY)}:${JSON.stringify(record)}`;
  if (copy) extra += `,${JSON.stringify(COPY_KEY)}:true`;
  return `${json.slice(0, -1)}${extra}}`;
}

/**
 * A parsed event as it travelled: a carried record is taken off and held as the event's own record
 * again; a copy's mark is taken off and remembered (`isRevocationCopy`). Returns the same object.
 */
export function fromWire(e: IdentityEvent): IdentityEvent {
  const o = e as unknown as Record<string, unknown>;
  const carried = o[CARRIED_RECORD_KEY];
  if (carried !== undefined) {
    delete o[CARRIED_RECORD_KEY];
    attachRawRecord(e, carried, true);
  }
  if (o[COPY_KEY] !== undefined) {
    delete o[COPY_KEY];
    Object.defineProperty(e, COPY, { value: true, enumerable: false });
  }
  return e;
}

/** Whether the event is another partition's revocation copy: its detector only learns the revocation. */
export function isRevocationCopy(e: IdentityEvent): boolean {
  return (e as IdentityEvent & { [COPY]?: boolean })[COPY] === true;
}

/** The events a partition holds as its own, without other partitions' revocation copies (the list itself when it has none). */
export function withoutCopies(events: IdentityEvent[]): IdentityEvent[] {
  return events.some(isRevocationCopy) ? events.filter((e) => !isRevocationCopy(e)) : events;
}
