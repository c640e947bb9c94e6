import { WardenError } from '../model/errors.js';

/**
 * A time flag (`--learn-until`, `--found-at`, `--as-of`) as epoch milliseconds; undefined when not
 * given, a usage error that shows the expected form when it is not a time.
 * @example timeFlag('2026-03-01T00:00:00Z', '--as-of') // 1772323200000
 */
export function timeFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new WardenError('WARDEN_USAGE', `${name} takes an ISO time such as 2026-03-01T00:00:00Z, not "${value}"`);
  return ms;
}
