import { mkdirSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  Kysely,
  PostgresDialect,
  SqliteAdapter,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely';
import pg from 'pg';
import { WardenError } from '../model/errors.js';
import { migrateToLatest, type StoreDialect } from './migrations.js';
import type { Database } from './schema.js';
import { parseStoreUrl } from './url.js';

/**
 * One database behind one query layer. Repository functions (putStates, upsertAlerts, …) take a
 * Store, or the `trx` of `store.transaction` to make several of them one atomic write.
 * @example
 * const store = await openStore(process.env.WARDEN_DATABASE_URL);
 * try {
 *   await store.transaction(async (trx) => {
 *     await putStates(trx, 'identity', [{ key: 'arn:aws:iam::1:role/ci', state: { seen: 3 } }]);
 *     await setMeta(trx, 'cloudtrail.watermark', '2025-01-01T00:00:00Z');
 *   });
 * } finally {
 *   await store.close();
 * }
 */
export interface Store {
  readonly dialect: StoreDialect;
  /** The kysely instance, for queries the repository functions do not cover. */
  readonly db: Kysely<Database>;
  /** Applies pending migrations; `openStore` already did, so this is for long-lived processes after an upgrade. */
  migrate(): Promise<void>;
  /** Releases the connection (or this handle's share of it); further calls do nothing. */
  close(): Promise<void>;
  /**
   * Runs `fn` in one transaction, committed when it resolves and rolled back when it throws. Use `trx`
   * inside, never `store.db`: on SQLite the one connection is held by the transaction, so a query on
   * `store.db` would wait for it forever.
   */
  transaction<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T>;
}

/** What the repository functions accept: a Store, or the `trx` given to `store.transaction`. */
export type StoreTarget = Store | Kysely<Database>;

function isStore(target: StoreTarget): target is Store {
  return typeof (target as Partial<Store>).migrate === 'function';
}

/** The query interface behind a target. */
export function queryable(target: StoreTarget): Kysely<Database> {
  return isStore(target) ? target.db : target;
}

/** Runs `fn` in the caller's transaction when there is one, else in a new one. */
export function inTransaction<T>(target: StoreTarget, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  if (isStore(target)) return target.transaction(fn);
  if (target.isTransaction) return fn(target);
  return target.transaction().execute(fn);
}

/** WAL pages between automatic checkpoints (SQLite's default is 1,000). */
const WAL_CHECKPOINT_PAGES = 10_000;

/** How long a SQLite write waits for another process's write lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 10_000;
/** A PostgreSQL server that does not answer: fail openStore rather than hang. */
const PG_CONNECT_TIMEOUT_MS = 10_000;

// kysely's SQLite driver begins transactions DEFERRED. In WAL mode a deferred transaction that read
// before another process committed cannot upgrade to a writer: SQLite returns SQLITE_BUSY_SNAPSHOT at
// once, without waiting out the busy timeout. BEGIN IMMEDIATE takes the write lock up front, so
// concurrent writers queue on the busy timeout instead (https://sqlite.org/lang_transaction.html).
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

// kysely declares SQLite without transactional DDL, so its Migrator would run SQLite migrations
// outside a transaction and without a lock: two processes opening a new file would both create the
// tables, and a crash would leave half a migration. SQLite's DDL is transactional; with BEGIN
// IMMEDIATE the migration transaction is also the lock.
class TransactionalSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class WardenSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
  override createAdapter(): DialectAdapter {
    return new TransactionalSqliteAdapter();
  }
}

/**
 * Switches a file to WAL. Two connections converting one new file at once can get SQLITE_BUSY at
 * once, without the busy timeout (SQLite's deadlock avoidance), so this retries until the timeout.
 * WAL is stored in the file: after the first success every later open finds it already set.
 */
async function enableWal(sqlite: BetterSqlite3.Database): Promise<void> {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (let wait = 2; ; wait = Math.min(wait * 2, 100)) {
    try {
      sqlite.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw error;
      await delay(wait);
    }
  }
}

