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

/**
 * The sources whose records Sigma rules read (the log sources of CONTRACTS §6; the rule set's own map,
 * src/detect/sigma/ruleset.ts, must name the same). Other sources' records are not kept: a Vault audit
 * record is large, and holding it while events wait to be merged in time order costs memory and
 * garbage-collection time for nothing.
 */
export const RAW_RECORD_SOURCES: ReadonlySet<IdentityEvent['source']> = new Set([
  'cloudtrail',
  'okta',
  'github-audit',
  'k8s-audit',
]);

/**
 * A record several events hold (one CloudTrail record can make several events): Sigma matches it
 * with the first of them only, so it must remember it. A record one event holds alone needs no such
 * memory, and is held as it is.
 */
class Shared {
  constructor(readonly record: object) {}
}

/**
 * Remembers the record an event was parsed from (for the sources Sigma reads). `alone`: no other
 * event holds this record (the normaliser knows when a record became one event).
 */
export function attachRawRecord(e: IdentityEvent, record: unknown, alone = false): void {
  if (record !== null && typeof record === 'object' && RAW_RECORD_SOURCES.has(e.source))
    Object.defineProperty(e, RAW, {
      value: alone ? record : new Shared(record),
      enumerable: false,
      writable: true,
      configurable: true,
    });
}

/** The record an event was parsed from, if it is still in memory. */
export function rawRecordOf(e: IdentityEvent): unknown {
  const r = (e as WithRaw)[RAW];
  return r instanceof Shared ? r.record : r;
}

/** Whether the event's record may be held by other events too (false when it has none). */
export function rawRecordShared(e: IdentityEvent): boolean {
  return (e as WithRaw)[RAW] instanceof Shared;
}

/**
 * Lets go of the records no rule needs before the events leave this process (the server's request
 * thread, before the queue or the bus): `needed` says whether a rule matches a record. A record that
 * became several events stays with the first of them only, held alone there: that is the event the
 * detector matches it with when it has them all in memory. Returns how many records are kept.
 * @example keepRawRecords(events, (e, record) => sigma.matchesRecord(e, record));
 */
export function keepRawRecords(events: readonly IdentityEvent[], needed: (e: IdentityEvent, record: object) => boolean): number {
  let kept = 0;
  let seen: Set<object> | undefined;
  for (const e of events) {
    const held = (e as WithRaw)[RAW];
    if (held === undefined) continue;
    const shared = held instanceof Shared;
    const record = (shared ? held.record : held) as object;
    let keep = false;
    if (shared) {
      seen ??= new Set();
      if (!seen.has(record)) {
        seen.add(record);
        keep = needed(e, record);
      }
    } else keep = needed(e, record);
    (e as WithRaw)[RAW] = keep ? record : undefined;
    if (keep) kept++;
  }
  return kept;
}
