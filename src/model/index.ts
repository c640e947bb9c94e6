export {
  type Alert,
  type AlertDetectionId,
  type AnomalyEvidence,
  DETECTION_IDS,
  type DetectionId,
  POLICY_VIOLATION_ID,
  type PolicyCitation,
} from './alert.js';
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
export {
  CREDENTIAL_LIFECYCLE,
  type CredentialLifecycle,
  EVENT_SOURCES,
  type EventSource,
  EventSourceSchema,
  IDENTITY_TYPES,
  type IdentityEvent,
  IdentityEventSchema,
  WARDEN_EVENT_SOURCES,
} from './identity-event.js';
export {
  INVENTORY_NODE_KINDS,
  INVENTORY_RELATION_KINDS,
  type InventoryNode,
  InventoryNodeSchema,
  type InventoryRelation,
  type InventoryRelationKind,
  InventoryRelationSchema,
} from './inventory.js';
export { SEVERITIES, type Severity, SeveritySchema, severityRank } from './severity.js';
