import { crc32 } from 'node:zlib';
import { isPlaceholder } from './placeholders.js';
import type { Validator } from './rule-schema.js';

/** Shannon entropy in bits per character. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Base62 of an unsigned 32-bit number, left-padded with '0' to six characters. */
export function base62Crc(n: number): string {
  let v = n >>> 0;
  let out = '';
  while (v > 0) {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out.padStart(6, '0');
}

/**
 * GitHub's token format (and npm's, which copied it): `prefix_` + 30 random base62 characters + the
 * base62 CRC32 of those 30 characters, so a typo or a made-up string fails the check.
 */
export function crc32Base62Valid(token: string): boolean {
  const body = token.slice(token.lastIndexOf('_') + 1);
  if (body.length < 7) return false;
  const random = body.slice(0, -6);
  return base62Crc(crc32(random)) === body.slice(-6);
}

function decodeBase64Url(part: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(part)) return undefined;
  return Buffer.from(part, 'base64url').toString('utf8');
}

/** A JWT: header.payload.signature, whose header is JSON naming an algorithm. */
export function looksLikeJwt(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] === undefined || parts[1] === undefined) return false;
  try {
    const header = JSON.parse(decodeBase64Url(parts[0]) ?? '');
    JSON.parse(decodeBase64Url(parts[1]) ?? '');
    return typeof header === 'object' && header !== null && typeof header.alg === 'string';
  } catch {
    return false;
  }
}

/** Passwords that tutorials and test fixtures use; a Basic credential with one of these is not a leak. */
const DUMMY_PASSWORDS = new Set([
  'password',
  'passwd',
  'pass',
  'secret',
  'test',
  'testing',
  'admin',
  'root',
  'user',
  'guest',
  'pwd',
]);

/**
 * HTTP Basic credentials: base64 of `user:password`, printable, with a user and a password of three
 * characters or more that is neither a placeholder (`user:${PASSWORD}`, `user:changeme`) nor a
 * tutorial dummy (`user:password`).
 */
export function looksLikeBasicAuth(value: string): boolean {
  if (value.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
  const text = Buffer.from(value, 'base64').toString('latin1');
  if (!/^[\x20-\x7e]+$/.test(text)) return false;
  const colon = text.indexOf(':');
  if (colon < 1) return false;
  const password = text.slice(colon + 1);
  return password.length >= 3 && !DUMMY_PASSWORDS.has(password.toLowerCase()) && !isPlaceholder(password);
}

const CLASS_TESTS = {
  upper: /[A-Z]/,
  lower: /[a-z]/,
  digit: /[0-9]/,
  special: /[^A-Za-z0-9]/,
} as const;

/** A compiled validator: a pure predicate over the secret. */
export type CompiledValidator = (secret: string) => boolean;

export function compileValidator(v: Validator): CompiledValidator {
  switch (v.type) {
    case 'entropy': {
      const from = v.shortFrom;
      if (from === undefined) return (s) => shannonEntropy(s) >= v.min;
      return (s) => s.length >= from && shannonEntropy(s) >= Math.min(v.min, 0.95 * Math.log2(s.length));
    }
    case 'checksum':
      return crc32Base62Valid;
    case 'charset': {
      const tests = v.classes.map((c) => CLASS_TESTS[c]);
      return (s) => tests.filter((t) => t.test(s)).length >= v.min;
    }
    case 'jwt':
      return looksLikeJwt;
    case 'not': {
      const re = new RegExp(v.pattern);
      return (s) => !re.test(s);
    }
    case 'basic-auth':
      return looksLikeBasicAuth;
  }
}
