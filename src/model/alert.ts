import type { IdentityEvent } from './identity-event.js';
import type { Severity } from './severity.js';

/** The detections Warden runs, by stable id. Each is a module under src/detect/detections/. */
export const DETECTION_IDS = [
  'runtime.credential.new-source', // 1. used from a new network, region or user-agent family
  'runtime.credential.reuse-after-revocation', // 2. revoked token/key presented again
  'runtime.credential.rotated-still-used', // 3. deactivated or rotated-out key still presented
  'runtime.identity.privilege-escalation', // 4. automation identity changes privileges
  'runtime.access.off-hours', // 5. sensitive access outside normal hours or a deployment window
  'runtime.auth.failures-then-success', // 6. brute force / stuffing then a success
  'runtime.identity.rate-spike', // 7. call rate far above the identity's own baseline
  'runtime.identity.resource-mismatch', // 8. resources outside the identity's namespace/env/usual set
  'runtime.credential.shared', // 9. one identity from many hosts at once; one credential, two identities
  'runtime.agent.anomalous-tool-chain', // 10. new tool, new sequence, secret read then outbound
  'runtime.credential.long-lived-idle', // 11. long-lived credential used minutes a day
  'runtime.fleet.infrastructure-change', // a notice: identities that moved together, or a declared change
] as const;
export type DetectionId = (typeof DETECTION_IDS)[number];
/** A built-in detection's id, or the `id` of a Sigma rule (any string). */
export type AnalyticId = DetectionId | (string & {});

/**
 * The run-time check of declared expectations (src/policy + src/detect/policy-violation.ts): not a
 * learned detection, so it runs only when a policy manifest is given and no scenario labels it.
 */
export const POLICY_VIOLATION_ID = 'runtime.policy.violation';
/** Any id an alert may carry: a built-in detection, the policy check, or a Sigma rule. */
export type AlertDetectionId = AnalyticId | typeof POLICY_VIOLATION_ID;

/** The manifest entry an alert cites (policy violations). */
export interface PolicyCitation {
  /** The declared identity's Warden name. */
  identity: string;
  /** The part broken: `NAME/allow`, `NAME/sources`, `NAME/windows`, `NAME/environments`, `NAME/agent`. */
  entry: string;
  /** action, resource, network, region, window, environment, agent-tool, agent-destination. */
  kind: string;
  file: string;
  line: number;
  owner: string;
}

/** What a baseline expected and what was seen instead (OCSF anomaly_analyses). */
export interface AnomalyEvidence {
  /** What was measured: 'source network', 'region', 'hour of week', 'calls per 5 minutes', 'tool'. */
  parameter: string;
  /** OCSF observed_pattern: UNSEEN, OFF_HOURS, SURGE, … */
  pattern: string;
  observed: string[];
  expected: string[];
  /** What the severity was judged on (novelty evidence), one phrase each. */
  signals?: string[] | undefined;
  /** The identities analysed, when more than the alert's own (a fleet change names them all). */
  targets?: Array<{ id: string; type: string }> | undefined;
}

/**
 * One alert: an episode of one detection for one identity (and credential), aggregated over its
 * triggering events. Rendered as an OCSF Detection Finding (class 2004) at the edges.
 */
export interface Alert {
  /** Deterministic: same input, same uid (detection, identity, credential, first evidence). */
  uid: string;
  detectionId: AlertDetectionId;
  title: string;
  severity: Severity;
  /** One sentence a responder can act on; never a secret. */
  message: string;
  identity: IdentityEvent['identity'];
  credential?: { key: string; type: string } | undefined;
  firstSeen: string;
  lastSeen: string;
  /** Triggering events in this episode. */
  count: number;
  /** The first triggering events (capped), as normalised events with their raw pointers. */
  evidences: IdentityEvent[];
  anomaly?: AnomalyEvidence | undefined;
  frameworks: string[];
  /** MITRE ATT&CK techniques, e.g. { id: 'T1078.004', name: 'Valid Accounts: Cloud Accounts', tactic: 'Initial Access' }. */
  attacks: Array<{ id: string; name: string; tactic: string }>;
  /** The manifest entry the alert cites, for policy violations. */
  policy?: PolicyCitation | undefined;
}
