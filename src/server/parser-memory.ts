import type { EventSource } from '../model/identity-event.js';
import { getMeta, setMeta } from '../store/detector-state.js';
import type { StoreTarget } from '../store/store.js';
import { PARSERS } from '../telemetry/parsers/index.js';
import type { EventParser } from '../telemetry/types.js';

/** The store's name for what the server's parsers learned (see EventParser.memory). */
const KEY = 'ingest.parser-memory';

/**
 * The server's parsers, one per source, kept for all its requests, with what they learned before the
 * last graceful stop: a Vault token used after a restart still joins the accessor its login named.
 * @example const parsers = await loadParsers(store);
 */
export async function loadParsers(target: StoreTarget): Promise<Map<EventSource, EventParser>> {
  const parsers = new Map<EventSource, EventParser>();
  const saved = await getMeta(target, KEY);
  if (saved === null || typeof saved !== 'object') return parsers;
  for (const [source, factory] of PARSERS) {
    const memory = (saved as Record<string, unknown>)[source];
    if (memory === undefined) continue;
    const p = factory();
    if (p.recall === undefined) continue;
    p.recall(memory);
    parsers.set(source, p);
  }
  return parsers;
}

/**
 * Saves what the parsers learned (on a graceful stop). A crash loses what was learned since the last
 * save: a token whose login came before it is then not joined to its accessor.
 */
export async function saveParsers(target: StoreTarget, parsers: ReadonlyMap<EventSource, EventParser>): Promise<void> {
  const out: Record<string, unknown> = {};
  for (const [source, p] of parsers) if (p.memory !== undefined) out[source] = p.memory();
  if (Object.keys(out).length > 0) await setMeta(target, KEY, out);
}
