import { crc32 } from 'node:zlib';
import { randomChars } from '../../model/random.js';
import { base62Crc } from './validators.js';

/** The seeded PRNG (mulberry32) that makes generated fixtures reproducible; re-exported for existing callers. */
export { createRandom } from '../../model/random.js';

/**
 * Rule examples carry no literal credentials: `@@class:n@@` generators are expanded at run time, so
 * the repository never holds anything a push-protection scanner would take for a real key.
 *
 * Generators:
 * - `@@A:n@@` upper, `@@a:n@@` lower, `@@0:n@@` digits, `@@Aa0:n@@` alphanumeric, `@@A0:n@@`, `@@a0:n@@`,
 *   `@@x:n@@` lower hex, `@@X:n@@` upper hex, `@@b64:n@@` base64 body, `@@b64u:n@@` base64url, `@@b32:n@@`
 *   base32 (A-Z2-7), `@@bech:n@@` upper-case bech32 (age keys), `@@pw:n@@` a password with symbols.
 * - `@@crc:PREFIX@@` PREFIX followed by 30 random base62 and their base62 CRC32 (GitHub, npm).
 * - `@@pem:LABEL@@` a PEM block `-----BEGIN LABEL-----` … with a random base64 body.
 * - `@@pemesc:LABEL@@` the same block on one line with `\n` escapes, as a JSON string holds it.
 * - `@@basic:n@@` base64 of `user:password` with an n-character password (HTTP Basic, Docker `auth`).
 * - `@@uuid@@` a random version 4 UUID, lower case.
 * - `@@jwt@@` a JWT with a JSON header and payload and a random signature.
 * - `@@lit:a|b|c@@` the parts joined: keeps a literal prefix from standing whole in the repository.
 */
const CLASSES: Record<string, string> = {
  A: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  a: 'abcdefghijklmnopqrstuvwxyz',
  '0': '0123456789',
  Aa0: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  A0: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  a0: 'abcdefghijklmnopqrstuvwxyz0123456789',
  x: '0123456789abcdef',
  X: '0123456789ABCDEF',
  b64: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/',
  b64u: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
  b32: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567',
  bech: 'QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L',
  pw: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#%^*-_.',
};

/** A string of `n` characters that is not a filler run (the placeholder filter rejects those). */
function randomOf(chars: string, n: number, rnd: () => number): string {
  for (;;) {
    const s = randomChars(chars, n, rnd);
    if (!/(.)\1{3,}/.test(s) || chars.length < 4) return s;
  }
}

function b64url(s: string): string {
  return Buffer.from(s).toString('base64url');
}

function generate(spec: string, rnd: () => number): string {
  const colon = spec.indexOf(':');
  const head = colon < 0 ? spec : spec.slice(0, colon);
  const arg = colon < 0 ? '' : spec.slice(colon + 1);
  switch (head) {
    case 'crc': {
      const random = randomOf(CLASSES.Aa0!, 30, rnd);
      return arg + random + base62Crc(crc32(random));
    }
    case 'pem':
    case 'pemesc': {
      const lines = [];
      for (let i = 0; i < 12; i++) lines.push(randomOf(CLASSES.b64!, 64, rnd));
      const nl = head === 'pem' ? '\n' : '\\n';
      return `-----BEGIN ${arg}-----${nl}${lines.join(nl)}${nl}-----END ${arg}-----${head === 'pem' ? '' : nl}`;
    }
    case 'basic': {
      const n = Number(arg);
      if (!Number.isInteger(n) || n < 1) throw new Error(`unknown example generator @@${spec}@@`);
      const user = `svc-${randomOf(CLASSES.a!, 6, rnd)}`;
      return Buffer.from(`${user}:${randomOf(CLASSES.Aa0!, n, rnd)}`).toString('base64');
    }
    case 'uuid': {
      const h = randomOf(CLASSES.x!, 32, rnd);
      const variant = '89ab'[Math.floor(rnd() * 4)];
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20)}`;
    }
    case 'jwt': {
      const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
      const payload = b64url(
        JSON.stringify({ sub: `svc-${randomChars(CLASSES.a0!, 8, rnd)}`, iat: 1700000000 + Math.floor(rnd() * 1e7) }),
      );
      return `${header}.${payload}.${randomOf(CLASSES.b64u!, 43, rnd)}`;
    }
    case 'lit':
      return arg.split('|').join('');
    default: {
      const chars = CLASSES[head];
      const n = Number(arg);
      if (chars === undefined || !Number.isInteger(n) || n < 1) throw new Error(`unknown example generator @@${spec}@@`);
      return randomOf(chars, n, rnd);
    }
  }
}

/**
 * Expands the generators in a rule example.
 * @example expandExample('key = "@@crc:ghp_@@"', createRandom(1)) // key = "ghp_…" with a valid checksum
 */
export function expandExample(template: string, rnd: () => number, generated?: string[]): string {
  return template.replace(/@@([^@]+)@@/g, (_, spec: string) => {
    const value = generate(spec, rnd);
    if (!spec.startsWith('lit:')) generated?.push(value);
    return value;
  });
}
