export { type AlertFilter, listAlerts, upsertAlerts } from './alerts.js';
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
export { type Exposure, explainExposure, exposureOf, importEvents, importFindings } from './graph-import.js';
export { MIGRATIONS, migrateToLatest, type StoreDialect, type StoreMigration } from './migrations.js';
export type {
  AlertsTable,
  Database,
  DetectorMetaTable,
  DetectorStateTable,
  GraphEdgesTable,
  GraphImportedTable,
  GraphNodesTable,
} from './schema.js';
export { openStore, type Store, type StoreTarget } from './store.js';
export { parseStoreUrl, type StoreLocation } from './url.js';
