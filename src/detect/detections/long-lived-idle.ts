import type { Detection } from '../detection.js';
import { DAY_MS } from '../features.js';

/**
 * 11. A credential whose lifetime is far beyond its use: issued (or first seen) months ago, or valid
 * for months or forever, but used only minutes a day. It should be a short-lived credential issued per
 * task. Judged once a day per credential, after at least two days of observed use.
 */
export const longLivedIdle: Detection = {
  meta: {
    id: 'runtime.credential.long-lived-idle',
    title: 'Long-lived credential used minutes a day',
    description:
      'A credential lives for months (or never expires) but is used only briefly each day: a candidate for short-lived, task-scoped credentials.',
    severity: 'low',
    type: 'behavioral',
    per: 'credential',
    attacks: [{ id: 'T1078.004', name: 'Valid Accounts: Cloud Accounts', tactic: 'Persistence' }],
    frameworks: [
      'owasp-nhi/NHI7:2025',
      'owasp-nhi/NHI1:2025',
      'nist-csf-2/PR.AA-01',
      'nist-csf-2/DE.CM-09',
      'nist-800-207/tenet-3',
    ],
  },
  evaluate(e, ctx) {
    const c = ctx.credential;
    if (c === undefined || e.outcome === 'failure' || c.usedDays < 2) return undefined;
    const day = Math.floor(ctx.now / DAY_MS);
    if (c.idleAlertedDay !== 0 || c.today === day) return undefined; // judged at the first use of a new day, once
    const born = c.issuedAt || c.first;
    const ageDays = (ctx.now - born) / DAY_MS;
    const lifetimeDays = c.noExpiry ? Number.POSITIVE_INFINITY : c.expiresAt > 0 ? (c.expiresAt - born) / DAY_MS : ageDays;
    const longLived = ageDays >= ctx.config.longLivedDays || lifetimeDays >= ctx.config.longLivedDays;
    if (!longLived) return undefined;
    const perDay = c.usedMinutes / c.usedDays;
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
};
