/**
 * Per-identity and per-credential state: what the detections remember. Bounded by construction
 * (every set is capped and forgets its least recently seen entries) and serialisable as plain JSON so
 * the store can keep it between runs.
 */

/** A capped set of values with the time each was last seen; the oldest go first when full. */
export class Recent {
  private readonly map: Map<string, number>;
  constructor(
    readonly cap: number,
    entries?: Array<[string, number]>,
  ) {
    this.map = new Map(entries ?? []);
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
  get size(): number {
    return this.map.size;
  }
  /** Last-seen time of a key, or undefined. */
  get(key: string): number | undefined {
    return this.map.get(key);
  }
  touch(key: string, ms: number): void {
    const seen = this.map.get(key);
    if (seen !== undefined) {
      // Updating in place is the hot path (most touches are of known keys); order is not kept, so
      // eviction looks for the oldest when the set is full, which is rare.
      if (ms > seen) this.map.set(key, ms);
      return;
    }
    if (this.map.size >= this.cap) {
      let oldest: string | undefined;
      let oldestMs = Number.POSITIVE_INFINITY;
      for (const [k, t] of this.map) {
        if (t < oldestMs) {
          oldestMs = t;
          oldest = k;
        }
      }
      if (oldest !== undefined) this.map.delete(oldest);
    }
    this.map.set(key, ms);
  }
  keys(): IterableIterator<string> {
    return this.map.keys();
  }
  /** Keys seen at or after `sinceMs`. */
  countSince(sinceMs: number): number {
    let n = 0;
    for (const t of this.map.values()) if (t >= sinceMs) n++;
    return n;
  }
  toJSON(): Array<[string, number]> {
    return [...this.map];
  }
}

/** A capped map of the latest value per key (the previous tool of each agent trace). */
export class Latest {
  private readonly map: Map<string, string>;
  constructor(
    readonly cap: number,
    entries?: Array<[string, string]>,
  ) {
    this.map = new Map(entries ?? []);
  }
  get(key: string): string | undefined {
    return this.map.get(key);
  }
  set(key: string, value: string): void {
    this.map.delete(key);
    if (this.map.size >= this.cap) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
    this.map.set(key, value);
  }
  toJSON(): Array<[string, string]> {
    return [...this.map];
  }
}

/**
 * Fills a fresh state with what `toJSON` saved: a Recent or Latest field is rebuilt with the fresh
 * field's capacity, any other field is taken when its type matches the fresh default, and fields the
 * state no longer has are dropped.
 */
/**
 * Empty sets shared by every credential until it writes to one: tens of thousands of short-lived
 * credentials (STS sessions, Vault tokens, pod tokens) never need all three of their sets, and three
 * Maps each cost more than the rest of the credential.
 */
const NO_IDENTITIES = new Recent(8);
const NO_WORKLOADS = new Recent(32);
const NO_ADDRESSES = new Recent(8);
const SHARED_EMPTY = new Set<Recent>([NO_IDENTITIES, NO_WORKLOADS, NO_ADDRESSES]);

function restore<T extends IdentityState | CredentialState>(s: T, o: Record<string, unknown>): T {
  const fields = s as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) {
    const current = fields[k];
    if (current instanceof Recent && Array.isArray(v)) {
      // An empty set stays the shared empty one (see CredentialState.own).
      if (v.length > 0 || !SHARED_EMPTY.has(current)) fields[k] = new Recent(current.cap, v as Array<[string, number]>);
    } else if (current instanceof Latest && Array.isArray(v)) {
      fields[k] = new Latest(current.cap, v as Array<[string, string]>);
    } else if (current !== undefined && typeof current === typeof v) {
      fields[k] = v;
    }
  }
  return s;
}

