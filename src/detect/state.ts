/**
 * Per-identity and per-credential state: what the detections remember. Bounded by construction
 * (every set is capped and forgets its least recently seen entries) and serialisable as plain JSON so
 * the store can keep it between runs.
 */

/** What a free slot of `Recent.times` holds: no comparison with a time is true of it. */
const FREE = Number.NaN;
/** The times of a set that never held a key (never written: the first key replaces it). */
const NO_TIMES: number[] = [];

/**
 * A capped set of values with the time each was last seen; the oldest go first when full.
 *
 * The times live in a plain array of doubles, the map holding each key's slot in it: touching a
 * known key (the hot path, several times per event) is one map lookup and a store into the array.
 * A map of key → time stored a fresh heap number on every touch (times in ms do not fit a small
 * integer), garbage that reached the old generation because the map lives there.
 */
export class Recent {
  /** Key → slot in `times`, in insertion order (the order keys(), toJSON and ties in eviction use). */
  private readonly map: Map<string, number>;
  /**
   * Times by slot, slots [0, used) handed out. The array's length is its capacity, doubled as it fills
   * (a pushed array grows by half plus 16, so a set of one key held 17 doubles; most sets are small).
   */
  private times: number[] = NO_TIMES;
  private used = 0;
  /** Slots of evicted keys, reused by the next insertion (made at the first eviction). */
  private free: number[] | undefined;
  /** The key inserted last and its slot (undefined after it is evicted). */
  private lastKey: string | undefined;
  private lastSlot = 0;
  constructor(
    readonly cap: number,
    entries?: Array<[string, number]>,
  ) {
    this.map = new Map();
    // As `new Map(entries)` read them: a repeated key keeps its first position and its last time.
    for (const entry of entries ?? []) {
      if (entry === null || (typeof entry !== 'object' && typeof entry !== 'function'))
        throw new TypeError(`Iterator value ${String(entry)} is not an entry object`);
      const key = entry[0];
      const slot = this.map.get(key);
      if (slot !== undefined) this.times[slot] = entry[1];
      else this.map.set(key, this.append(entry[1]));
    }
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
  get size(): number {
    return this.map.size;
  }
  /** Last-seen time of a key, or undefined. */
  get(key: string): number | undefined {
    const slot = this.map.get(key);
    return slot === undefined ? undefined : this.times[slot];
  }
  touch(key: string, ms: number): void {
    // The key inserted last (today, an identity's one network or region) skips the map. Only the map's
    // own key object is kept: remembering the caller's string on every hit kept a copy of it alive
    // per set (3 MiB of heap on the bench estate).
    const slot = key === this.lastKey ? this.lastSlot : this.map.get(key);
    if (slot !== undefined) {
      // Updating in place is the hot path (most touches are of known keys); order is not kept, so
      // eviction looks for the oldest when the set is full, which is rare.
      if (ms > this.times[slot]!) this.times[slot] = ms;
      return;
    }
    if (this.map.size >= this.cap) this.evictOldest();
    if (ms < this.insertedMin) this.insertedMin = ms;
    const reuse = this.free?.pop();
    let at: number;
    if (reuse === undefined) at = this.append(ms);
    else {
      at = reuse;
      this.times[at] = ms;
    }
    this.map.set(key, at);
    this.lastKey = key;
    this.lastSlot = at;
  }
  /** A new slot holding `ms`, growing the array to twice its size when it is full. */
  private append(ms: unknown): number {
    if (this.used === this.times.length) {
      const grown: number[] = new Array(Math.max(2, this.used * 2));
      for (let i = 0; i < this.used; i++) grown[i] = this.times[i]!;
      this.times = grown;
    }
    this.times[this.used] = ms as number;
    return this.used++;
  }
  /**
   * Candidates for eviction, oldest first, from the last scan of a full set (an eighth of the set), and
   * the oldest time inserted since that scan. Times only grow for keys already present, so the first
   * candidate still at its scanned time is the oldest of the set unless a newer insertion is older
   * still; then, or when the candidates run out, the set is scanned again. The same entry goes as with
   * a scan per eviction (ties: the first in iteration order), at a scan per eighth of the set.
   */
  private candidates: Array<[string, number]> | undefined;
  private next = 0;
  private insertedMin = Number.POSITIVE_INFINITY;

  private remove(key: string): void {
    const slot = this.map.get(key);
    if (slot === undefined) return;
    this.map.delete(key);
    if (key === this.lastKey) this.lastKey = undefined;
    this.times[slot] = FREE;
    if (this.free === undefined) this.free = [slot];
    else this.free.push(slot);
  }

  private evictOldest(): void {
    const queue = this.candidates ?? [];
    while (this.next < queue.length) {
      const [k, t] = queue[this.next]!;
      if (this.get(k) !== t) {
        this.next++;
        continue;
      }
      if (t > this.insertedMin) break;
      this.next++;
      this.remove(k);
      return;
    }
    const all = this.toJSON();
    // A stable sort keeps iteration order among equal times, as the scan it replaces did.
    all.sort((a, b) => a[1] - b[1]);
    this.candidates = all.slice(0, Math.max(1, this.cap >> 3));
    this.insertedMin = Number.POSITIVE_INFINITY;
    this.next = 1;
    const first = this.candidates[0];
    if (first !== undefined) this.remove(first[0]);
  }
  keys(): IterableIterator<string> {
    return this.map.keys();
  }
  /** Keys seen at or after `sinceMs`. */
  countSince(sinceMs: number): number {
    // Free slots hold NaN, which no comparison counts.
    const times = this.times;
    let n = 0;
    for (let i = 0; i < this.used; i++) if (times[i]! >= sinceMs) n++;
    return n;
  }
  toJSON(): Array<[string, number]> {
    const out: Array<[string, number]> = [];
    for (const [k, slot] of this.map) out.push([k, this.times[slot]!]);
    return out;
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
 * Fills a fresh object with what `toJSON` saved: a Recent or Latest field is rebuilt with the fresh
 * field's capacity (an empty one stays the fresh one, which may be a shared empty set), any other field
 * is taken when its type matches the fresh default, and fields the object no longer has are dropped.
 * Slices of detections and the shared cores are restored this way, so a slice restored from a
 * snapshot of an older version (one flat object per identity) simply picks the fields it knows.
 */
export function restoreFields<T extends object>(fresh: T, o: Record<string, unknown>): T {
  const fields = fresh as unknown as Record<string, unknown>;
  for (const k of Object.keys(fields)) {
    if (k === 'slices' || !Object.hasOwn(o, k)) continue;
    const v = o[k];
    const current = fields[k];
    if (current instanceof Recent) {
      if (Array.isArray(v) && (v.length > 0 || current.size > 0))
        fields[k] = new Recent(current.cap, v as Array<[string, number]>);
    } else if (current instanceof Latest) {
      if (Array.isArray(v)) fields[k] = new Latest(current.cap, v as Array<[string, string]>);
    } else if (current === null ? typeof v === 'object' : current !== undefined && typeof current === typeof v) {
      if (Array.isArray(current) === Array.isArray(v)) fields[k] = v;
    }
  }
  return fresh;
}

/**
 * The shared core of an identity: what the engine, eviction and several detections read. Everything
 * else an identity remembers lives in the slices of the detections that need it (`slices`, in the
 * order of the detector's list; see engine.ts).
 */
export class IdentityCore {
  first = 0;
  last = 0;
  events = 0;
  /** Days (epoch day numbers) on which the identity was active, for "how long have we known it". */
  activeDays = new Recent(64);
  /**
   * How the identity authenticates: events that presented a token (programmatic access) and events
   * of a person at work (a sign-in, a browser, a web action with no token). A machine user is a
   * `user` in GitHub's log; its usage, all tokens and no web sessions, says what it is.
   */
  programmatic = 0;
  interactive = 0;
  /**
   * Networks the identity used (generalised, see features.ts networkOf): new-source judges novelty
   * against them, failures-then-success a success from a network never used, novelty its fleet.
   */
  nets = new Recent(64);
  /** Resources the identity touched (features.ts resourceKey): resource-mismatch, and novelty's secret reads. */
  resources = new Recent(256);
  /** The detections' slices, by position in the detector's list; not part of the core's JSON. */
  slices: unknown[] = [];

  toJSON(): Record<string, unknown> {
    const { slices: _, ...rest } = this;
    return rest;
  }
}

/** The shared core of a credential (by the key runtime logs name it with): lifecycle, holder, days of use. */
export class CredentialCore {
  first = 0;
  last = 0;
  /**
   * Another name the provider uses for this credential in lifecycle events (the parsers'
   * credential.alias: GitHub names a token by its `token_id` when it is created or revoked).
   */
  alias = '';
  /** The identity that last presented it (a revoked token's later use is logged with no identity). */
  holder: { id: string; type: string; name?: string } | null = null;
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
  /** Days of use (eviction forgets credentials used on one day only first) and the day last counted. */
  today = 0;
  usedDays = 0;
  /** The detections' credential slices, by position; not part of the core's JSON. */
  slices: unknown[] = [];

  toJSON(): Record<string, unknown> {
    const { slices: _, ...rest } = this;
    return rest;
  }
}
