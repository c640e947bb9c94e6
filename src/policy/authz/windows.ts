import { DAYS, localTime, windowIntervals } from '../match.js';
import type { PolicyWindow } from '../schema.js';

/*
 * Time windows at request time. The manifest's `inWindow` asks Intl for the local day and time on
 * every call (tens of microseconds, more than the Cedar call it sits beside). A zone's offset from UTC
 * changes only at transitions, and every transition in the IANA database since 1970 falls on a
 * quarter hour of UTC, so the offset is looked up once per zone per quarter hour and the rest is
 * arithmetic. The answers are the manifest's own (`windowIntervals`, `localTime`): the test compares
 * them over a year of instants in several zones.
 */

const QUARTER = 900_000;
const WEEK_MIN = 7 * 1440;

/** Local minute of the week at the start of each (zone, quarter hour) asked about, bounded. */
const starts = new Map<string, number>();
const MAX_CACHED = 8192;

/** Minute of the week (0 = Sunday 00:00) of an instant in a zone. */
export function weekMinute(ms: number, timezone: string): number {
  const bucket = Math.floor(ms / QUARTER);
  const key = `${timezone}|${bucket}`;
  let start = starts.get(key);
  if (start === undefined) {
    const { day, minute } = localTime(bucket * QUARTER, timezone);
    start = DAYS.indexOf(day) * 1440 + minute;
    if (starts.size >= MAX_CACHED) starts.clear();
    starts.set(key, start);
  }
  return (start + Math.floor((ms - bucket * QUARTER) / 60_000)) % WEEK_MIN;
}

/**
 * A window set compiled to week-minute intervals per zone, once per manifest load. Each entry keeps
 * the last quarter hour it was asked about, so requests in the same quarter hour (nearly all of them)
 * skip even the shared cache's key.
 */
export type CompiledWindows = Array<{
  timezone: string;
  intervals: Array<[number, number]>;
  memo: { bucket: number; start: number };
}>;

export function compileWindows(windows: readonly Pick<PolicyWindow, 'days' | 'from' | 'to' | 'timezone'>[]): CompiledWindows {
  return windows.map((w) => ({ timezone: w.timezone, intervals: windowIntervals(w), memo: { bucket: Number.NaN, start: 0 } }));
}

/** Whether an instant falls in any of the compiled windows. */
export function inCompiledWindows(ms: number, windows: CompiledWindows): boolean {
  const bucket = Math.floor(ms / QUARTER);
  const offset = Math.floor((ms - bucket * QUARTER) / 60_000);
  for (const w of windows) {
    const memo = w.memo;
    if (memo.bucket !== bucket) {
      // The week minute at the start of the quarter hour (offset 0 from weekMinute).
      memo.start = weekMinute(bucket * QUARTER, w.timezone);
      memo.bucket = bucket;
    }
    const t = (memo.start + offset) % WEEK_MIN;
    for (const [a, b] of w.intervals) if (t >= a && t < b) return true;
  }
  return false;
}
