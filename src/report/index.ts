export { toJsonReport } from './json.js';
export { toDetectionFinding } from './ocsf.js';
export { toSarif } from './sarif.js';
export { type TableSummary, toTable } from './table.js';
export { wardenVersion } from './version.js';
