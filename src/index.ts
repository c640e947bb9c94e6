/**
 * Warden's library surface: everything the CLI does is a function here that a program or test can call.
 * @example
 * import { runScan, parseConfig } from 'warden';
 * const { findings } = await runScan({ root: '.', mode: 'tree', config: parseConfig({}) });
 */
export { run } from './cli/index.js';
export { loadCatalogues, resolveRef } from './frameworks/index.js';
export * from './model/index.js';
export {
  checkEvent,
  evaluateEvent,
  loadManifest,
  type Manifest,
  type ManifestIdentity,
  type PolicyViolation,
  parseManifest,
  resolveIdentity,
} from './policy/index.js';
export { toJsonReport, toSarif, toTable } from './report/index.js';
export {
  ACTIONS,
  applyResponse,
  type Incident,
  loadPlaybooks,
  type Playbook,
  planResponse,
  type ResponseLedger,
  type ResponsePlan,
} from './respond/index.js';
export {
  compareFindings,
  createBaseline,
  emptySummary,
  readBaseline,
  runScan,
  type ScanMode,
  type ScanOptions,
  type ScanSummary,
  scanFindings,
  writeBaseline,
} from './scan/index.js';
export { createSecretScanner, type SecretScanner } from './scan/secrets/engine.js';
export { loadSecretRules, type SecretRule } from './scan/secrets/load-rules.js';
