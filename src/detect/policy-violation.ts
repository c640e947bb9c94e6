import { POLICY_VIOLATION_ID } from '../model/alert.js';
import type { DetectConfig } from '../model/config.js';
import type { IdentityEvent } from '../model/identity-event.js';
import { evaluateEvent, type Manifest, type PolicyViolation, resolveIdentity } from '../policy/index.js';
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

/** What the manifest gives a detector: its expectations, its declared changes, and who each identity is. */
export interface ManifestDetectorOptions {
  expectations: Detection[];
  /** The config with the manifest's `changes:` after the config's own `detect.changes`. */
  config: DetectConfig;
  ownerOf: (identityId: string) => string | undefined;
  nameOf: (identityId: string) => string | undefined;
}

/**
 * The detector options a policy manifest implies, merged with the config: `warden detect`, `warden
 * serve` and `warden worker` build their detectors from this, so a change declared in the manifest
 * quiets the same novelty everywhere.
 * @example createDetector({ ...otherOptions, ...manifestDetectorOptions(manifest, config.detect) })
 */
export function manifestDetectorOptions(manifest: Manifest | undefined, config: DetectConfig): ManifestDetectorOptions {
  if (manifest === undefined) return { expectations: [], config, ownerOf: () => undefined, nameOf: () => undefined };
  // A single address is a /32 (or /128) block to the novelty matcher.
  const block = (n: string) => (n.includes('/') ? n : `${n}/${n.includes(':') ? 128 : 32}`);
  const declared: DetectConfig['changes'] = manifest.changes.map((c) => ({
    from: c.from,
    to: c.to,
    reason: c.reason,
    ...(c.identities ? { identities: c.identities } : {}),
    ...(c.owner ? { owner: c.owner } : {}),
    ...(c.networks ? { networks: c.networks.map(block) } : {}),
    ...(c.regions ? { regions: c.regions } : {}),
  }));
  return {
    expectations: [createPolicyViolation(manifest)],
    config: declared.length === 0 ? config : { ...config, changes: [...config.changes, ...declared] },
    ownerOf: (id) => resolveIdentity(manifest, id)?.owner,
    nameOf: (id) => resolveIdentity(manifest, id)?.name,
  };
}
