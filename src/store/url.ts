import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WardenError } from '../model/errors.js';

/** Where a store lives, as `parseStoreUrl` reads it. */
export type StoreLocation =
  | { dialect: 'sqlite' /** Absolute path, or ':memory:'. */; file: string }
  | { dialect: 'postgres'; url: string };

const USAGE = 'use postgres://user@host:port/database, sqlite:<path>, file:<path>, a path ending in .db, or :memory:';

function invalid(message: string): WardenError {
  return new WardenError('WARDEN_CONFIG_INVALID', `${message}; ${USAGE}`);
}

/**
 * Reads a store URL (`WARDEN_DATABASE_URL` or `--store`). Nothing given (or an empty string, as an
 * unset-but-exported variable reads) means the embedded default `<dir ?? cwd>/.warden/warden.db`.
 * Relative SQLite paths resolve against the working directory, as a shell user expects; `dir` only
 * places the default. Error messages never repeat a URL, which may carry a password.
 * @example parseStoreUrl('sqlite:data/w.db') // { dialect: 'sqlite', file: '/cwd/data/w.db' }
 * @example parseStoreUrl(undefined, { dir: '/repo' }) // { dialect: 'sqlite', file: '/repo/.warden/warden.db' }
 */
export function parseStoreUrl(url: string | undefined, options: { dir?: string | undefined } = {}): StoreLocation {
  const text = url?.trim() ?? '';
  if (text === '') return { dialect: 'sqlite', file: join(resolve(options.dir ?? process.cwd()), '.warden', 'warden.db') };

  if (/^postgres(ql)?:\/\//i.test(text)) {
    // pg's own parser accepts nearly anything; WHATWG URL parsing catches a mangled URL here, with a
    // message of ours, rather than as a confusing connection error later.
    if (!URL.canParse(text)) throw invalid('the PostgreSQL store URL is not a valid URL');
    return { dialect: 'postgres', url: text };
  }

  let path: string;
  if (/^sqlite:/i.test(text)) {
    // sqlite:///abs/w.db and sqlite://rel/w.db as well as sqlite:rel/w.db
    path = text.slice('sqlite:'.length).replace(/^\/\//, '');
  } else if (/^file:\/\//i.test(text)) {
    try {
      path = fileURLToPath(text); // decodes %20 and rejects remote hosts
    } catch {
      throw invalid('the file: store URL does not name a local file');
    }
  } else if (/^file:/i.test(text)) {
    path = text.slice('file:'.length);
  } else if (text === ':memory:') {
    path = text;
  } else if (/^[a-z][a-z0-9+.-]+:\/\//i.test(text)) {
    // Only the scheme is echoed: the rest of a URL can hold credentials.
    throw invalid(`unsupported store URL scheme "${text.slice(0, text.indexOf(':') + 1)}"`);
  } else if (/\.(db|sqlite|sqlite3)$/i.test(text)) {
    path = text;
  } else {
    throw invalid(`"${text}" is not a store URL or a .db path`);
  }
  if (path === '') throw invalid('the SQLite store URL names no file');
  return { dialect: 'sqlite', file: path === ':memory:' ? path : resolve(path) };
}
