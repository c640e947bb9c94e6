import type { Detection, DetectionContext } from '../../detection.js';
import { compileGlob, HOUR_MS, hourOfWeek, isSensitive } from '../../features.js';
import { loadMeta } from '../meta.js';

const FOLDER = 'off-hours';

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** The declared window that governs this identity, if any, and whether `ms` falls inside it. */
function windowVerdict(identityId: string, name: string | undefined, ms: number, ctx: DetectionContext): boolean | undefined {
  const windows = ctx.windows.filter((w) => {
    const re = compileGlob(w.identity);
    return re.test(identityId) || (name !== undefined && re.test(name));
  });
  if (windows.length === 0) return undefined;
  const d = new Date(ms);
  const day = DAYS[d.getUTCDay()]!;
  const minute = d.getUTCHours() * 60 + d.getUTCMinutes();
  return windows.some((w) => {
    const [fh, fm] = w.from.split(':').map(Number) as [number, number];
    const [th, tm] = w.to.split(':').map(Number) as [number, number];
    const from = fh * 60 + fm;
    const to = th * 60 + tm;
    const inDay = w.days.includes(day);
    return inDay && (from <= to ? minute >= from && minute < to : minute >= from || minute < to);
  });
}

/**
 * 5. Sensitive access (secret reads, privilege changes) outside the identity's normal hours, or
 * outside a declared deployment window. "Normal hours" is the learned hour-of-week profile: an hour of
 * the day (± one hour) in which the identity has never been active on any day of the week.
 */
/** The identity's hours: event counts per hour of the week (UTC), and activity not yet counted. */
export class HoursSlice {
  hours: number[] = new Array(168).fill(0);
  /**
   * Activity not yet in `hours`: committed two hours late, so a login at 03:00 does not make 03:00
   * "normal" for the secret read that follows it a minute later.
   */
  hoursPending: Array<[number, number]> = [];
}

export const offHours: Detection<HoursSlice, undefined> = {
  meta: loadMeta(FOLDER),
  identitySlice: () => new HoursSlice(),
  evaluate(e, ctx, s) {
    if (!ctx.nonHuman || !isSensitive(e)) return undefined;
    const inWindow = windowVerdict(e.identity.id, e.identity.name, ctx.now, ctx);
    const hour = new Date(ctx.now).getUTCHours();
    if (inWindow === false) {
      return {
        severity: 'high',
        message: `${e.identity.name ?? e.identity.id} performed ${e.action} outside its declared deployment window.`,
        anomaly: {
          parameter: 'deployment window',
          pattern: 'OFF_HOURS',
          observed: [new Date(ctx.now).toISOString()],
          expected: ['declared window'],
        },
      };
    }
    if (inWindow === true || !ctx.warm || ctx.identity.activeDays.size < ctx.config.offHoursMinDays) return undefined;
    const h = s.hours;
    let around = 0;
    for (let day = 0; day < 7; day++) {
      for (const dh of [-1, 0, 1]) around += h[day * 24 + ((hour + dh + 24) % 24)]!;
    }
    if (around > 0) return undefined;
    const active: string[] = [];
    for (let hh = 0; hh < 24; hh++) {
      let n = 0;
      for (let day = 0; day < 7; day++) n += h[day * 24 + hh]!;
      if (n > 0) active.push(`${String(hh).padStart(2, '0')}:00`);
    }
    // An identity active across most of the day (jobs at any hour) has no "normal hours" to leave.
    if (active.length > 16) return undefined;
    return {
      severity: e.tags.includes('privilege.change') ? 'high' : 'medium',
      message: `${e.identity.name ?? e.identity.id} performed ${e.action}${e.resource ? ` on ${e.resource.id}` : ''} at ${String(hour).padStart(2, '0')}:00 UTC, an hour it is never active.`,
      anomaly: {
        parameter: 'hour of day (UTC)',
        pattern: 'OFF_HOURS',
        observed: [`${String(hour).padStart(2, '0')}:00`],
        expected: active.slice(0, 24),
      },
    };
  },
  learn(_e, ctx, s) {
    const now = ctx.now;
    const how = hourOfWeek(now);
    const lastPending = s.hoursPending[s.hoursPending.length - 1];
    if (lastPending === undefined || lastPending[1] !== how || now - lastPending[0] > HOUR_MS) s.hoursPending.push([now, how]);
    if (s.hoursPending.length > 64) s.hoursPending.shift();
    while (s.hoursPending.length > 0 && s.hoursPending[0]![0] < now - 2 * HOUR_MS) s.hours[s.hoursPending.shift()![1]]!++;
  },
};