/** Write statements kept prepared per connection (by SQL text, least recently used dropped first). */
const STATEMENT_CACHE = 64;

/**
 * Keeps write statements prepared: kysely's SQLite driver prepares every query it runs, and a batched
 * upsert's 1,000-row statement costs more to compile than to run. Only statements that return no rows
 * are kept: they run to completion in one call, so a kept one is never busy when reused (a reader can
 * be mid-iteration in a stream). SQLite re-prepares a kept statement itself after a schema change.
 */
function cacheWriteStatements(sqlite: BetterSqlite3.Database): void {
  const cache = new Map<string, BetterSqlite3.Statement>();
  const prepare = sqlite.prepare.bind(sqlite) as (source: string) => BetterSqlite3.Statement;
  (sqlite as { prepare: (source: string) => BetterSqlite3.Statement }).prepare = (source: string) => {
    const kept = cache.get(source);
    if (kept !== undefined) {
      cache.delete(source);
      cache.set(source, kept);
      return kept;
    }
    const stmt = prepare(source);
    if (!stmt.reader) {
      if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value as string);
      cache.set(source, stmt);
    }
    return stmt;
  };
}

async function openSqlite(file: string): Promise<Kysely<Database>> {
  const sqlite = new BetterSqlite3(file, { timeout: BUSY_TIMEOUT_MS });
  cacheWriteStatements(sqlite);
  try {
    // WAL lets readers (the dashboard) run beside the writer; NORMAL is durable across application
    // crashes and loses at most the last commits on power loss, the documented pairing for WAL.
    if (file !== ':memory:') await enableWal(sqlite);
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    // 128 MiB of page cache (taken only as pages are read), not the default 2 MiB: graph imports
    // upsert into B-trees keyed on long text all over the file, and a small cache rereads them.
    sqlite.pragma('cache_size = -131072');
    // Checkpoint the WAL every 10,000 pages (40 MiB), not SQLite's default 1,000: the pages a busy
    // server rewrites again and again (each partition's detector snapshot, the ingest queue's pages)
    // are then copied back into the database once per 40 MiB of commits rather than once per 4 MiB.
    // Measured in bench:ingest (500 identities, two runs): the pipeline's time in COMMIT 6.9 / 5.9 s → 3.5 / 3.5 s.
    sqlite.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
  } catch (error) {
    sqlite.close();
    throw error;
  }
  return new Kysely<Database>({ dialect: new WardenSqliteDialect({ database: sqlite }) });
}

// pg returns bigint (int8, OID 20) as a string because it can exceed 2^53. Warden's bigints are epoch
// milliseconds and counts, far below that, so they come back as numbers like SQLite's INTEGER.
const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** libpq's `connect_timeout` (seconds, 0 = wait forever) from the URL, which pg itself ignores, else our default. */
function connectTimeoutMs(url: string): number {
  const seconds = new URL(url).searchParams.get('connect_timeout');
  const n = seconds === null ? Number.NaN : Number(seconds);
  return Number.isFinite(n) && n >= 0 ? n * 1000 : PG_CONNECT_TIMEOUT_MS;
}

function openPostgres(url: string): Kysely<Database> {
  const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs(url), types: pgTypes });
  // An idle client that loses its server (restart, failover) emits 'error' on the pool; unhandled, that
  // would crash the process. The next query gets a fresh client or fails with the cause.
  pool.on('error', () => {});
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

interface Shared {
  refs: number;
  /** The open, migrated database; rejects (having closed it) when opening or migrating failed. */
  ready: Promise<Kysely<Database>>;
}

// better-sqlite3 is synchronous: if two connections in one process held the same file, the second
// would sleep out the busy timeout on the thread the first needs to finish its transaction. So a
// process opens each SQLite file once and the handles share it; kysely queues their queries.
const sharedSqlite = new Map<string, Shared>();

