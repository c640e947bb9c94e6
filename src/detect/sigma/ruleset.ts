/**
 * A compiled Sigma rule set over a stream: rules indexed by log source and by one required field value
 * (most cloud rules name an `eventName`, `verb` or `action`), so a record is checked only against the
 * rules whose required value it carries plus the few that require none. Correlation rules keep bounded
 * per-group windows.
 */
import type { IdentityEvent } from '../../model/identity-event.js';
import { isoMs } from '../../model/time.js';
import { asText } from './match.js';
import { fieldOf, groupText, type LoadedRules, type SigmaCorrelation, type SigmaRule, type SigmaSource } from './rule.js';

/** The Sigma source of a parsed event's raw record. */
export const SOURCE_OF_EVENT: Partial<Record<IdentityEvent['source'], SigmaSource>> = {
  cloudtrail: 'cloudtrail',
  okta: 'okta',
  'github-audit': 'github-audit',
  'k8s-audit': 'k8s-audit',
};

/** A rule or correlation that matched, with the events behind it (oldest first). */
export interface SigmaMatch {
  rule: SigmaRule | SigmaCorrelation;
  events: IdentityEvent[];
}

interface SourceIndex {
  /** field → lower-cased value → rules requiring it. */
  byField: Map<string, Map<string, SigmaRule[]>>;
  /** `byField` as an array, in the map's order: walked per record with no iterator. */
  fields: Array<[string, Map<string, SigmaRule[]>]>;
  unindexed: SigmaRule[];
}

const MAX_GROUPS = 10_000;
const MAX_EVENTS_PER_GROUP = 10_000;
const EVIDENCE = 5;

interface Group {
  /** event_count: times; value_count: value → last time; temporal: rule index → last time. */
  times: number[];
  values: Map<string, number>;
  seen: Map<number, number>;
  /** temporal_ordered: the times of the steps matched so far. */
  chain: number[];
  events: IdentityEvent[];
}

/** A correlation's open window for one group, as a snapshot keeps it. */
export interface SavedGroup {
  times: number[];
  values: Array<[string, number]>;
  seen: Array<[number, number]>;
  chain: number[];
  events: IdentityEvent[];
}

/** Open correlation windows by correlation id, then by group key: what a detector snapshot keeps of Sigma. */
export type SigmaSavedState = Array<[string, Array<[string, SavedGroup]>]>;

export interface SigmaRuleSet {
  readonly rules: readonly SigmaRule[];
  readonly correlations: readonly SigmaCorrelation[];
  readonly unsupported: LoadedRules['unsupported'];
  /** Rules checked in full so far (after the prefilter): a measure of what the index saves. */
  readonly checks: number;
  /**
   * Evaluates one event (and its raw record, when it has one and it was not evaluated before):
   * returns the rules and correlations that fire. `shared` false says the record belongs to this
   * event alone (it became one event), so it need not be remembered as evaluated.
   */
  evaluate(e: IdentityEvent, raw: unknown, now: number, shared?: boolean): SigmaMatch[];
  /**
   * Whether a rule of the event's log source matches its raw record, the record alone (no correlation
   * state is read or changed): a record that matches none can be let go before the event is queued.
   */
  matchesRecord(e: IdentityEvent, raw: unknown): boolean;
  /** The rule or correlation with this id, if the set has one (episodes restored from a snapshot name theirs by id). */
  byId(id: string): SigmaRule | SigmaCorrelation | undefined;
  /** The open correlation windows, for a detector snapshot. */
  snapshot(): SigmaSavedState;
  /** Reopens saved windows; those of correlations the set no longer has are dropped. */
  restore(state: SigmaSavedState): void;
}

function buildIndex(rules: readonly SigmaRule[]): Map<SigmaSource, SourceIndex> {
  const out = new Map<SigmaSource, SourceIndex>();
  for (const r of rules) {
    let idx = out.get(r.source);
    if (idx === undefined) {
      idx = { byField: new Map(), fields: [], unindexed: [] };
      out.set(r.source, idx);
    }
    if (r.requires === undefined) {
      idx.unindexed.push(r);
      continue;
    }
    let byValue = idx.byField.get(r.requires.field);
    if (byValue === undefined) {
      byValue = new Map();
      idx.byField.set(r.requires.field, byValue);
    }
    for (const v of r.requires.values) {
      const list = byValue.get(v);
      if (list === undefined) byValue.set(v, [r]);
      else if (!list.includes(r)) list.push(r);
    }
  }
  for (const idx of out.values()) idx.fields = [...idx.byField];
  return out;
}

