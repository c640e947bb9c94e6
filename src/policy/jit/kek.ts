import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { WardenError } from '../../model/errors.js';

/** The environment variable holding the key-encryption key: 32 bytes, base64 or hex. */
export const KEK_ENV = 'WARDEN_KEY_ENCRYPTION_KEY';
/** Where the key-encryption key is kept when the variable is unset (a file, created 0600 on first use). */
export const KEK_FILE_ENV = 'WARDEN_KEY_ENCRYPTION_KEY_FILE';

/**
 * The key that encrypts Warden's signing keys at rest (AES-256-GCM). `id` names it without revealing
 * it (the first 16 hex digits of its SHA-256), so a store opened with the wrong key says so plainly
 * instead of failing a GCM tag check.
 */
export interface KeyEncryptionKey {
  readonly id: string;
  /** Where it came from: the variable, or the file. */
  readonly origin: string;
  encrypt(plain: Uint8Array, aad: string): string;
  decrypt(sealed: string, aad: string): Buffer;
}

const VERSION = 'v1';

/**
 * The key file used when `WARDEN_KEY_ENCRYPTION_KEY` and `WARDEN_KEY_ENCRYPTION_KEY_FILE` are unset:
 * `.warden/key-encryption.key` under the working directory, where `warden serve` and `warden keys`
 * both look. Backing up the database without it (or the variable) leaves its signing keys sealed.
 */
export function defaultKeyFile(cwd: string): string {
  return join(cwd, '.warden', 'key-encryption.key');
}

/**
 * A key-encryption key from 32 raw bytes.
 * @example const kek = createKeyEncryptionKey(randomBytes(32), 'test'); kek.decrypt(kek.encrypt(data, kid), kid)
 */
export function createKeyEncryptionKey(key: Uint8Array, origin: string): KeyEncryptionKey {
  if (key.length !== 32) throw new WardenError('WARDEN_CONFIG_INVALID', `the key-encryption key from ${origin} is not 32 bytes`);
  const k = Buffer.from(key);
  const id = createHash('sha256').update(k).digest('hex').slice(0, 16);
  return {
    id,
    origin,
    encrypt(plain, aad) {
      // A fresh 96-bit nonce per encryption (NIST SP 800-38D §8.2.2); the key id is bound as AAD, so
      // a sealed key copied onto another row does not decrypt.
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', k, iv);
      c.setAAD(Buffer.from(aad, 'utf8'));
      const body = Buffer.concat([c.update(plain), c.final()]);
      return [VERSION, iv.toString('base64url'), c.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
    },
    decrypt(sealed, aad) {
      const [v, iv, tag, body] = sealed.split('.');
      if (v !== VERSION || iv === undefined || tag === undefined || body === undefined)
        throw new WardenError('WARDEN_KEY_UNAVAILABLE', 'a sealed signing key is not in a format this Warden reads');
      try {
        const d = createDecipheriv('aes-256-gcm', k, Buffer.from(iv, 'base64url'));
        d.setAAD(Buffer.from(aad, 'utf8'));
        d.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([d.update(Buffer.from(body, 'base64url')), d.final()]);
      } catch (error) {
        throw new WardenError(
          'WARDEN_KEY_UNAVAILABLE',
          `signing key ${aad} does not decrypt with the key-encryption key from ${origin}`,
          [],
          {
            cause: error,
          },
        );
      }
    },
  };
}

/** 32 bytes from base64 (44 characters, or 43 unpadded / base64url) or hex (64 characters). */
export function decodeKeyText(text: string, origin: string): Buffer {
  const t = text.trim();
  const raw = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, /[-_]/.test(t) ? 'base64url' : 'base64');
  if (raw.length !== 32)
    throw new WardenError('WARDEN_CONFIG_INVALID', `${origin} must hold 32 bytes as base64 or hex (openssl rand -base64 32)`);
  return raw;
}

/**
 * The key-encryption key: `WARDEN_KEY_ENCRYPTION_KEY` when set (every server sharing a store must
 * set the same one); otherwise a key file (`WARDEN_KEY_ENCRYPTION_KEY_FILE`, default `defaultFile`),
 * created with 32 random bytes and mode 0600 the first time, and `onCreate` is told so the operator
 * knows a key now exists that must be kept with the database.
 * @example const kek = loadKeyEncryptionKey(process.env, '.warden/key-encryption.key')
 */
export function loadKeyEncryptionKey(
  env: Readonly<Record<string, string | undefined>>,
  defaultFile: string,
  onCreate?: (path: string) => void,
): KeyEncryptionKey {
  const text = env[KEK_ENV];
  if (text !== undefined && text.trim() !== '') return createKeyEncryptionKey(decodeKeyText(text, KEK_ENV), KEK_ENV);
  const file = env[KEK_FILE_ENV]?.trim() || defaultFile;
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    // 'wx': never overwrite a key another process created a moment ago.
    try {
      writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
      chmodSync(file, 0o600);
      onCreate?.(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return createKeyEncryptionKey(decodeKeyText(readFileSync(file, 'utf8'), file), file);
}
