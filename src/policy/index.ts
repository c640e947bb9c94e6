/**
 * The policy manifest: one description of each non-human identity, read at build time (drift), run
 * time (violations) and request time (authorization).
 * @example
 * import { loadManifest, resolveIdentity, evaluateEvent } from './policy/index.js';
 * const manifest = loadManifest('warden.policy.yaml');
 * evaluateEvent(manifest, event)?.violations;
 */

export { type Declaration, declarationOf } from './declaration.js';
export {
  checkEvent,
  evaluateEvent,
  isSessionPlumbing,
  type PolicyViolation,
  policyView,
  VIOLATION_KINDS,
  type ViolationKind,
} from './evaluate.js';
export { canonicalName, closest, DEFAULT_POLICY_FILE, loadManifest, parseManifest } from './load.js';
export {
  actionAllowed,
  cidrProblem,
  clockMinutes,
  formatDuration,
  globCovers,
  globMatch,
  globProblem,
  inAnyNetwork,
  inAnyWindow,
  inNetwork,
  inWindow,
  isTimeZone,
  localTime,
  parseDuration,
  resourceAllowed,
} from './match.js';
export { eventNames, identityByName, resolveEvent, resolveIdentity } from './resolve.js';
export {
  type AllowEntry,
  DAYS,
  type Day,
  type Manifest,
  type ManifestChange,
  ManifestDocumentSchema,
  type ManifestIdentity,
  type PolicyWindow,
  type SourceRef,
  type TrustEntry,
} from './schema.js';
