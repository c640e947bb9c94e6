import type { EventSource, IdentityEvent } from '../model/identity-event.js';

/** Where a record came from, for the event's raw pointer and for rejection reports. */
export interface RecordOrigin {
  file?: string | undefined;
  line?: number | undefined;
}

/** A record a parser would not turn into an event, with a short machine-readable reason. */
export interface Rejection {
  source: EventSource | 'unknown';
  reason: string;
  origin: RecordOrigin;
  detail?: string;
}

/**
 * A parser for one log format. Parsers are stateful only where the format demands (Vault pairs a
 * request with its response): `push` may hold a record and return its event later; `flush` returns
 * what is still held at end of input.
 */
export interface EventParser {
  readonly source: EventSource;
  /**
   * Whether a parsed JSON record is of this format: cheap structural checks only, used for
   * auto-detection per record. Must not throw on any input.
   */
  detect(record: unknown): boolean;
  /** Turns one record into zero or more events, or a rejection reason (`{ reject: 'missing-time' }`). */
  push(record: unknown, origin: RecordOrigin): IdentityEvent[] | { reject: string; detail?: string };
  /** Events still held (unpaired Vault requests) at end of input. */
  flush(): IdentityEvent[];
  /**
   * What the parser learned that serves later inputs (Vault: which accessor each token has), as
   * JSON-safe data; `recall` takes it back in another process. Parsers that learn nothing have neither.
   */
  memory?(): unknown;
  recall?(saved: unknown): void;
}

export type EventParserFactory = () => EventParser;
