import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { tempDir } from '../../test/tmp.js';

/**
 * Test support for the store suites, which run the same tests on SQLite and PostgreSQL. Not a test
 * file itself (node --test picks up `test-*` names, hence this one).
 */
export const PG_URL = process.env.WARDEN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const SKIP_PG = process.env.WARDEN_SKIP_POSTGRES === '1';

/** A place to make fresh, empty databases and a way to remove them all afterwards. */
export interface Backend {
  name: 'sqlite' | 'postgres';
  /** Checks the backend is there to use. */
  start(): Promise<void>;
  /** A store URL for a new, empty database. */
  fresh(): Promise<string>;
  cleanup(): Promise<void>;
}

/** SQLite files in a temporary folder. */
export function sqliteBackend(prefix = 'warden-store-'): Backend {
  const tmp = tempDir(prefix);
  let n = 0;
  return {
    name: 'sqlite',
    start: async () => {},
    fresh: async () => `sqlite:${join(tmp.dir, `db-${n++}.db`)}`,
    cleanup: async () => tmp.cleanup(),
  };
}

/** One PostgreSQL schema per database (search_path in the URL), so concurrent and failed runs never meet. */
export function postgresBackend(prefix = 'warden_test'): Backend {
  const run = `${prefix}_${randomBytes(4).toString('hex')}`;
  const schemas: string[] = [];
  const admin = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 15_000 });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  return {
    name: 'postgres',
    start: async () => {
      // A loaded CI machine can be slow to accept the first connection: try a few times before failing.
      for (let attempt = 1; ; attempt++) {
        try {
          await admin((c) => c.query('select 1'));
          return;
        } catch (error) {
          if (attempt >= 3) {
            throw new Error(
              `PostgreSQL is not reachable at ${new URL(PG_URL).host} (${(error as Error).message}); ` +
                'start it with `bash ../shared/services.sh postgres`, point WARDEN_TEST_POSTGRES_URL at another server, ' +
                'or set WARDEN_SKIP_POSTGRES=1 to skip the PostgreSQL suites',
              { cause: error },
            );
          }
          await new Promise((r) => setTimeout(r, 2000));
        }
      }
    },
    fresh: async () => {
      const schema = `${run}_${schemas.length}`;
      await admin((c) => c.query(`create schema ${schema}`));
      schemas.push(schema);
      // libpq's `options` query parameter, which pg passes to the server as startup options.
      const url = new URL(PG_URL);
      url.searchParams.set('options', `-c search_path=${schema}`);
      return url.href;
    },
    cleanup: async () => {
      if (schemas.length > 0) await admin((c) => c.query(`drop schema if exists ${schemas.join(', ')} cascade`));
    },
  };
}
