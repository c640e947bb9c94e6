import type { AlertDetectionId, AnomalyEvidence, PolicyCitation } from '../model/alert.js';
import type { DetectConfig } from '../model/config.js';
import type { IdentityEvent } from '../model/identity-event.js';
import type { Severity } from '../model/severity.js';
import type { Novelty } from './novelty.js';
import type { CredentialCore, IdentityCore } from './state.js';

/**
 * What a detection sees besides its own state: the event's time and features, and the shared core
 * of the identity and credential as they were before this event. The engine fills one context per
 * event and hands the same object to every detection: read it, never keep it.
 */
export interface DetectionContext {
  readonly config: DetectConfig['thresholds'];
  readonly windows: DetectConfig['windows'];
  /** Event time, ms since the epoch. */
  readonly now: number;
  readonly identity: IdentityCore;
  /** Shared state of the credential the event presents, if any. */
  readonly credential: CredentialCore | undefined;
  /** The identity is past its warm-up: baseline detections may judge it. */
  readonly warm: boolean;
  /**
   * The identity is non-human: by type, or an account typed as a person whose usage is all
   * programmatic tokens and no web sessions (see features.ts isNonHumanIdentity).
   */
  readonly nonHuman: boolean;
  /** The event is before `learnUntil`: it only teaches (a `learn` step may treat it as normal). */
  readonly learning: boolean;
  /** Generalised features of the event (see features.ts). */
  readonly net: string | undefined;
  readonly agentFamily: string | undefined;
  readonly resource: string | undefined;
  /** Shared state of any credential by key (lifecycle events name other credentials than the caller's). */
  credentialState(key: string): CredentialCore | undefined;
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
  /** Maturity, as Sigma rules say it: stable, test, experimental. Absent for rules made at run time. */
  status?: string | undefined;
  attacks: Array<{ id: string; name: string; tactic: string }>;
  frameworks: string[];
}

/**
 * A detection: its metadata, its own slices of state, and three steps over them.
 *
 * - `identitySlice` / `credentialSlice` make a fresh slice (one per identity, one per credential).
 *   A slice is a plain object of numbers, strings, arrays and Recent/Latest sets: the engine saves it
 *   as JSON under the detection's id and restores it field by field (see state.ts restoreFields).
 * - `evaluate` judges the event against the slices as they were before it; it must not change them.
 * - `fired` (optional) runs when a trigger became an alert (not excepted): "remember that I alerted".
 * - `learn` (optional) updates only the detection's own slices with the event, after every detection
 *   has judged it, whether anything fired or not.
 *
 * `I` and `C` are the identity and credential slice types (`undefined` when the detection has none).
 */
export interface Detection<I = unknown, C = unknown> {
  meta: DetectionMeta;
  identitySlice?: () => I;
  credentialSlice?: () => C;
  evaluate(e: IdentityEvent, ctx: DetectionContext, mine: I, myCredential: C | undefined): Trigger | undefined;
  fired?(e: IdentityEvent, ctx: DetectionContext, mine: I, myCredential: C | undefined): void;
  learn?(e: IdentityEvent, ctx: DetectionContext, mine: I, myCredential: C | undefined): void;
}

/** One step up or down the severity scale, clamped. */
export function shiftSeverity(s: Severity, by: number): Severity {
  const order: Severity[] = ['info', 'low', 'medium', 'high', 'critical'];
  return order[Math.max(0, Math.min(order.length - 1, order.indexOf(s) + by))]!;
}
