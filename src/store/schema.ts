import type { Generated } from 'kysely';

/*
 * Table types for kysely: the shape of each row as the database returns it. Two representation
 * choices hold for every table, on both dialects, and only the repository functions see them:
 *
 * - Times are integer milliseconds since the Unix epoch (UTC): INTEGER on SQLite, bigint on
 *   PostgreSQL (parsed back to a JS number by the pool, see store.ts). ISO text sorts correctly only
 *   when every writer uses the same width ('…:00Z' sorts after '…:00.500Z'), and numbers compare and
 *   index the same way on both dialects. Domain objects keep their ISO strings inside the JSON.
 * - JSON documents are `text` holding JSON.stringify output, on PostgreSQL too. jsonb rejects
 *   strings that hostile logs can carry (`\u0000`, lone surrogates) and reorders keys, so a text
 *   column is the one representation that round-trips every value identically on both dialects.
 *   Nothing queries inside the documents; what a query filters on is a real column.
 */

/** `detector_state`: the detection engine's per-identity and per-credential state, by scope and key. */
export interface DetectorStateTable {
  /** Who owns the entry, e.g. a detection id or 'identity'. */
  scope: string;
  key: string;
  /** JSON text. */
  state: string;
  /** Epoch milliseconds. */
  updated_at: number;
}

/** `detector_meta`: small named values such as stream watermarks. */
export interface DetectorMetaTable {
  key: string;
  /** JSON text. */
  value: string;
  /** Epoch milliseconds. */
  updated_at: number;
}

/** `alerts`: one row per alert episode; `alert` holds the whole Alert, the other columns are for filtering. */
export interface AlertsTable {
  uid: string;
  detection_id: string;
  identity_id: string;
  credential_key: string | null;
  /** One of SEVERITIES ('info' … 'critical'). */
  severity: string;
  /** Epoch milliseconds of Alert.firstSeen. */
  first_seen: number;
  /** Epoch milliseconds of Alert.lastSeen. */
  last_seen: number;
  count: number;
  /** Triage state, owned by responders, never by the detector: 'open' until someone changes it. */
  status: Generated<string>;
  /** JSON text of the Alert. */
  alert: string;
  /** Why triage set `status` (0011). */
  status_reason: string | null;
  /** When triage last set `status`, epoch ms (0011). */
  status_at: number | null;
  /** Who set it, as the audit trail names callers (0011). */
  status_by: string | null;
  /** Epoch milliseconds. */
  created_at: number;
  /** Epoch milliseconds. */
  updated_at: number;
}

/** `graph_nodes`: one vertex of the identity graph. */
export interface GraphNodesTable {
  /** `<kind>:<natural id>`, e.g. `credential:aws-key:AKIA…`, `identity:arn:aws:iam::1:user/ci`. */
  id: string;
  /** identity | credential | workload | resource | repository | owner | finding | network. */
  kind: string;
  label: string;
  /** JSON text. */
  props: string;
  /** Epoch milliseconds. */
  first_seen: number;
  /** Epoch milliseconds. */
  last_seen: number;
}

/** `graph_edges`: one relation between two nodes, aggregated over every observation of it. */
export interface GraphEdgesTable {
  src: string;
  dst: string;
  /** found-in | credential-of | runs-as | can-access | used | assumes | owned-by | detected. */
  kind: string;
  /** JSON text. */
  props: string;
  /** How many observations (events, finding locations) the edge stands for. */
  count: number;
  /** Epoch milliseconds. */
  first_seen: number;
  /** Epoch milliseconds. */
  last_seen: number;
}

/** `graph_risk`: the risk of each identity and finding as of the last rescore (derived; rebuilt whole). */
export interface GraphRiskTable {
  node_id: string;
  /** identity | finding. */
  kind: string;
  /** 0–100. */
  score: number;
  band: string;
  label: string;
  /** JSON: RiskFactor[]. */
  factors: string;
  /** JSON: exposure, owners, posture findings, the credential behind a finding. */
  detail: string;
  scored_at: number;
}

/** `graph_imported`: the findings and events already in the graph, so re-imports are idempotent. */
export interface GraphImportedTable {
  /** `event:<event id>` or `finding:<finding id>`. */
  id: string;
  /** Epoch milliseconds. */
  imported_at: number;
}

/** `jit_keys`: Warden's signing keys for just-in-time credentials (src/policy/jit/keys.ts). */
export interface JitKeysTable {
  kid: string;
  alg: string;
  /** JSON text: the public JWK. */
  public_jwk: string;
  /** The PKCS#8 private key sealed with AES-256-GCM (kek.ts); never the key in clear. */
  private_sealed: string;
  kek_id: string;
  created_at: number;
  retired_at: number | null;
  last_expires_at: number;
}

