export { CONFIG_FILES, ConfigSchema, loadConfig, parseConfig, parseSize, type WardenConfig } from './config.js';
export { ERROR_CODES, type ErrorCode, type Issue, type Result, WardenError } from './errors.js';
export {
  type CommitInfo,
  CommitInfoSchema,
  type CredentialKey,
  CredentialKeySchema,
  type Finding,
  FindingSchema,
} from './finding.js';
export { SEVERITIES, type Severity, SeveritySchema, severityRank } from './severity.js';
