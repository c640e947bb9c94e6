export {
  type AlertPageFilter,
  getTriagedAlert,
  listAlertPage,
  setAlertStatus,
  TRIAGE_STATES,
  type TriagedAlert,
  type TriageState,
} from './alert-triage.js';
export { type AlertFilter, listAlerts, upsertAlerts } from './alerts.js';
export { type AuditEntry, type AuditFilter, type AuditInput, appendAudit, listAudit } from './audit.js';
export { jitRepository } from './credentials.js';
export {
  type AlertDetail,
  type AlertPageQuery,
  type AlertSummary,
  alertDetail,
  alertPage,
  type BlastGroup,
  groupedBlastRadius,
  groupKey,
  type Overview,
  overview,
} from './dashboard.js';
export { deleteStates, getMeta, getStates, putStates, setMeta } from './detector-state.js';
export {
  claimImported,
  type GraphEdge,
  type GraphEdgeRow,
  type GraphNode,
  type GraphNodeRow,
  getGraphNode,
  listGraphEdges,
  updateGraphNodeProps,
  upsertGraphEdges,
  upsertGraphNodes,
} from './graph.js';
export {
  type ImportEventsOptions,
  type ImportResult,
  importEvents,
  importFindings,
  importInventory,
  importManifest,
} from './graph-import.js';
export {
  blastRadius,
  type Evidence,
  type Exposure,
  evidenceOf,
  explainExposure,
  exposureOf,
  type FindingDetail,
  getRisk,
  type IdentityDetail,
  type IdentityRow,
  listIdentities,
  listRisk,
  loadSnapshot,
  type RescoreOptions,
  type RescoreResult,
  type RiskRow,
  rescoreGraph,
  resolveNode,
} from './graph-query.js';
export { addLearnedExceptions, learnedExceptions } from './learned-exceptions.js';
export { MIGRATIONS, migrateToLatest, type StoreDialect, type StoreMigration } from './migrations.js';
export {
  addCounters,
  claimPartitions,
  enqueueRows,
  heartbeat,
  type IngestRecord,
  liveWorkers,
  PartitionRunner,
  processedTotal,
  type QueueEntry,
  queueSummary,
  readCounters,
  readQueue,
  releasePartitions,
  retireWorker,
  trimQueue,
  writeIngestRecord,
} from './partitions.js';
export { decodeQueueRow, type QueueRow, queueRows } from './queue-rows.js';
export {
  createResponseLedger,
  DETECT_CREDENTIAL_SCOPE,
  getAlert,
  listResponseAudit,
  loadIncident,
  type PrepareOptions,
  planDocument,
  prepareResponse,
  recordRevocation,
} from './respond.js';
export { listScanFindings, recordScanFindings, type ScanFindingQuery, type ScanFindingRow } from './scan-findings.js';
export type {
  AlertsTable,
  Database,
  DetectorMetaTable,
  DetectorStateTable,
  GraphEdgesTable,
  GraphImportedTable,
  GraphNodesTable,
  ScanFindingsTable,
} from './schema.js';
export {
  createSession,
  csrfMatches,
  csrfToken,
  type DashboardSession,
  deleteSession,
  deleteSessionsOf,
  getSession,
  SESSION_TTL_MS,
} from './sessions.js';
export { openStore, type Store, type StoreTarget } from './store.js';
export {
  createToken,
  listTokens,
  ROLES,
  type Role,
  revokeToken,
  TOKEN_PREFIX,
  type TokenInfo,
  tokenHash,
  verifyToken,
} from './tokens.js';
export { parseStoreUrl, type StoreLocation } from './url.js';
