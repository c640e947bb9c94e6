import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';

/** The SQL dialects a Store runs on. */
export type StoreDialect = 'sqlite' | 'postgres';

/**
 * One schema change. `up` is written once with kysely's schema builder so it runs on both dialects;
 * `dialect` is there for the rare statement that must differ. Migrations see `Kysely<unknown>`, not
 * the current `Database`, because they describe the schema as it was when they were written.
 */
export interface StoreMigration {
  /** Sortable and unique: a four-digit ordinal then a slug. Never rename or edit a released migration. */
  name: string;
  up(db: Kysely<unknown>, dialect: StoreDialect): Promise<void>;
}

/**
 * Every migration, oldest first. Add a schema change by appending an entry (`0002_identity_graph`, …)
 * and its row types to `Database` in schema.ts; never edit one that has shipped.
 */
export const MIGRATIONS: readonly StoreMigration[] = [
  {
    name: '0001_detection',
    async up(db) {
      // Times are epoch milliseconds and JSON is text on both dialects: see schema.ts for why.
      await db.schema
        .createTable('detector_state')
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('detector_state_pk', ['scope', 'key'])
        .execute();

      await db.schema
        .createTable('detector_meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('alerts')
        .addColumn('uid', 'text', (c) => c.primaryKey())
        .addColumn('detection_id', 'text', (c) => c.notNull())
        .addColumn('identity_id', 'text', (c) => c.notNull())
        .addColumn('credential_key', 'text')
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('first_seen', 'bigint', (c) => c.notNull())
        .addColumn('last_seen', 'bigint', (c) => c.notNull())
        .addColumn('count', 'bigint', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('open'))
        .addColumn('alert', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('alerts_identity_id').on('alerts').column('identity_id').execute();
      await db.schema.createIndex('alerts_detection_id').on('alerts').column('detection_id').execute();
      await db.schema.createIndex('alerts_severity_last_seen').on('alerts').columns(['severity', 'last_seen']).execute();
      // listAlerts with no severity filter orders by last_seen alone; without this it sorts the table.
      await db.schema.createIndex('alerts_last_seen').on('alerts').column('last_seen').execute();
    },
  },
  {
    name: '0002_identity_graph',
    async up(db) {
      // The identity graph (src/correlate/graph.ts). Node ids are `<kind>:<natural id>`; props are JSON
      // text and times epoch milliseconds, as in 0001. Never a raw secret: only join keys, fingerprints
      // and redacted previews.
      await db.schema
        .createTable('graph_nodes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('label', 'text', (c) => c.notNull())
        .addColumn('props', 'text', (c) => c.notNull())
        .addColumn('first_seen', 'bigint', (c) => c.notNull())
        .addColumn('last_seen', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('graph_nodes_kind').on('graph_nodes').column('kind').execute();

      await db.schema
        .createTable('graph_edges')
        .addColumn('src', 'text', (c) => c.notNull())
        .addColumn('dst', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('props', 'text', (c) => c.notNull())
        .addColumn('count', 'bigint', (c) => c.notNull())
        .addColumn('first_seen', 'bigint', (c) => c.notNull())
        .addColumn('last_seen', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('graph_edges_pk', ['src', 'dst', 'kind'])
        .execute();
      // The primary key serves lookups by source; this one serves "what points at X" (reverse walks).
      await db.schema.createIndex('graph_edges_dst_kind').on('graph_edges').columns(['dst', 'kind']).execute();

      // Which findings and events the graph already holds, so a re-import adds nothing twice (edge
      // counts stay true). `id` is `event:<event id>` or `finding:<finding id>`.
      await db.schema
        .createTable('graph_imported')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('imported_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  {
    name: '0003_graph_risk',
    async up(db) {
      // Risk of identities and findings as of the last rescore (src/correlate/risk.ts): a derived table,
      // rebuilt whole by rescoreGraph after each import, so ranking is an index scan. `factors` is the
      // JSON list of factors with their reasons, `detail` a JSON summary (exposure, owners, posture).
      await db.schema
        .createTable('graph_risk')
        .addColumn('node_id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('score', 'integer', (c) => c.notNull())
        .addColumn('band', 'text', (c) => c.notNull())
        .addColumn('label', 'text', (c) => c.notNull())
        .addColumn('factors', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('scored_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('graph_risk_kind_score').on('graph_risk').columns(['kind', 'score', 'node_id']).execute();
    },
  },
  {
    name: '0004_graph_risk_rank_index',
    async up(db) {
      // Rankings read score descending, ties by id ascending: an index in exactly that order lets both
      // dialects walk it without sorting (a page of 100 of 100,000 identities was a full sort).
      await db.schema.createIndex('graph_risk_rank').on('graph_risk').columns(['kind', 'score desc', 'node_id']).execute();
    },
  },
  {
    name: '0010_service_tokens_audit',
    async up(db, dialect) {
      // API bearer tokens of `warden serve`: only the SHA-256 of each token is kept (tokens are 256
      // random bits, so a plain hash is enough: there is nothing to brute-force), with a short preview
      // so a person can tell two tokens apart. A revoked token keeps its row for the audit trail.
      await db.schema
        .createTable('api_tokens')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('preview', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .execute();

      // The audit trail: every write, decision and response step. `ref` groups the steps of one
      // operation (a response plan, an ingest batch); `detail` is JSON text (before/after, a provider's
      // answer, the undo). Rows are only ever appended.
      await db.schema
        .createTable('audit_log')
        .$call((t) =>
          // An ever-growing id is the cursor: bigserial on PostgreSQL, SQLite's rowid alias otherwise.
          dialect === 'postgres'
            ? t.addColumn('id', 'bigserial', (c) => c.primaryKey())
            : t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement()),
        )
        .addColumn('time', 'bigint', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('ref', 'text')
        .addColumn('detail', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_log_action').on('audit_log').columns(['action', 'id']).execute();
      await db.schema.createIndex('audit_log_target').on('audit_log').columns(['target', 'id']).execute();
      await db.schema.createIndex('audit_log_ref').on('audit_log').columns(['ref', 'id']).execute();
    },
  },
  {
    name: '0011_alert_triage',
    async up(db) {
      // Triage beside the detector's columns: why the state changed, when and by whom. The detector
      // never writes these (upsertAlerts leaves them alone), so a re-detected episode keeps its triage.
      await db.schema.alterTable('alerts').addColumn('status_reason', 'text').execute();
      await db.schema.alterTable('alerts').addColumn('status_at', 'bigint').execute();
      await db.schema.alterTable('alerts').addColumn('status_by', 'text').execute();
    },
  },
  {
    name: '0012_ingest_partitions',
    async up(db, dialect) {
      // Counters of `warden serve` (events ingested, records rejected by reason), added to atomically.
      await db.schema
        .createTable('ingest_counters')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', 'bigint', (c) => c.notNull())
        .execute();
      // The embedded server's write-ahead queue: accepted events wait here, durable, until their
      // partition's detector has processed them and committed (then they are deleted). With a bus,
      // JetStream holds them instead.
      await db.schema
        .createTable('ingest_queue')
        .$call((t) =>
          dialect === 'postgres'
            ? t.addColumn('seq', 'bigserial', (c) => c.primaryKey())
            : t.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement()),
        )
        .addColumn('partition', 'integer', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('ingest_queue_partition_seq').on('ingest_queue').columns(['partition', 'seq']).execute();
      // One row per partition: its detector snapshot, the position (queue or stream sequence) it covers,
      // how many events it processed, and which worker holds it until when (a lease, for fencing).
      await db.schema
        .createTable('partition_state')
        .addColumn('partition', 'integer', (c) => c.primaryKey())
        .addColumn('snapshot', 'text', (c) => c.notNull())
        .addColumn('position', 'bigint', (c) => c.notNull())
        .addColumn('processed', 'bigint', (c) => c.notNull())
        .addColumn('owner', 'text')
        .addColumn('lease_until', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      // Live `warden worker` processes, by heartbeat: how partitions are shared out.
      await db.schema
        .createTable('service_workers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('heartbeat', 'bigint', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  {
    name: '0030_jit_credentials',
    async up(db) {
      // Just-in-time credentials (src/policy/jit): Warden's ES256 signing keys, the private half sealed
      // with AES-256-GCM under the key-encryption key (never stored in clear), and every credential
      // issued, by id, with its token's SHA-256 only. Times are epoch milliseconds as in 0001.
      await db.schema
        .createTable('jit_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('alg', 'text', (c) => c.notNull())
        .addColumn('public_jwk', 'text', (c) => c.notNull())
        .addColumn('private_sealed', 'text', (c) => c.notNull())
        .addColumn('kek_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('retired_at', 'bigint')
        .addColumn('last_expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('jit_credentials')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('identity', 'text', (c) => c.notNull())
        .addColumn('kid', 'text', (c) => c.notNull())
        .addColumn('audience', 'text', (c) => c.notNull())
        .addColumn('task', 'text', (c) => c.notNull())
        .addColumn('workload_issuer', 'text', (c) => c.notNull())
        .addColumn('workload_subject', 'text', (c) => c.notNull())
        .addColumn('issued_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .addColumn('revoked_by', 'text')
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('jit_credentials_identity').on('jit_credentials').columns(['identity', 'issued_at']).execute();
    },
  },
  {
    name: '0040_response',
    async up(db) {
      // Response steps (src/respond): one row per step, its state written before the provider is
      // called and after, so a crash resumes without repeating a done step.
      await db.schema
        .createTable('response_steps')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('alert_uid', 'text', (c) => c.notNull())
        .addColumn('playbook_id', 'text', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('approved_by', 'text', (c) => c.notNull())
        .addColumn('result', 'text')
        .addColumn('undo', 'text')
        .addColumn('error', 'text')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('response_steps_alert').on('response_steps').column('alert_uid').execute();
      // `warden serve` runs automatic playbooks on alerts stored or updated since its last look.
      await db.schema.createIndex('alerts_updated_at').on('alerts').column('updated_at').execute();
      // Audit entries of the steps go to the service's one trail, audit_log (0010).
    },
  },
  {
    name: '0050_scan_findings',
    async up(db) {
      // Every finding of every imported scan, secret and posture alike, for the dashboard's findings
      // page (the graph keeps only secrets with a join key). Never a secret: the fingerprint and the
      // redacted preview only. `id` is the graph's finding id (rule, fingerprint, path, line, commit).
      await db.schema
        .createTable('scan_findings')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('repository', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('rule_id', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('line', 'integer', (c) => c.notNull())
        .addColumn('finding', 'text', (c) => c.notNull())
        .addColumn('found_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('scan_findings_location').on('scan_findings').columns(['repository', 'path', 'line']).execute();
    },
  },
  {
    name: '0051_dashboard_sessions',
    async up(db) {
      // Dashboard sign-in sessions. `id` is the SHA-256 of the cookie's session id, so a read of the
      // table gives nobody a session; the CSRF token is derived from the session id, never stored.
      await db.schema
        .createTable('dashboard_sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('token_name', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('dashboard_sessions_token').on('dashboard_sessions').column('token_name').execute();
    },
  },
  {
    name: '0060_audit_append_only',
    async up(db, dialect) {
      // The audit trail is append-only in the database itself, not by convention: an UPDATE or DELETE
      // of audit_log fails, whoever issues it (a bug, a compromised analyst token, a hand-run statement).
      // Dropping the trigger takes DDL rights, which the service's own statements never use.
      if (dialect === 'sqlite') {
        for (const op of ['UPDATE', 'DELETE'])
          await sql
            .raw(
              `CREATE TRIGGER audit_log_no_${op.toLowerCase()} BEFORE ${op} ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`,
            )
            .execute(db);
        return;
      }
      await sql`CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$`.execute(
        db,
      );
      await sql`CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()`.execute(
        db,
      );
    },
  },
  {
    name: '0070_ingest_queue_runs',
    async up(db) {
      // A queue row holds a run of one partition's events (one request's): `events` is their JSON array
      // and `count` how many. Rows written before hold one event's JSON in `event`, with no `events`
      // and a count of 1, and are read as they are; new rows leave `event` empty. Added columns, not a
      // new table: the sequence, which partition positions refer to, goes on.
      await db.schema.alterTable('ingest_queue').addColumn('events', 'text').execute();
      await db.schema
        .alterTable('ingest_queue')
        .addColumn('count', 'integer', (c) => c.notNull().defaultTo(1))
        .execute();
    },
  },
];

/** Adapts MIGRATIONS to kysely's Migrator, binding the dialect. */
function provider(dialect: StoreDialect): MigrationProvider {
  return {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const m of MIGRATIONS) out[m.name] = { up: (db) => m.up(db, dialect) };
      return out;
    },
  };
}

/**
 * Applies every pending migration, each in a transaction, and throws if one fails or if the database
 * holds a migration this build does not know (it was migrated by a newer Warden).
 * @example await migrateToLatest(store.db, store.dialect)
 */
export async function migrateToLatest(db: Kysely<unknown>, dialect: StoreDialect): Promise<void> {
  // kysely looks for its bookkeeping tables in every schema on PostgreSQL unless told which one, so
  // another schema's kysely_migration (another app, another Warden) would be taken for ours. Ours is
  // the schema our tables go to: the first existing schema of the search_path.
  let migrationTableSchema: string | undefined;
  if (dialect === 'postgres') {
    const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
    migrationTableSchema = rows[0]?.schema ?? undefined;
    if (migrationTableSchema === undefined)
      throw new Error('store migration failed: the PostgreSQL search_path names no existing schema');
  }
  // allowUnorderedMigrations stays false: a database migrated past this build must fail loudly.
  const migrator = new Migrator({ db, provider: provider(dialect), ...(migrationTableSchema ? { migrationTableSchema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (error === undefined) return;
  const failed = results?.find((r) => r.status === 'Error')?.migrationName;
  // Connection errors and kysely's "corrupted migrations" (a database migrated by a newer Warden)
  // already say what happened; a failing migration needs its name.
  if (failed === undefined) throw error;
  const detail = error instanceof Error ? error.message : String(error);
  throw new Error(`store migration ${failed} failed: ${detail}`, { cause: error });
}