/** Adds the rules requiring one value (lower-cased) to the candidates, once each, in order. */
function addRequiring(byValue: Map<string, SigmaRule[]>, x: unknown, out: SigmaRule[]): SigmaRule[] {
  const t = asText(x);
  if (t === undefined) return out;
  const rules = byValue.get(t.toLowerCase());
  if (rules === undefined) return out;
  for (const r of rules) if (!out.includes(r)) out.push(r);
  return out;
}

/**
 * The rules a record must be checked against: the unindexed ones, then those whose required value it
 * carries, each once, in that order. The unindexed list itself is handed back when nothing is added
 * (the caller only reads it).
 */
function candidates(idx: SourceIndex, record: unknown): readonly SigmaRule[] {
  let out = idx.unindexed;
  let copied = false;
  const fields = idx.fields;
  for (let f = 0; f < fields.length; f++) {
    const [field, byValue] = fields[f]!;
    const v = fieldOf(record, field);
    if (Array.isArray(v)) {
      for (const x of v) {
        if (!copied) {
          const t = asText(x);
          if (t === undefined || !byValue.has(t.toLowerCase())) continue;
          out = [...out];
          copied = true;
        }
        addRequiring(byValue, x, out);
      }
    } else {
      if (!copied) {
        const t = asText(v);
        if (t === undefined || !byValue.has(t.toLowerCase())) continue;
        out = [...out];
        copied = true;
      }
      addRequiring(byValue, v, out);
    }
  }
  return out;
}

const NO_CORRELATIONS: readonly SigmaCorrelation[] = [];

/**
 * Builds the streaming evaluator of a loaded rule set: compiled once, used for every event.
 * @example const set = createSigmaRuleSet(loadSigmaRules(['rules/detections'])); set.evaluate(event, record, Date.parse(event.time))
 */
