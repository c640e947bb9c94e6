import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { SigmaRuleSet } from '../detect/sigma/ruleset.js';
import type { EventSource, IdentityEvent } from '../model/identity-event.js';
import type { AuditInput } from '../store/audit.js';
import type { IngestRecord } from '../store/partitions.js';
import type { Store } from '../store/store.js';
import type { EventParser } from '../telemetry/types.js';
import type { Principal } from './auth.js';

/** Where accepted events go: processed in this process, or published to NATS JetStream for workers. */
export interface IngestPipeline {
  readonly mode: 'embedded' | 'bus';
  /**
   * Makes `events` durable and queues them for detection; resolves only once they are (the store
   * committed, or JetStream acknowledged every one). Throws WardenError 'WARDEN_UNAVAILABLE' when it
   * cannot, having acknowledged nothing the caller should report as accepted. `record`: what the
   * request writes beside the events (counters, its audit entry), stored with them (embedded: in the
   * same transaction) or right after they are acknowledged (bus).
   */
  accept(events: readonly IdentityEvent[], record?: IngestRecord): Promise<void>;
  /** Progress: events made durable, events through detection, and the workers doing it. */
  status(): Promise<PipelineStatus>;
  /** Whether `accept` can work right now (the store and, with a bus, NATS answer). */
  ready(): Promise<boolean>;
  /** Stops after the work in hand: every accepted event stays durable and is processed later if not now. */
  close(): Promise<void>;
}

export interface PipelineStatus {
  ingested: number;
  processed: number;
  workers: number;
  partitions: number;
}

/** Settings of one `warden serve` process (from its flags), frozen at start. */
export interface ServerConfig {
  /** Events before this time (epoch ms) train the baselines and never alert. */
  learnUntil?: number | undefined;
  /** `--policy FILE`, for the routes that read the manifest. */
  policyFile?: string | undefined;
  /** Largest request body in bytes (gzip bodies: also once inflated). */
  bodyLimit: number;
  /** Requests per minute per token (per address for requests without one). */
  rateLimit: number;
  /** Working directory, for relative paths and the default store. */
  cwd: string;
}

export const DEFAULT_BODY_LIMIT = 32 * 1024 * 1024;
export const DEFAULT_RATE_LIMIT = 20_000;

/**
 * Everything a route module gets: the store, the config, the ingest pipeline, and `audit` to record
 * each write. Build one with `createServerContext` (src/server/serve.ts) or by hand in tests.
 */
export interface ServerContext {
  readonly store: Store;
  readonly config: ServerConfig;
  readonly pipeline: IngestPipeline;
  /**
   * The Sigma rules the detector runs, asked by the ingest route which raw records must travel with
   * their events (those a rule matches: see `keepRawRecords`). Absent: the detector runs none, and no
   * record travels.
   */
  readonly sigma?: Pick<SigmaRuleSet, 'matchesRecord'> | undefined;
  /**
   * The parsers every ingest request shares (see NormalizeOptions.parsers), saved at a graceful stop
   * (src/server/parser-memory.ts). Absent: the ingest routes keep a set of their own.
   */
  readonly parsers?: Map<EventSource, EventParser> | undefined;
  /**
   * Appends to the audit trail as the caller of `request` (`token:<name>`); pass a `trx` from
   * `store.transaction` as `target` to commit the write and its record together.
   * @example await ctx.audit(request, { action: 'alert.triage', target: uid, detail: { before, after } });
   */
  audit(
    request: FastifyRequest | { actor: string },
    entry: Omit<AuditInput, 'actor'>,
    target?: Parameters<typeof import('../store/audit.js').appendAudit>[0],
  ): Promise<number>;
  /**
   * Extra ways to authenticate a request that has no bearer token (a dashboard session cookie): tried
   * in order by the auth hook; the first principal returned wins. Route modules push to this list at
   * registration.
   */
  readonly authenticators: Array<(request: FastifyRequest) => Promise<Principal | undefined>>;
  /** Set by buildServer: the app's pino logger. */
  log?: FastifyBaseLogger;
}
