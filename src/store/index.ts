export { type AlertFilter, listAlerts, upsertAlerts } from './alerts.js';
export { deleteStates, getMeta, getStates, putStates, setMeta } from './detector-state.js';
export { MIGRATIONS, migrateToLatest, type StoreDialect, type StoreMigration } from './migrations.js';
export type { AlertsTable, Database, DetectorMetaTable, DetectorStateTable } from './schema.js';
export { openStore, type Store, type StoreTarget } from './store.js';
export { parseStoreUrl, type StoreLocation } from './url.js';