export function createSigmaRuleSet(loaded: LoadedRules): SigmaRuleSet {
  const index = buildIndex(loaded.rules);
  const correlationsOf = new Map<SigmaRule, SigmaCorrelation[]>();
  for (const c of loaded.correlations) {
    for (const r of c.rules) {
      const list = correlationsOf.get(r);
      if (list === undefined) correlationsOf.set(r, [c]);
      else list.push(c);
    }
  }
  const groups = new Map<SigmaCorrelation, Map<string, Group>>();
  /** Raw records already evaluated: a record that became several events is matched once. */
  const done = new WeakSet<object>();
  let checks = 0;

  function groupKey(c: SigmaCorrelation, rule: SigmaRule, record: unknown): string {
    return c.groupBy
      .map((g) => {
        const field = c.aliases[g]?.[rule.id] ?? g;
        return groupText(fieldOf(record, field));
      })
      .join('\u0000');
  }

  function passes(c: SigmaCorrelation, n: number): boolean {
    const v = c.condition.value;
    switch (c.condition.op) {
      case 'gt':
        return n > v;
      case 'gte':
        return n >= v;
      case 'lt':
        return n < v;
      case 'lte':
        return n <= v;
      case 'eq':
        return n === v;
    }
  }

  function correlate(
    c: SigmaCorrelation,
    rule: SigmaRule,
    record: unknown,
    e: IdentityEvent,
    now: number,
  ): SigmaMatch | undefined {
    let byGroup = groups.get(c);
    if (byGroup === undefined) {
      byGroup = new Map();
      groups.set(c, byGroup);
    }
    const key = groupKey(c, rule, record);
    let g = byGroup.get(key);
    if (g === undefined) {
      if (byGroup.size >= MAX_GROUPS) byGroup.delete(byGroup.keys().next().value as string);
      g = { times: [], values: new Map(), seen: new Map(), chain: [], events: [] };
      byGroup.set(key, g);
    }
    const from = now - c.timespanMs;
    g.events = g.events.filter((x) => isoMs(x.time) >= from);
    g.events.push(e);
    if (g.events.length > EVIDENCE) g.events.shift();
    let fired = false;
    switch (c.type) {
      case 'event_count': {
        g.times = g.times.filter((t) => t >= from);
        if (g.times.length < MAX_EVENTS_PER_GROUP) g.times.push(now);
        fired = passes(c, g.times.length);
        break;
      }
      case 'value_count': {
        for (const [v, t] of g.values) if (t < from) g.values.delete(v);
        const field = c.aliases[c.condition.field!]?.[rule.id] ?? c.condition.field!;
        const v = groupText(fieldOf(record, field));
        if (v !== '' && (g.values.size < MAX_EVENTS_PER_GROUP || g.values.has(v))) g.values.set(v, now);
        fired = passes(c, g.values.size);
        break;
      }
      case 'temporal': {
        for (const [i, t] of g.seen) if (t < from) g.seen.delete(i);
        g.seen.set(c.rules.indexOf(rule), now);
        fired = passes(c, g.seen.size);
        break;
      }
      case 'temporal_ordered': {
        const step = c.rules.indexOf(rule);
        if (g.chain.length > 0 && g.chain[0]! < from) g.chain = [];
        if (step === 0) {
          g.chain = [now];
          g.events = [e];
        } else if (g.chain.length === step) g.chain.push(now);
        fired = g.chain.length === c.rules.length;
        break;
      }
    }
    // Lower-bound conditions (gt/gte) fire once when crossed, then the window starts again.
    if (!fired) return undefined;
    const events = g.events;
    byGroup.delete(key);
    return { rule: c, events };
  }

  /** Checks a record (or event) against the rules of one source, appending what fires to `out`. */
  function run(idx: SourceIndex | undefined, record: unknown, e: IdentityEvent, now: number, out: SigmaMatch[]): void {
    if (idx === undefined) return;
    const rules = candidates(idx, record);
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      checks++;
      let hit = false;
      try {
        hit = r.match(record);
      } catch {
        hit = false;
      }
      if (!hit) continue;
      if (r.generate) out.push({ rule: r, events: [e] });
      for (const c of correlationsOf.get(r) ?? NO_CORRELATIONS) {
        const m = correlate(c, r, record, e, now);
        if (m !== undefined) out.push(m);
      }
    }
  }

  const identityIndex = index.get('identity');

  function evaluate(e: IdentityEvent, raw: unknown, now: number, shared = true): SigmaMatch[] {
    const out: SigmaMatch[] = [];
    const source = SOURCE_OF_EVENT[e.source];
    if (source !== undefined && raw !== null && typeof raw === 'object') {
      // A record only one event holds is seen once whatever `done` says; one shared by several is
      // remembered, so it is matched with the first of them only.
      if (!shared) run(index.get(source), raw, e, now, out);
      else if (!done.has(raw)) {
        done.add(raw);
        run(index.get(source), raw, e, now, out);
      }
    }
    run(identityIndex, e, e, now, out);
    return out;
  }

  function matchesRecord(e: IdentityEvent, raw: unknown): boolean {
    const source = SOURCE_OF_EVENT[e.source];
    const idx = source === undefined ? undefined : index.get(source);
    if (idx === undefined || raw === null || typeof raw !== 'object') return false;
    const rules = candidates(idx, raw);
    for (let i = 0; i < rules.length; i++) {
      try {
        if (rules[i]!.match(raw)) return true;
      } catch {
        // a rule that throws on this record does not match it, as in `run`
      }
    }
    return false;
  }

  const byId = new Map<string, SigmaRule | SigmaCorrelation>();
  for (const r of loaded.rules) byId.set(r.id, r);
  for (const c of loaded.correlations) byId.set(c.id, c);

  function snapshot(): SigmaSavedState {
    const out: SigmaSavedState = [];
    for (const [c, byGroup] of groups) {
      if (byGroup.size === 0) continue;
      const list: Array<[string, SavedGroup]> = [];
      for (const [key, g] of byGroup) {
        list.push([
          key,
          { times: [...g.times], values: [...g.values], seen: [...g.seen], chain: [...g.chain], events: [...g.events] },
        ]);
      }
      out.push([c.id, list]);
    }
    return out;
  }

  function restore(state: SigmaSavedState): void {
    if (!Array.isArray(state)) return;
    for (const entry of state) {
      if (!Array.isArray(entry) || !Array.isArray(entry[1])) continue;
      const c = byId.get(String(entry[0]));
      if (c === undefined || c.kind !== 'correlation') continue;
      let byGroup = groups.get(c);
      if (byGroup === undefined) {
        byGroup = new Map();
        groups.set(c, byGroup);
      }
      for (const [key, g] of entry[1]) {
        if (byGroup.size >= MAX_GROUPS) break;
        byGroup.set(String(key), {
          times: Array.isArray(g?.times) ? g.times.slice(0, MAX_EVENTS_PER_GROUP) : [],
          values: new Map(Array.isArray(g?.values) ? g.values.slice(0, MAX_EVENTS_PER_GROUP) : []),
          seen: new Map(Array.isArray(g?.seen) ? g.seen : []),
          chain: Array.isArray(g?.chain) ? g.chain : [],
          events: Array.isArray(g?.events) ? g.events.slice(-EVIDENCE) : [],
        });
      }
    }
  }

  return {
    rules: loaded.rules,
    correlations: loaded.correlations,
    unsupported: loaded.unsupported,
    get checks() {
      return checks;
    },
    evaluate,
    matchesRecord,
    byId: (id) => byId.get(id),
    snapshot,
    restore,
  };
}
