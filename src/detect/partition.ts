import type { IdentityEvent } from '../model/identity-event.js';

/**
 * How many partitions events are spread over, unless WARDEN_PARTITIONS says otherwise. Part of the
 * data's layout, not of the deployment: one worker or ten, each partition is one ordered stream with
 * one detector, so the alerts are the same whoever processes it.
 */
export const DEFAULT_PARTITIONS = 16;

/** IAM users and roles named as the resource of a key's issuance, deactivation or deletion. */
const IAM_PRINCIPAL = /^arn:aws[a-z-]*:iam::\d*:(user|role)\//;

/**
 * The key an event is routed by: its identity, so one identity's events stay in order on one
 * partition. One exception keeps cross-identity detections whole: a credential's issuance,
 * deactivation or revocation done by someone else (a rotation Lambda deleting a user's key) goes where
 * the key's owner goes, so the owner's detector sees its key revoked before the key's reuse.
 * @example routingKey(e) // 'arn:aws:iam::123456789012:user/ci'
 */
export function routingKey(e: IdentityEvent): string {
  const c = e.credential;
  if (c?.subject !== undefined && c.lifecycle !== 'used' && e.resource !== undefined && IAM_PRINCIPAL.test(e.resource.id))
    return e.resource.id;
  return e.identity.id;
}

/**
 * FNV-1a (32 bit) of the UTF-8 bytes: stable across processes, versions and machines. An ASCII key
 * (nearly every identity id) is hashed from its char codes, which are its UTF-8 bytes, without
 * encoding it first: the server partitions every event it takes in.
 */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return fnv1aBytes(text);
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h >>> 0;
}

function fnv1aBytes(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) h = Math.imul(h ^ byte, 0x01000193);
  return h >>> 0;
}

/**
 * The partition (0 … count-1) of an event.
 * @example partitionOf(event, 16) // 5
 */
export function partitionOf(e: IdentityEvent, count: number): number {
  return fnv1a(routingKey(e)) % count;
}

/** Reads a partition count (WARDEN_PARTITIONS), DEFAULT_PARTITIONS when unset. */
export function partitionCount(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_PARTITIONS;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1024)
    throw new RangeError(`WARDEN_PARTITIONS must be a whole number from 1 to 1024, not "${value}"`);
  return n;
}
