export { ACTIONS } from './actions/index.js';
export { slackPayload } from './actions/notify.js';
export {
  type AppliedStep,
  type ApplyOptions,
  applyResponse,
  type PlannedStep,
  type PlanOptions,
  planResponse,
  publicSubject,
  type ResponsePlan,
  stepId,
} from './engine.js';
export { type CallLimits, DEFAULT_LIMITS, ProviderError, retryAfterMs } from './http.js';
export { automaticForbiddenBy } from './manifest.js';
export { loadPlaybooks, type Playbook, PlaybookFileSchema, parsePlaybooks, whyNot } from './playbook.js';
export { buildReviewTask } from './review.js';
export {
  ACTION_NAMES,
  type Action,
  type ActionName,
  type AuditEntry,
  type Incident,
  type LeakLocation,
  type PlannedCall,
  type ResponseLedger,
  type ReviewTask,
  type StepRecord,
  type Subject,
} from './types.js';
