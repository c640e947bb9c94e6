import type { PlantRecord } from './corpus.js';

/** One reported location: a finding (with its rule) or a grep match (without). */
export interface Hit {
  path: string;
  line: number;
  ruleId?: string;
}

export interface Score {
  /** Reported locations, after merging several findings on one line. */
  hits: number;
  planted: number;
  /** Planted secrets with a hit on one of their lines. */
  found: number;
  /** Found by the rule the secret was made for (only for tools that share Warden's rule ids). */
  foundByOwnRule: number;
  decoys: number;
  decoysFlagged: number;
  /**
   * [count, flagged] for everyday look-alikes (documented examples, placeholders, hashes, UUIDs, public
   * keys): every scanner should pass them. Rule negatives are split off: they only promise that their own
   * rule stays quiet, so a hit by another rule is a conflict to look at rather than a certain false positive.
   */
  lookalikes: [number, number];
  negatives: [number, number];
  /** Hits that are neither at a planted secret nor at a decoy: noise in the clean text. */
  other: number;
  /** Per planted rule id: [planted, found]. */
  byRule: Record<string, [number, number]>;
  /** Decoy family (or "negative of <rule>") → times flagged, with the reporting rule when known. */
  decoyFlags: Record<string, number>;
  /** Rule id (or "match") → hits in clean text. */
  otherByRule: Record<string, number>;
  /** [planted, found] for secrets as the example wrote them and behind a host-file prefix. */
  asIs: [number, number];
  wrapped: [number, number];
  /** Rule id → planted secrets missed only in their wrapped form (the rule is anchored too tightly). */
  missedWrappedByRule: Record<string, number>;
  /** "planted rule → reporting rule" for secrets found only by a rule other than their own. */
  foundByOtherRule: Record<string, number>;
}

function bump(rec: Record<string, number>, key: string): void {
  rec[key] = (rec[key] ?? 0) + 1;
}

/**
 * Matches hits to the ground truth by file and line: a plant counts as found when a hit falls on any
 * of its lines (a PEM block is reported at its BEGIN line by some tools, at the body by others).
 * @example scorePlants(manifest.plants, [{ path: 'a/.env', line: 3, ruleId: 'secret.github.classic-pat' }])
 */
export function scorePlants(plants: readonly PlantRecord[], hits: readonly Hit[]): Score {
  const byPath = new Map<string, PlantRecord[]>();
  for (const p of plants) {
    const list = byPath.get(p.path);
    if (list) list.push(p);
    else byPath.set(p.path, [p]);
  }
  const found = new Set<PlantRecord>();
  const ownRule = new Set<PlantRecord>();
  const flagged = new Set<PlantRecord>();
  const s: Score = {
    hits: 0,
    planted: 0,
    found: 0,
    foundByOwnRule: 0,
    decoys: 0,
    decoysFlagged: 0,
    other: 0,
    byRule: {},
    decoyFlags: {},
    otherByRule: {},
    foundByOtherRule: {},
    asIs: [0, 0],
    wrapped: [0, 0],
    lookalikes: [0, 0],
    negatives: [0, 0],
    missedWrappedByRule: {},
  };
  const reportedBy = new Map<PlantRecord, Set<string>>();
  const seen = new Set<string>();
  for (const h of hits) {
    const key = `${h.path}\0${h.line}\0${h.ruleId ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    s.hits++;
    const p = byPath.get(h.path)?.find((x) => h.line >= x.line && h.line <= x.endLine);
    if (p === undefined) {
      bump(s.otherByRule, h.ruleId ?? 'match');
      s.other++;
    } else if (p.kind === 'secret') {
      found.add(p);
      if (h.ruleId === p.ruleId) ownRule.add(p);
      else if (h.ruleId !== undefined) reportedBy.set(p, (reportedBy.get(p) ?? new Set()).add(h.ruleId));
    } else {
      const family = p.label === 'rule-negative' ? `negative of ${p.ruleId}` : p.label;
      bump(s.decoyFlags, h.ruleId === undefined ? family : `${family} ← ${h.ruleId}`);
      flagged.add(p);
    }
  }
  for (const p of plants) {
    if (p.kind === 'decoy') {
      s.decoys++;
      const c = p.label === 'rule-negative' ? s.negatives : s.lookalikes;
      c[0]++;
      if (flagged.has(p)) c[1]++;
      continue;
    }
    s.planted++;
    const id = p.ruleId ?? p.label;
    s.byRule[id] ??= [0, 0];
    const r = s.byRule[id];
    r[0]++;
    if (found.has(p)) r[1]++;
    const c = p.wrapped ? s.wrapped : s.asIs;
    c[0]++;
    if (found.has(p)) c[1]++;
    else if (p.wrapped) bump(s.missedWrappedByRule, id);
  }
  for (const [p, ids] of reportedBy) {
    if (!ownRule.has(p)) bump(s.foundByOtherRule, `${p.ruleId} → ${[...ids].sort().join(', ')}`);
  }
  s.found = found.size;
  s.foundByOwnRule = ownRule.size;
  s.decoysFlagged = flagged.size;
  return s;
}
