import type { DetectionId } from '../model/alert.js';
import type { EventSource } from '../model/identity-event.js';
import type { Rng } from './random.js';

/** What to generate. Only `seed`, `identities`, `days` and `start` are required. */
export interface ScenarioParams {
  seed: number;
  /** Primary non-human identities (supporting ones such as Kubernetes nodes come on top). */
  identities: number;
  days: number;
  /** First day, ISO date or time (the day starts at 00:00 UTC). */
  start: string;
  /** Which attack episodes to plant: every variant, the variants expected to raise these ids, or none (`[]`). */
  attacks?: 'all' | DetectionId[];
  /** Average benign events per primary identity per day (default 40); each kind keeps its own shape. */
  eventsPerIdentityPerDay?: number;
  /** Attacks happen in the last this-many days (default 3, at most days - 1). */
  attackDays?: number;
  /** Plant benign changes (pool moves, rollouts, growth, weekend work) in the attack days (default true). */
  changes?: boolean;
}

/** The parameters with every default filled in: what the cache key and truth.json record. */
export type ResolvedParams = Required<ScenarioParams>;

/**
 * One labelled attack episode: what an alert must say to count as finding it.
 * An alert finds the episode when its detection id is one of `detections`, it names `identity` (or
 * one of `credentials`), and its firstSeen..lastSeen overlaps start..end (± the matcher's slack).
 */
export interface Episode {
  /** Stable within a scenario: `ep-03-rotated-still-used-deactivated-key`. */
  id: string;
  /** The catalogue variant this episode instantiates. */
  variant: string;
  title: string;
  /** Any one of these counts as detecting the episode. */
  detections: DetectionId[];
  source: EventSource;
  /** The identity id as the normaliser produces it for the attack events. */
  identity: string;
  /** Credential keys the attack events present (normalised `credential.key`), if any. */
  credentials: string[];
  start: string;
  end: string;
  /** Normalised event ids of the malicious events (CloudTrail eventID, Vault request id, …). */
  eventIds: string[];
  /** Ids of the set-up events that make the malicious ones malicious (a revocation, a key rotation). */
  contextEventIds: string[];
}

/**
 * A benign change planted in the evaluation days: ordinary operations that a detector must not page
 * on at medium or above (a runner pool moving, a rollout to a new region, traffic growth, weekend
 * work).
 */
export interface BenignChange {
  /** Stable within a scenario: `change-01-pool-move`. */
  id: string;
  kind: 'pool-move' | 'region-rollout' | 'traffic-growth' | 'weekend-deploy';
  title: string;
  /** Identity ids (as the normaliser names them) the change touches. */
  identities: string[];
  start: string;
}

/** The kinds of non-human identity the generator models. */
export type IdentityKind =
  | 'aws-app-role'
  | 'aws-ci-role'
  | 'aws-iam-user'
  | 'vault-k8s-sa'
  | 'vault-approle-ci'
  | 'k8s-sa'
  | 'github-bot'
  | 'okta-service-app'
  | 'agent'
  // supporting identities: present because the primary ones need them
  | 'aws-key-rotator'
  | 'aws-oidc-session'
  | 'aws-service'
  | 'k8s-node'
  | 'vault-operator';

/** When an identity is active, in its own local time. */
export type Schedule = 'always' | 'business' | 'batch' | 'deploy';

/** A generated identity, as the normaliser will name it. */
export interface IdentityProfile {
  /** `identity.id` of its events. */
  id: string;
  kind: IdentityKind;
  source: EventSource;
  name: string;
  schedule: Schedule;
  /** Offset of its local time from UTC, hours (business hours and batch times are local). */
  tzOffsetHours: number;
  environment?: string;
  /** Present to make the primary identities realistic (nodes issuing pod tokens, the key rotator). */
  support?: boolean;
}

/** A generated log file: JSON lines in one format, in time order. */
export interface ScenarioFile {
  /** Relative path; `.json.gz` CloudTrail files are written as gzip `{"Records": [...]}` documents. */
  name: string;
  format: EventSource;
  lines: string[];
}

/** A whole scenario in memory: files in replay order, the truth and the identities. */
export interface Scenario {
  params: ResolvedParams;
  files: ScenarioFile[];
  truth: Episode[];
  changes: BenignChange[];
  identities: IdentityProfile[];
}

/** What generation records besides the files. */
export interface ScenarioSummary {
  params: ResolvedParams;
  truth: Episode[];
  changes: BenignChange[];
  identities: IdentityProfile[];
  lines: number;
}

/** Where records go: the orchestrator buckets them by hour and format. */
export type Emit = (source: EventSource, t: number, record: Record<string, unknown>) => void;

/** Everything an identity needs to plan one day. */
export interface DayContext {
  day: number;
  /** 00:00 UTC of the day, ms. */
  dayStart: number;
  rng: Rng;
  emit: Emit;
  /** Benign volume multiplier (eventsPerIdentityPerDay / 40). */
  scale: number;
}

/** Something that happens at a time: a benign call, a session rotation, an attack step. */
export interface Activity {
  t: number;
  run: () => void;
}

/** An identity's behaviour: its profile and what it does on a given day. */
export interface Actor {
  profile: IdentityProfile;
  /** The day's activities (unsorted); state changes happen when they run, in time order. */
  plan(ctx: DayContext): Activity[];
}

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
