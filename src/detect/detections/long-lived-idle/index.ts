import type { Detection } from '../../detection.js';
import { DAY_MS } from '../../features.js';
import { loadMeta } from '../meta.js';

const FOLDER = 'long-lived-idle';

/**
 * 11. A credential whose lifetime is far beyond its use: issued (or first seen) months ago, or valid
 * for months or forever, but used only minutes a day. It should be a short-lived credential issued per
 * task. Judged once, at the first use on a day after a day of observed use (so: used on two days).
 */
/** Distinct minutes of use per day, for "alive for months, used minutes a day", and whether it was reported. */
export class UsageSlice {
  today = 0;
  minutesToday = 0;
  lastMinute = 0;
  usedMinutes = 0;
  idleAlertedDay = 0;
}

export const longLivedIdle: Detection<undefined, UsageSlice> = {
  meta: loadMeta(FOLDER),
  credentialSlice: () => new UsageSlice(),
  evaluate(e, ctx, _mine, usage) {
    const c = ctx.credential;
    if (c === undefined || usage === undefined || e.outcome === 'failure' || c.usedDays < 1) return undefined;
    const day = Math.floor(ctx.now / DAY_MS);
    if (usage.idleAlertedDay !== 0 || c.today === day) return undefined; // judged at the first use of a new day, once
    const born = c.issuedAt || c.first;
    const ageDays = (ctx.now - born) / DAY_MS;
    const lifetimeDays = c.noExpiry ? Number.POSITIVE_INFINITY : c.expiresAt > 0 ? (c.expiresAt - born) / DAY_MS : ageDays;
    const longLived = ageDays >= ctx.config.longLivedDays || lifetimeDays >= ctx.config.longLivedDays;
    if (!longLived) return undefined;
    const perDay = usage.usedMinutes / c.usedDays;
    if (perDay > ctx.config.idleMinutesPerDay) return undefined;
    const life = Number.isFinite(lifetimeDays) ? `valid for ${Math.round(lifetimeDays)} days` : 'never expires';
    return {
      severity: c.noExpiry || lifetimeDays >= 365 ? 'medium' : 'low',
      message: `A credential of ${e.identity.name ?? e.identity.id} is ${life} (${Math.round(ageDays)} days old) but used about ${perDay.toFixed(0)} minute(s) a day: replace it with short-lived credentials issued per task.`,
      anomaly: {
        parameter: 'credential lifetime versus use',
        pattern: 'INFREQUENT',
        observed: [`${perDay.toFixed(1)} active minutes per day`, life],
        expected: [`lifetime under ${ctx.config.longLivedDays} days`],
      },
    };
  },
  // Reported once per credential.
  fired(_e, ctx, _mine, usage) {
    if (usage !== undefined) usage.idleAlertedDay = Math.floor(ctx.now / DAY_MS);
  },
  learn(e, ctx, _mine, usage) {
    if (usage === undefined || e.outcome === 'failure') return;
    const day = Math.floor(ctx.now / DAY_MS);
    if (usage.today !== day) {
      usage.today = day;
      usage.minutesToday = 0;
    }
    const minute = Math.floor(ctx.now / 60_000);
    if (minute !== usage.lastMinute) {
      usage.lastMinute = minute;
      usage.minutesToday++;
      usage.usedMinutes++;
    }
  },
};
