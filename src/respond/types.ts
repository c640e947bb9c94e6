import type { Alert } from '../model/alert.js';
import type { Severity } from '../model/severity.js';
import type { CallLimits } from './http.js';

/** The response actions, by the names playbooks use (CONTRACTS.md §5). */
export const ACTION_NAMES = [
  'vault.revoke-accessor',
  'vault.revoke-lease',
  'vault.disable-entity',
  'aws.deactivate-access-key',
  'aws.delete-access-key',
  'aws.detach-policy',
  'github.revoke-credential',
  'k8s.delete-token-secret',
  'k8s.scale-to-zero',
  'k8s.deny-all-network-policy',
  'notify.webhook',
  'review.related-identities',
] as const;
export type ActionName = (typeof ACTION_NAMES)[number];

/** Where a credential leaked, as the graph's finding says (no secret). */
export interface LeakLocation {
  repository: string;
  path: string;
  line: number;
}

/** A review task: every identity, credential and permission the graph links to the subject, with owners. */
export interface ReviewTask {
  subject: string;
  identities: Array<{ id: string; label: string; owners: string[]; via: string[] }>;
  credentials: Array<{ id: string; label: string; owners: string[] }>;
  permissions: Array<{ resource: string; access: string; actions: string[]; admin: boolean; via: string[] }>;
  truncated: boolean;
}

/**
 * What the store knows about an alert, gathered before planning so the planner does no I/O of its
 * own: the alert, its credential's graph node, exposure and risk, and the neighbourhood steps need.
 */
export interface Incident {
  alert: Alert;
  /** `credential:<join key>` when the graph knows the alert's credential. */
  credentialNode?: string | undefined;
  /** Every join key of that credential (`aws-key:…`, `sha256:…`). */
  credentialKeys?: string[] | undefined;
  /** `identity:<id>` of the alert's identity. */
  identityNode: string;
  exposure?: string | undefined;
  /** The identity's risk band at the last rescore. */
  riskBand?: Severity | undefined;
  /** Identities the credential belongs to (ids without the `identity:` prefix). */
  credentialOf: string[];
  /** Policies attached to the identity (`policy:` ids without the prefix: ARNs or names). */
  policies: string[];
  /** Workloads that run as the identity (names). */
  workloads: string[];
  /** Owners of the identity (owned-by). */
  owners: string[];
  leaks: LeakLocation[];
  /** The review task, computed on demand (it walks the graph). */
  review(): Promise<ReviewTask>;
}

/** One call a step makes, shown by `plan` exactly as `apply` sends it (secrets redacted). */
export interface PlannedCall {
  method: string;
  url: string;
  /** What is sent: JSON body, IAM Query parameters; tokens appear as redacted preview and fingerprint. */
  body?: unknown;
  note?: string;
}

/**
 * The thing a step acts on. `fields` is what the calls need (no secret: key ids, accessors,
 * names); `secret` is a credential that must be sent to the provider (GitHub revocation), held in
 * memory only: the ledger never stores it and the plan shows only its preview and fingerprint.
 */
export interface Subject {
  /** Stable text naming it (part of the step id): `AKIA… of svc-x`, `prod/deployment/api`. */
  key: string;
  fields: Record<string, string>;
  secret?: { value: string; preview: string; fingerprint: string } | undefined;
  /** The detector's key of the credential this step revokes, for the revocation feed. */
  revokes?: string | undefined;
}

/** What running a step did: `done` (changed something), `unchanged` (it already was so). */
export interface StepResult {
  outcome: 'done' | 'unchanged';
  /** The provider's answer, summarised (status, ids, state); never a secret. */
  answer: Record<string, unknown>;
  /** How to undo it, where an undo exists. */
  undo?: PlannedCall[] | undefined;
  /** A review task's content, a notification's payload. */
  output?: unknown;
}

/** The environment and limits every action runs with. */
export interface ActionRuntime {
  env: Readonly<Record<string, string | undefined>>;
  limits: CallLimits;
  cwd: string;
  /** Called on each retry, for the audit trail. */
  onRetry?: ((attempt: number, error: unknown, waitMs: number) => void) | undefined;
  /** Used by notify.webhook to describe the response. */
  incident: Incident;
  plan: { playbook: string; steps: string[] };
}

/** A subject could not be found: the step is planned but cannot run, and says why. */
export interface Missing {
  missing: string;
}

/** One action: where its subject comes from, the exact calls, and how it runs. */
export interface Action {
  name: ActionName;
  /** One line for `plan` and the README. */
  describe: string;
  /** The subjects of a step (one per key, access key, secret…) from the incident and `with`, or why there is none. */
  subjects(
    incident: Incident,
    options: Record<string, unknown>,
    runtime: Pick<ActionRuntime, 'env' | 'cwd'>,
  ): Promise<Subject[] | Missing>;
  /** The calls `run` makes, for the plan; no I/O. */
  calls(subject: Subject, options: Record<string, unknown>, env: ActionRuntime['env']): PlannedCall[];
  run(subject: Subject, options: Record<string, unknown>, runtime: ActionRuntime): Promise<StepResult>;
}

/** A step's persisted state: what makes a crash resumable and `apply` idempotent. */
export type StepStatus = 'running' | 'done' | 'failed';

export interface StepRecord {
  id: string;
  alertUid: string;
  playbookId: string;
  position: number;
  action: ActionName;
  subject: string;
  status: StepStatus;
  approvedBy: string;
  result?: unknown;
  undo?: PlannedCall[] | undefined;
  error?: string | undefined;
  updatedAt: number;
}

/** One audit trail entry: appended before and after each step, never changed. */
export interface AuditEntry {
  at: number;
  /** Who approved: `cli:alice`, `token:oncall`, or `automatic`. */
  actor: string;
  /** The step's action (`aws.deactivate-access-key`). */
  action: string;
  /** `response.step.before`, `response.step.after`, `response.step.skipped`. */
  event: string;
  /** The alert uid. */
  target: string;
  outcome: string;
  /** Groups the entries of one apply. */
  ref: string;
  detail: Record<string, unknown>;
}

/**
 * Where step state and the audit trail live (the store implements it: src/store/respond.ts). Kept
 * narrow so the service-wide audit trail can take `audit` without the engine changing.
 */
export interface ResponseLedger {
  getStep(id: string): Promise<StepRecord | undefined>;
  putStep(step: StepRecord): Promise<void>;
  audit(entry: AuditEntry): Promise<void>;
  /** Tells the detector a credential was revoked (its key as the detector knows it), so reuse alerts at once. */
  revoked(credentialKey: string, at: number): Promise<void>;
}
