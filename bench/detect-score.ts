/**
 * Scoring for bench:detect: which labelled episodes the alerts find, and which alerts find nothing.
 * Pure functions over the truth and the alerts, so the rules are easy to read and to test.
 */

import type { Alert, DetectionId } from '../src/model/alert.js';
import { DETECTION_IDS, POLICY_VIOLATION_ID } from '../src/model/alert.js';
import { SEVERITIES, type Severity, severityRank } from '../src/model/severity.js';
import type { BenignChange, Episode } from '../src/scenario/generate.js';

/** How far an alert's firstSeen..lastSeen may lie outside an episode and still be about it. */
export const SLACK_MS = 30 * 60_000;

/** Whether the alert is about the episode's identity or credential (or carries one of its events). */
export function concerns(a: Alert, ep: Episode): boolean {
  if (a.identity.id === ep.identity) return true;
  if (a.credential !== undefined && ep.credentials.includes(a.credential.key)) return true;
  return a.evidences.some((e) => ep.eventIds.includes(e.id));
}

/** Whether the alert's span overlaps the episode's window widened by the slack. */
export function overlaps(a: Alert, ep: Episode, slack = SLACK_MS): boolean {
  const first = Date.parse(a.firstSeen);
  const last = Date.parse(a.lastSeen);
  return first <= Date.parse(ep.end) + slack && last >= Date.parse(ep.start) - slack;
}

/** An episode is detected by an alert of one of its expected ids, about it, overlapping it. */
export function detects(a: Alert, ep: Episode): boolean {
  return (ep.detections as readonly string[]).includes(a.detectionId) && concerns(a, ep) && overlaps(a, ep);
}

export interface DetectionScore {
  /** Episodes whose first expected id is this one. */
  episodes: number;
  detected: number;
  /** Alerts of this id in the evaluation period. */
  alerts: number;
  /** Of those, alerts about some episode (any episode, whatever its expected ids). */
  onAttacks: number;
  /** Of those, alerts about no episode, by severity. */
  falseAlarms: Record<Severity, number>;
}

export interface Score {
  /** Per built-in detection, plus one row (`SIGMA_ROW`) for every Sigma rule's alerts together. */
  perDetection: Record<DetectionId, DetectionScore> & Partial<Record<typeof SIGMA_ROW, DetectionScore>>;
  episodes: number;
  detected: number;
  missed: Episode[];
  /** Alerts opened in the evaluation period about no episode. */
  falseAlarms: Alert[];
  falseAlarmsBySeverity: Record<Severity, number>;
  /** False alarms of medium severity or above: the headline number. */
  falseAlarmsMediumPlus: number;
  /** Alerts opened during learning (a detector with learnUntil should open none). */
  learningAlerts: number;
  /** Alerts about an episode but of an id the episode does not list (same attack, another angle). */
  related: number;
  /** Per planted benign change: the false alarms about its identities, by severity. */
  changes: Array<{ change: BenignChange; alerts: Record<Severity, number> }>;
}

/** Whether an alert is about one of a benign change's identities (fleet notices name several in their evidences). */
export function aboutChange(a: Alert, c: BenignChange): boolean {
  return c.identities.includes(a.identity.id) || a.evidences.some((e) => c.identities.includes(e.identity.id));
}

/** The score row of alerts from Sigma rules (the bundled pack and any others). */
export const SIGMA_ROW = 'sigma rules';

const zeroSeverities = (): Record<Severity, number> =>
  Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;

/**
 * Scores alerts against the truth. Alerts opened before `learnUntil` are counted apart: the
 * evaluation period is what the false-alarm numbers describe.
 * @example const s = score(truth, alerts, Date.parse('2025-06-20')); s.falseAlarmsMediumPlus
 */
export function score(
  truth: readonly Episode[],
  alerts: readonly Alert[],
  learnUntil: number,
  benign: readonly BenignChange[] = [],
): Score {
  const perDetection = Object.fromEntries(
    DETECTION_IDS.map((id) => [id, { episodes: 0, detected: 0, alerts: 0, onAttacks: 0, falseAlarms: zeroSeverities() }]),
  ) as Score['perDetection'];
  const missed: Episode[] = [];
  let detected = 0;
  for (const ep of truth) {
    const primary = perDetection[ep.detections[0]!];
    primary.episodes++;
    if (alerts.some((a) => detects(a, ep))) {
      primary.detected++;
      detected++;
    } else missed.push(ep);
  }
  const falseAlarms: Alert[] = [];
  const bySeverity = zeroSeverities();
  let learningAlerts = 0;
  let related = 0;
  for (const a of alerts) {
    if (Date.parse(a.firstSeen) < learnUntil) {
      learningAlerts++;
      continue;
    }
    // Declared-expectation alerts (policy violations) are not scored against learned detections.
    if (a.detectionId === POLICY_VIOLATION_ID) continue;
    const builtin = (DETECTION_IDS as readonly string[]).includes(a.detectionId);
    if (!builtin && perDetection[SIGMA_ROW] === undefined) {
      perDetection[SIGMA_ROW] = { episodes: 0, detected: 0, alerts: 0, onAttacks: 0, falseAlarms: zeroSeverities() };
    }
    const d = builtin ? perDetection[a.detectionId as DetectionId] : perDetection[SIGMA_ROW]!;
    d.alerts++;
    const about = truth.filter((ep) => concerns(a, ep) && overlaps(a, ep));
    if (about.length > 0) {
      d.onAttacks++;
      if (!about.some((ep) => (ep.detections as readonly string[]).includes(a.detectionId))) related++;
      continue;
    }
    d.falseAlarms[a.severity]++;
    bySeverity[a.severity]++;
    falseAlarms.push(a);
  }
  const mediumPlus = falseAlarms.filter((a) => severityRank(a.severity) >= severityRank('medium')).length;
  const changes = benign.map((change) => {
    const bySev = zeroSeverities();
    for (const a of falseAlarms) if (aboutChange(a, change)) bySev[a.severity]++;
    return { change, alerts: bySev };
  });
  return {
    perDetection,
    episodes: truth.length,
    detected,
    missed,
    falseAlarms,
    falseAlarmsBySeverity: bySeverity,
    falseAlarmsMediumPlus: mediumPlus,
    learningAlerts,
    related,
    changes,
  };
}
