import type { DetectConfig } from '../model/config.js';
import { getMeta, setMeta } from './detector-state.js';
import { inTransaction, type StoreTarget } from './store.js';

type DetectException = DetectConfig['exceptions'][number];

const KEY = 'learned-exceptions';

/**
 * Exceptions learned from triage (an alert an analyst called an expected change), kept in the store
 * beside the detector's state and added to the configured ones whenever a detector starts.
 * @example const learned = await learnedExceptions(store)
 */
export async function learnedExceptions(target: StoreTarget): Promise<DetectException[]> {
  const v = await getMeta(target, KEY);
  return Array.isArray(v) ? (v as DetectException[]) : [];
}

/** Adds exceptions (those already learned are not repeated); returns how many were new. */
export async function addLearnedExceptions(target: StoreTarget, add: readonly DetectException[]): Promise<number> {
  return inTransaction(target, async (trx) => {
    const have = await learnedExceptions(trx);
    const key = (x: DetectException) => JSON.stringify([x.detections, x.identity, x.network, x.region, x.resource]);
    const known = new Set(have.map(key));
    const fresh = add.filter((x) => !known.has(key(x)));
    if (fresh.length > 0) await setMeta(trx, KEY, [...have, ...fresh]);
    return fresh.length;
  });
}