/** `jit_credentials`: every just-in-time credential issued; the token itself only as its SHA-256. */
export interface JitCredentialsTable {
  id: string;
  identity: string;
  kid: string;
  audience: string;
  task: string;
  workload_issuer: string;
  workload_subject: string;
  issued_at: number;
  expires_at: number;
  revoked_at: number | null;
  revoked_by: string | null;
  fingerprint: string;
}

/** `response_steps`: the state of each response step (one action on one subject for one alert). */
export interface ResponseStepsTable {
  id: string;
  alert_uid: string;
  playbook_id: string;
  position: number;
  action: string;
  subject: string;
  /** running | done | failed */
  status: string;
  approved_by: string;
  /** JSON: outcome, provider answer (never a secret). */
  result: string | null;
  /** JSON: the calls that undo it, when an undo exists. */
  undo: string | null;
  error: string | null;
  updated_at: number;
}

/** `api_tokens`: bearer tokens of `warden serve`, stored as SHA-256 hashes only. */
export interface ApiTokensTable {
  name: string;
  /** viewer | analyst | admin | ingest | workload. */
  role: string;
  /** Hex SHA-256 of the token. */
  token_hash: string;
  /** The token's first characters and an ellipsis: enough to tell tokens apart, never enough to use one. */
  preview: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** `audit_log`: append-only trail of every write, decision and response step. */
export interface AuditLogTable {
  id: Generated<number>;
  /** Epoch milliseconds. */
  time: number;
  /** Who: `token:<name>`, `cli:<user>`, `worker:<id>`, `system`. */
  actor: string;
  /** What, dotted: `alert.triage`, `token.create`, `ingest.accept`, `response.step`. */
  action: string;
  /** On what: an alert uid, a token name, an identity id. */
  target: string;
  /** ok | error | denied | planned | skipped … */
  outcome: string;
  /** Groups the entries of one operation (a response plan id, a request id). */
  ref: string | null;
  /** JSON text: before/after, a provider's answer, the undo. */
  detail: string;
}

/** `ingest_counters`: named counters of the ingest service (0012). */
export interface IngestCountersTable {
  name: string;
  value: number;
}

/** `ingest_queue`: accepted events waiting for the embedded server's detectors (0012, runs 0070). */
export interface IngestQueueTable {
  seq: Generated<number>;
  partition: number;
  /** JSON text of one IdentityEvent in rows written before 0070; empty in a run's row. */
  event: string;
  /** A run of the partition's events: their JSON array (null in rows written before 0070). */
  events: string | null;
  /** How many events the row holds. */
  count: Generated<number>;
}

/** `partition_state`: per partition, the detector snapshot and the position it covers (0012). */
export interface PartitionStateTable {
  partition: number;
  /** JSON text of the DetectorSnapshot. */
  snapshot: string;
  /** The last queue seq (embedded) or stream sequence (bus) the snapshot includes. */
  position: number;
  processed: number;
  owner: string | null;
  lease_until: number;
  updated_at: number;
}

/** `service_workers`: live worker processes by heartbeat (0012). */
export interface ServiceWorkersTable {
  id: string;
  heartbeat: number;
  started_at: number;
}

/** `scan_findings`: every finding of every imported scan (migration 0050); `finding` is the Finding's JSON. */
export interface ScanFindingsTable {
  id: string;
  repository: string;
  /** secret | posture. */
  kind: string;
  rule_id: string;
  severity: string;
  path: string;
  line: number;
  /** JSON text of the Finding (fingerprint and redacted preview, never the secret). */
  finding: string;
  /** Epoch milliseconds. */
  found_at: number;
}

/** `dashboard_sessions`: signed-in dashboard sessions (migration 0051), keyed by the SHA-256 of the session id. */
export interface DashboardSessionsTable {
  id: string;
  /** The API token the session was opened with (its name, never the token). */
  token_name: string;
  role: string;
  /** Epoch milliseconds. */
  created_at: number;
  /** Epoch milliseconds. */
  expires_at: number;
}

/**
 * Every table Warden stores, as kysely sees it. A migration that adds a table adds its row type here.
 * @example
 * const rows = await store.db.selectFrom('alerts').select(['uid', 'status']).execute();
 */
export interface Database {
  detector_state: DetectorStateTable;
  detector_meta: DetectorMetaTable;
  alerts: AlertsTable;
  graph_nodes: GraphNodesTable;
  graph_edges: GraphEdgesTable;
  graph_imported: GraphImportedTable;
  graph_risk: GraphRiskTable;
  jit_keys: JitKeysTable;
  jit_credentials: JitCredentialsTable;
  response_steps: ResponseStepsTable;
  scan_findings: ScanFindingsTable;
  dashboard_sessions: DashboardSessionsTable;
  api_tokens: ApiTokensTable;
  audit_log: AuditLogTable;
  ingest_counters: IngestCountersTable;
  ingest_queue: IngestQueueTable;
  partition_state: PartitionStateTable;
  service_workers: ServiceWorkersTable;
}
