import { createHash } from 'node:crypto';

/** A plain object (not null, not an array), or undefined: vendor records are untrusted JSON. */
export function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** A non-empty string, or undefined. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** A finite number, or undefined. */
export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Normalises a timestamp (ISO string, epoch seconds, ms or ns) to ISO 8601 UTC, or undefined. */
export function isoTime(v: unknown): string | undefined {
  if (typeof v === 'string') {
    if (/^\d+$/.test(v)) return isoTime(Number(v));
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : new Date(t).toISOString();
  }
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) {
    // Seconds, milliseconds, microseconds or nanoseconds since the epoch, told apart by magnitude.
    const ms = v > 1e17 ? v / 1e6 : v > 1e14 ? v / 1e3 : v > 1e11 ? v : v * 1000;
    const d = new Date(ms);
    return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
  }
  return undefined;
}

/** A stable id for records that carry none: hash of the source and the record's canonical JSON. */
export function stableId(source: string, record: unknown): string {
  return `${source}:${createHash('sha256').update(JSON.stringify(record)).digest('hex').slice(0, 32)}`;
}
