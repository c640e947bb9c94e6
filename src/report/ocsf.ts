import type { Alert } from '../model/alert.js';
import type { IdentityEvent } from '../model/identity-event.js';
import type { Severity } from '../model/severity.js';
import { wardenVersion } from './version.js';

/** OCSF severity_id (1 Informational … 5 Critical). */
const SEVERITY: Record<Severity, [number, string]> = {
  info: [1, 'Informational'],
  low: [2, 'Low'],
  medium: [3, 'Medium'],
  high: [4, 'High'],
  critical: [5, 'Critical'],
};

const OCSF_VERSION = '1.3.0';

function evidence(e: IdentityEvent): Record<string, unknown> {
  const user: Record<string, unknown> = { uid: e.identity.id, type: e.identity.type };
  if (e.identity.name) user.name = e.identity.name;
  const src: Record<string, unknown> = {};
  if (e.client.ip) src.ip = e.client.ip;
  if (e.client.host) src.hostname = e.client.host;
  if (e.client.region || e.client.location) src.location = { region: e.client.region, desc: e.client.location };
  return {
    actor: { user, ...(e.identity.session ? { session: { uid: e.identity.session } } : {}) },
    api: { operation: e.action },
    ...(Object.keys(src).length ? { src_endpoint: src } : {}),
    ...(e.resource ? { resources: [{ uid: e.resource.id, type: e.resource.type }] } : {}),
    ...(e.client.userAgent ? { http_request: { user_agent: e.client.userAgent } } : {}),
    data: {
      event_uid: e.id,
      source: e.source,
      time: e.time,
      outcome: e.outcome,
      ...(e.reason ? { reason: e.reason } : {}),
      tags: e.tags,
      ...(e.credential
        ? { credential: { key: e.credential.key, type: e.credential.type, lifecycle: e.credential.lifecycle } }
        : {}),
      raw: { file: e.raw.file, line: e.raw.line },
    },
  };
}

/**
 * An alert as an OCSF Detection Finding (class_uid 2004): `finding_info` with the detection as the
 * analytic, `evidences` (the triggering events with pointers to their raw records),
 * `anomaly_analyses` for baseline-driven detections, MITRE ATT&CK techniques and framework references.
 * `activity` is Create when an episode opens and Update when it closes with more events.
 * @example JSON.stringify(toDetectionFinding(alert))
 */
export function toDetectionFinding(
  alert: Alert,
  activity: 'create' | 'update' = 'create',
  analyticType: 'rule' | 'behavioral' = 'rule',
): Record<string, unknown> {
  const [severityId, severity] = SEVERITY[alert.severity];
  const activityId = activity === 'create' ? 1 : 2;
  const first = Date.parse(alert.firstSeen);
  const last = Date.parse(alert.lastSeen);
  const user: Record<string, unknown> = { uid: alert.identity.id, type: alert.identity.type };
  if (alert.identity.name) user.name = alert.identity.name;
  if (alert.identity.scope) user.account = { uid: alert.identity.scope };
  const resources = new Map<string, { uid: string; type?: string }>();
  for (const e of alert.evidences)
    if (e.resource) resources.set(e.resource.id, { uid: e.resource.id, ...(e.resource.type ? { type: e.resource.type } : {}) });
  const finding: Record<string, unknown> = {
    class_uid: 2004,
    class_name: 'Detection Finding',
    category_uid: 2,
    category_name: 'Findings',
    activity_id: activityId,
    activity_name: activity === 'create' ? 'Create' : 'Update',
    type_uid: 200400 + activityId,
    type_name: `Detection Finding: ${activity === 'create' ? 'Create' : 'Update'}`,
    time: activity === 'create' ? first : last,
    severity_id: severityId,
    severity,
    status_id: 1,
    status: 'New',
    message: alert.message,
    count: alert.count,
    finding_info: {
      uid: alert.uid,
      title: alert.title,
      desc: alert.message,
      types: [alert.detectionId],
      analytic: {
        uid: alert.detectionId,
        name: alert.title,
        type_id: analyticType === 'rule' ? 1 : 2,
        type: analyticType === 'rule' ? 'Rule' : 'Behavioral',
      },
      first_seen_time: first,
      last_seen_time: last,
      ...(alert.policy
        ? {
            related_analytics: [
              { uid: alert.policy.entry, name: `${alert.policy.file}:${alert.policy.line}`, type_id: 1, type: 'Rule' },
            ],
          }
        : {}),
      ...(alert.attacks.length
        ? { attacks: alert.attacks.map((a) => ({ technique: { uid: a.id, name: a.name }, tactic: { name: a.tactic } })) }
        : {}),
    },
    actor: { user, ...(alert.identity.session ? { session: { uid: alert.identity.session } } : {}) },
    evidences: alert.evidences.map(evidence),
    ...(resources.size ? { resources: [...resources.values()] } : {}),
    metadata: {
      version: OCSF_VERSION,
      uid: alert.uid,
      correlation_uid: alert.identity.id,
      product: { name: 'Warden', vendor_name: 'Warden', version: wardenVersion() },
    },
    unmapped: {
      frameworks: alert.frameworks,
      ...(alert.credential ? { credential: alert.credential } : {}),
      // The manifest entry a policy violation breaks: which declaration, where, whose.
      ...(alert.policy ? { policy: alert.policy } : {}),
    },
  };
  if (alert.anomaly) {
    finding.anomaly_analyses = [
      {
        analysis_targets: (alert.anomaly.targets ?? [{ id: alert.identity.id, type: alert.identity.type }]).map((t) => ({
          name: t.id,
          type: t.type,
        })),
        anomalies: [
          {
            observation_parameter: alert.anomaly.parameter,
            observed_pattern: alert.anomaly.pattern,
            observations: alert.anomaly.observed.map((value) => ({ value })),
          },
          // What the severity was judged on: one anomaly per contributing signal.
          ...(alert.anomaly.signals ?? []).map((value) => ({
            observation_parameter: 'evidence',
            observed_pattern: 'CONTRIBUTING_SIGNAL',
            observations: [{ value }],
          })),
        ],
        baselines: [
          { observation_parameter: alert.anomaly.parameter, observations: alert.anomaly.expected.map((value) => ({ value })) },
        ],
      },
    ];
  }
  return finding;
}