/** The identity of a file for sharing: the real path of its folder, so symlinked folders meet. */
function fileKey(file: string): string {
  mkdirSync(dirname(file), { recursive: true });
  return join(realpathSync(dirname(file)), basename(file));
}

function handle(dialect: StoreDialect, db: Kysely<Database>, release: () => Promise<void>): Store {
  let closed = false;
  return {
    dialect,
    db,
    migrate: () => migrateToLatest(db as Kysely<unknown>, dialect),
    close: async () => {
      if (closed) return;
      closed = true;
      await release();
    },
    transaction: (fn) => db.transaction().execute(fn),
  };
}

async function openSharedSqlite(file: string): Promise<Store> {
  const key = fileKey(file);
  let shared = sharedSqlite.get(key);
  if (!shared) {
    // Registered before the first await, so concurrent opens in this process find it.
    shared = { refs: 0, ready: openAndMigrate(() => openSqlite(key), 'sqlite') };
    sharedSqlite.set(key, shared);
  }
  const entry = shared;
  entry.refs++;
  const release = async () => {
    if (--entry.refs > 0) return;
    if (sharedSqlite.get(key) === entry) sharedSqlite.delete(key);
    await (await entry.ready.catch(() => undefined))?.destroy();
  };
  let db: Kysely<Database>;
  try {
    db = await entry.ready;
  } catch (error) {
    // Every waiter releases; the last one removes the entry and a later open starts afresh.
    await release();
    throw error;
  }
  return handle('sqlite', db, release);
}

async function openAndMigrate(open: () => Promise<Kysely<Database>>, dialect: StoreDialect): Promise<Kysely<Database>> {
  const db = await open();
  try {
    await migrateToLatest(db as Kysely<unknown>, dialect);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}

/**
 * Opens (creating when needed) and migrates the store `url` names:
 * - nothing, or an empty string: SQLite at `<options.dir ?? cwd>/.warden/warden.db`
 * - `sqlite:<path>`, `file:<path>`, `file:///abs/path`, or a path ending in `.db`: SQLite there
 * - `:memory:`: a private in-memory SQLite database, gone on close
 * - `postgres://…` or `postgresql://…`: PostgreSQL through a connection pool; libpq-style query
 *   parameters such as `?options=-c%20search_path%3Dwarden` or `sslmode=require` pass through to pg.
 *
 * SQLite runs in WAL mode with synchronous=NORMAL, a checkpoint every 10,000 WAL pages, foreign keys
 * on and a 10 s busy timeout. Opening the same file twice in one process shares one connection. Throws WardenError
 * 'WARDEN_CONFIG_INVALID' for a URL it cannot read and 'WARDEN_STORE_UNAVAILABLE' when the store
 * cannot be opened or migrated (unreachable server, not a database, newer schema).
 * @example
 * const store = await openStore(process.env.WARDEN_DATABASE_URL ?? flags.store, { dir: root });
 */
export async function openStore(url?: string, options: { dir?: string | undefined } = {}): Promise<Store> {
  const location = parseStoreUrl(url, options);
  try {
    if (location.dialect === 'sqlite' && location.file !== ':memory:') return await openSharedSqlite(location.file);
    const db =
      location.dialect === 'postgres'
        ? await openAndMigrate(async () => openPostgres(location.url), 'postgres')
        : await openAndMigrate(() => openSqlite(':memory:'), 'sqlite');
    return handle(location.dialect, db, () => db.destroy());
  } catch (error) {
    // An unreachable server, a file that is not a database, a schema from a newer Warden: one code
    // the CLI maps to exit 2, with the driver's words (never the URL, which may hold a password).
    const where = location.dialect === 'postgres' ? 'the PostgreSQL store' : `the SQLite store ${location.file}`;
    throw new WardenError(
      'WARDEN_STORE_UNAVAILABLE',
      `cannot open ${where}: ${(error as Error).message}; check WARDEN_DATABASE_URL or --store`,
      [],
      { cause: error },
    );
  }
}
