import type { Severity } from '../model/severity.js';

/*
 * What the identity graph knows about one identity, gathered in one place so risk scoring
 * (risk.ts) and graph posture (posture.ts) are pure functions over plain data. The store builds
 * profiles from graph_nodes / graph_edges / alerts (src/store/graph-query.ts); tests build them by hand.
 * Times are epoch milliseconds.
 */

/** Where a leaked secret was found, and how exposed that place is. */
export interface LeakLocation {
  repository: string;
  /** Public repositories are exposed to everyone; private ones to every reader and every clone. */
  visibility: 'public' | 'private' | 'unknown';
  path: string;
  line: number;
  /** The commit that introduced it (history scans); absent for a working-tree scan. */
  commit?: string | undefined;
  /** True when only history holds it (a git scan found it, and the working tree no longer does). */
  historyOnly: boolean;
  /** When the secret was exposed: the introducing commit's date, else when the scan found it. */
  exposedAt: number;
  findingId: string;
  ruleId: string;
  severity: Severity;
}

/** One place a credential was used from (a workload, else a network address). */
export interface CredentialSource {
  /** Graph node id: `workload:…` or `network:…`. */
  source: string;
  firstSeen: number;
  lastSeen: number;
  count: number;
  /**
   * Not the owner's: first used from here after the leak was exposed, from another network than
   * every source used before it (another /24 or /64, another workload), or named by a new-source alert.
   */
  unknown: boolean;
  /** The detector agrees: a new-source alert names this source for this credential. */
  confirmed?: boolean | undefined;
}

export type ExposureStatus =
  | 'not-leaked'
  | 'leaked-never-seen'
  | 'leaked-in-use-by-owner'
  | 'leaked-in-use-unknown-source'
  | 'leaked-revoked';

export interface CredentialProfile {
  /** Graph node id `credential:<join key>`. */
  id: string;
  /** Redacted preview or the key name the logs use; never a secret. */
  label: string;
  /** Credential type as the finding or the log names it (aws-access-key, vault-token, …). */
  type?: string | undefined;
  /** First and last time the graph saw it (issued, found or used). */
  firstSeen: number;
  lastSeen: number;
  /** When a log said it was issued, if one did. */
  issuedAt?: number | undefined;
  expiresAt?: number | undefined;
  revokedAt?: number | undefined;
  leaks: LeakLocation[];
  sources: CredentialSource[];
  exposure: ExposureStatus;
  /** Long-term by nature (AWS AKIA keys, PATs, static tokens) rather than issued per session. */
  longLived: boolean;
}

/** A grant: what the identity may do on a resource, directly or through a policy or an assumed role. */
export interface Grant {
  /** Resource node id, e.g. `resource:*`, `resource:arn:aws:s3:::bucket/*`, `resource:k8s:*\/secrets`. */
  resource: string;
  /** Actions as written (wildcards kept): `s3:GetObject`, `iam:*`, `get`, `read`. */
  actions: string[];
  /** Admin-equivalent (`*` on `*`, iam:*, cluster-admin, Vault `sudo` on everything). */
  admin: boolean;
  /** Node ids on the way: the policy, the role assumed. Empty for a direct grant. */
  via: string[];
}

export interface IdentityProfile {
  /** Graph node id `identity:<stable id>`. */
  id: string;
  label: string;
  /** Identity type as the logs name it (service-account, iam-user, iam-role, user, …); 'unknown' when only IaC named it. */
  type: string;
  firstSeen: number;
  lastSeen: number;
  /** Last time a log showed it acting (not just declared). Undefined when it was never seen acting. */
  lastActive?: number | undefined;
  /** Owners from tags, labels or the policy manifest (owner node labels). */
  owners: string[];
  /** Workloads that run as it (workload node ids). */
  workloads: string[];
  /** Environments it was seen acting in (client.environment of its events). */
  environments: string[];
  credentials: CredentialProfile[];
  grants: Grant[];
  /** Actions it was seen performing, with counts. */
  actions: Array<{ action: string; count: number; lastSeen: number }>;
  /** Resources it was seen touching (resource node ids), with counts. */
  used: Array<{ resource: string; count: number; lastSeen: number }>;
  /** Identities it may assume (directly; node ids). */
  assumes: string[];
  /** Identities reachable through assume chains (transitively; node ids, this one excluded). */
  derivable: string[];
  /** Resources reachable directly or through assumed roles (resource node ids, `resource:*` when any). */
  reachable: string[];
  /** Open alerts on the identity or its credentials, by detection id, with the worst severity. */
  alerts: Array<{ uid: string; detectionId: string; severity: Severity; lastSeen: number }>;
  /**
   * People seen using its credentials: user agents of browsers and consoles, or a `user` identity
   * that authenticated with one of them. One entry per piece of evidence.
   */
  humanUse: string[];
}
