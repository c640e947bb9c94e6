import type { Detection, DetectionContext } from '../detection.js';
import { globToRegExp, isSensitive } from '../features.js';

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** The declared window that governs this identity, if any, and whether `ms` falls inside it. */
function windowVerdict(identityId: string, name: string | undefined, ms: number, ctx: DetectionContext): boolean | undefined {
  const windows = ctx.windows.filter((w) => {
    const re = globToRegExp(w.identity);
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
export const offHours: Detection = {
  meta: {
    id: 'runtime.access.off-hours',
    title: 'Sensitive access outside normal hours',
    description:
      'A secret read or privilege change happened at a time this identity is never active, or outside its declared deployment window.',
    severity: 'medium',
    type: 'behavioral',
    per: 'identity',
    attacks: [{ id: 'T1078', name: 'Valid Accounts', tactic: 'Defense Evasion' }],
    frameworks: ['owasp-nhi/NHI5:2025', 'nist-csf-2/DE.CM-09', 'nist-csf-2/DE.AE-02', 'nist-800-207/tenet-4'],
  },
  evaluate(e, ctx) {
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
    const h = ctx.identity.hours;
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
};
