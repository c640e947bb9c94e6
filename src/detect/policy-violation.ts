import { POLICY_VIOLATION_ID } from '../model/alert.js';
import type { IdentityEvent } from '../model/identity-event.js';
import { evaluateEvent, type Manifest, type PolicyViolation } from '../policy/index.js';
import { policyRule } from '../policy/rules.js';
import type { Detection } from './detection.js';
import { networkOf } from './features.js';

/** What repeats of one violation fold into: the same action, network, region, tool… (never each event). */
function episodeKey(v: PolicyViolation, e: IdentityEvent): string {
  switch (v.kind) {
    case 'network':
      return `network|${networkOf(e.client.ip) ?? v.observed[0]}`;
    case 'resource':
      return `resource|${e.action}`;
    case 'window':
      return 'window';
    default:
      return `${v.kind}|${v.observed[0] ?? ''}`;
  }
}

/**
 * `runtime.policy.violation`: an event of a declared identity outside its manifest entry (allow,
 * sources, windows, environments, agent). The engine runs it as an expectation (from the first event,
 * no warm-up, whatever `learnUntil`); each distinct violation of an identity opens its own alert,
 * citing the manifest entry (file, line, owner) it breaks.
 * @example createDetector({ expectations: [createPolicyViolation(loadManifest('warden.policy.yaml'))] })
 */
export function createPolicyViolation(manifest: Manifest): Detection {
  const rule = policyRule(POLICY_VIOLATION_ID);
  return {
    meta: {
      id: POLICY_VIOLATION_ID,
      title: rule.title,
      description: rule.rationale,
      severity: rule.severity,
      type: 'rule',
      per: 'identity',
      attacks: [{ id: 'T1078', name: 'Valid Accounts', tactic: 'Defense Evasion' }],
      frameworks: rule.frameworks,
    },
    evaluate(e) {
      const r = evaluateEvent(manifest, e);
      const v = r?.violations[0];
      if (r === undefined || v === undefined) return undefined;
      const more = r.violations.slice(1).map((x) => x.kind);
      const where = `${v.at.file}:${v.at.line}`;
      return {
        severity: rule.severity,
        message: `${v.message} Manifest entry ${v.policy} (${where}), owner ${r.identity.owner}${more.length ? `; also outside: ${more.join(', ')}` : ''}.`,
        anomaly: { parameter: `manifest ${v.policy}`, pattern: 'OUT_OF_POLICY', observed: v.observed, expected: v.expected },
        episodeKey: episodeKey(v, e),
        policy: {
          identity: r.identity.name,
          entry: v.policy,
          kind: v.kind,
          file: v.at.file,
          line: v.at.line,
          owner: r.identity.owner,
        },
      };
    },
  };
}
