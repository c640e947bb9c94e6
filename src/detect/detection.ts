import type { AlertDetectionId, AnomalyEvidence, PolicyCitation } from '../model/alert.js';
import type { DetectConfig } from '../model/config.js';
import type { IdentityEvent } from '../model/identity-event.js';
import type { Severity } from '../model/severity.js';
import type { Novelty } from './novelty.js';
import type { CredentialState, IdentityState } from './state.js';

/** What a detection sees: the event, and the state as it was before this event. */
export interface DetectionContext {
  readonly config: DetectConfig['thresholds'];
  readonly windows: DetectConfig['windows'];
  /** Event time, ms since the epoch. */
  readonly now: number;
  readonly identity: IdentityState;
  /** State of the credential the event presents, if any. */
  readonly credential: CredentialState | undefined;
  /** The identity is past its warm-up: baseline detections may judge it. */
  readonly warm: boolean;
  /**
   * The identity is non-human: by type, or an account typed as a person whose usage is all
   * programmatic tokens and no web sessions (see features.ts isNonHumanIdentity).
   */
  readonly nonHuman: boolean;
  /** Generalised features of the event (see features.ts). */
  readonly net: string | undefined;
  readonly agentFamily: string | undefined;
  readonly resource: string | undefined;
  /** State of any credential by key (lifecycle events name other credentials than the caller's). */
  credentialState(key: string): CredentialState | undefined;
}

/** A detection's verdict on one event. */
export interface Trigger {
  severity: Severity;
  /** What happened, in one sentence a responder can act on; never a secret. */
  message: string;
  anomaly?: AnomalyEvidence;
  /** The credential the alert is about when it is not the one the event presents. */
  credentialKey?: string;
  /**
   * A new source: the engine gathers what comes with it over the episode, scores its severity from
   * that evidence, and folds novelties that many identities share into one infrastructure-change notice.
   */
  novelty?: Novelty;
  /** Splits the identity's episodes: triggers with different keys are separate alerts. */
  episodeKey?: string;
  /** The manifest entry the trigger cites (declared expectations). */
  policy?: PolicyCitation;
}

export interface DetectionMeta {
  id: AlertDetectionId;
  title: string;
  description: string;
  /** Default severity; triggers may raise or lower it, config may override it. */
  severity: Severity;
  /** rule: fires on a condition; behavioral: fires against the identity's own learned baseline. */
  type: 'rule' | 'behavioral';
  /** Episodes are per identity, or per identity and credential. */
  per: 'identity' | 'credential';
  attacks: Array<{ id: string; name: string; tactic: string }>;
  frameworks: string[];
}

/** A detection: metadata plus one pure function of the event and the state before it. */
export interface Detection {
  meta: DetectionMeta;
  evaluate(e: IdentityEvent, ctx: DetectionContext): Trigger | undefined;
}

/** One step up or down the severity scale, clamped. */
export function shiftSeverity(s: Severity, by: number): Severity {
  const order: Severity[] = ['info', 'low', 'medium', 'high', 'critical'];
  return order[Math.max(0, Math.min(order.length - 1, order.indexOf(s) + by))]!;
}
