import { parseSize } from '../model/config.js';
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

/**
 * A size flag (`--max-file-size`, `--max-decompressed`) in bytes; undefined when not given.
 * @example sizeFlag('10MB', '--max-file-size') // 10485760
 */
export function sizeFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = parseSize(value);
  if (n === undefined) throw new WardenError('WARDEN_USAGE', `${name} takes a size such as 10MB, not "${value}"`);
  return n;
}

/** The option every log-reading command takes: how far one gzip input may decompress. */
export const MAX_DECOMPRESSED_HELP =
  'a gzip input that decompresses past this size is one counted rejection (default 1GB; guards against gzip bombs)';