/** Everything remembered about one identity. */
export class IdentityState {
  first = 0;
  last = 0;
  events = 0;
  nets = new Recent(64);
  regions = new Recent(16);
  agents = new Recent(32);
  resources = new Recent(256);
  actions = new Recent(256);
  /** Privilege-changing actions with their target (`iam:AttachRolePolicy arn:…`), and without. */
  privileged = new Recent(128);
  namespaces = new Recent(64);
  workloads = new Recent(128);
  tools = new Recent(128);
  bigrams = new Recent(512);
  destinations = new Recent(128);
  /** Event counts per hour of the week (UTC). */
  hours: number[] = new Array(168).fill(0);
  /**
   * Activity not yet in `hours`: committed two hours late, so a login at 03:00 does not make 03:00
   * "normal" for the secret read that follows it a minute later.
   */
  hoursPending: Array<[number, number]> = [];
  /** Days (epoch day numbers) on which the identity was active, for "how long have we known it". */
  activeDays = new Recent(64);
  /** Five-minute rate buckets: the open bucket and a slowly decaying peak of closed ones. */
  bucketStart = 0;
  bucketCount = 0;
  bucketAlerted = false;
  peak = 0;
  closedBuckets = 0;
  /** The last closed bucket, committed to the peak one bucket later (a burst's first bucket must not raise its own bar). */
  pendingBucket = 0;
  pendingBucketAlerted = false;
  /** Recent failures (time, network) for failure-then-success, and the largest burst seen while normal. */
  failures: Array<[number, string]> = [];
  failBurstPeak = 0;
  /** Recent (time, network) for "many networks at once", and the largest count of them seen while normal. */
  recentNets = new Recent(64);
  netsAtOncePeak = 0;
  /** Counts of networks at once waiting one window before they may raise the peak. */
  netsPending: Array<[number, number]> = [];
  /** Agent chains: last tool per trace or session, and a recent secret read. */
  lastTool = new Latest(64);
  secretReadAt = 0;
  secretReadTrace = '';
  /**
   * How the identity authenticates: events that presented a token (programmatic access) and events
   * of a person at work (a sign-in, a browser, a web action with no token). A machine user is a
   * `user` in GitHub's log; its usage, all tokens and no web sessions, says what it is.
   */
  programmatic = 0;
  interactive = 0;

  toJSON(): object {
    return { ...this };
  }

  static fromJSON(o: Record<string, unknown>): IdentityState {
    return restore(new IdentityState(), o);
  }
}

/** Everything remembered about one credential (by the key runtime logs name it with). */
export class CredentialState {
  first = 0;
  last = 0;
  identities: Recent = NO_IDENTITIES;
  workloads: Recent = NO_WORKLOADS;
  /**
   * Another name the provider uses for this credential in lifecycle events: GitHub logs a token's
   * `hashed_token` when it is used but only its `token_id` when it is created or revoked.
   */
  alias = '';
  /** The identity that last presented it (a revoked token's later use is logged with no identity). */
  holder: { id: string; type: string; name?: string } | null = null;
  /** Source addresses, exactly: a workload-bound token (Kubernetes JTI) comes from one pod address. */
  addresses: Recent = NO_ADDRESSES;

  /** The credential's own set for writing, made on first write (reads of the shared empty ones are fine). */
  own(field: 'identities' | 'workloads' | 'addresses'): Recent {
    const current = this[field];
    if (!SHARED_EMPTY.has(current)) return current;
    const fresh = new Recent(current.cap);
    this[field] = fresh;
    return fresh;
  }
  /** Lifecycle, from issuance, deactivation, deletion and revocation events. */
  issuedAt = 0;
  expiresAt = 0;
  noExpiry = false;
  revokedAt = 0;
  deactivatedAt = 0;
  /** A newer credential of the same identity was issued at this time (rotation). */
  replacedAt = 0;
  /** The identity the credential belongs to, when a lifecycle event said so. */
  owner = '';
  /** Distinct minutes of use per day, for "alive for months, used minutes a day". */
  minutesToday = 0;
  today = 0;
  lastMinute = 0;
  usedDays = 0;
  usedMinutes = 0;
  idleAlertedDay = 0;

  toJSON(): object {
    return { ...this };
  }

  static fromJSON(o: Record<string, unknown>): CredentialState {
    return restore(new CredentialState(), o);
  }
}
