import { isSeq, parseDocument, type YAMLSeq } from 'yaml';
import { actionAllowed, inAnyNetwork } from './match.js';
import { networksOf, type Observation, resourceGlobs } from './observe.js';
import { resolveIdentity } from './resolve.js';
import type { PolicyRuleId } from './rules.js';
import type { Manifest, ManifestIdentity, SourceRef } from './schema.js';

/*
 * `warden policy suggest`: what run time learned since the manifest was written, as a proposed edit
 * of the manifest file (never applied: printed as a unified diff, or SARIF results against the file).
 */

export interface Suggestion {
  ruleId: PolicyRuleId;
  identity: string;
  /** Where the change goes in the manifest. */
  at: SourceRef;
  message: string;
}

export interface SuggestInput {
  manifest: Manifest;
  /** Manifest file texts by the file names the manifest cites. */
  texts: ReadonlyMap<string, string>;
  /** Observations of the last N days (see observe). */
  observations: ReadonlyMap<string, Observation>;
  /** Credential keys found leaked (scan findings), to mark their identities short-lived. */
  leakedKeys?: ReadonlySet<string> | undefined;
}

export interface SuggestResult {
  suggestions: Suggestion[];
  /** New text of each manifest file that changes. */
  patched: Map<string, string>;
}

/** Observations that belong to each declared identity. */
function byIdentity(manifest: Manifest, observations: ReadonlyMap<string, Observation>): Map<ManifestIdentity, Observation[]> {
  const out = new Map<ManifestIdentity, Observation[]>();
  for (const o of observations.values()) {
    let id: ManifestIdentity | undefined;
    for (const n of [o.id, ...o.credentialKeys, ...o.names, ...o.via]) {
      id = resolveIdentity(manifest, n);
      if (id) break;
    }
    if (!id) continue;
    out.set(id, [...(out.get(id) ?? []), o]);
  }
  return out;
}

/** `policyView` of the actions an observation holds, with their resources. */
function usedActions(obs: readonly Observation[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const o of obs)
    for (const [a, rs] of o.actions) {
      const set = out.get(a) ?? new Set<string>();
      for (const r of rs) set.add(r);
      out.set(a, set);
    }
  return out;
}

/**
 * The suggestions and the patched manifest texts. Tightening keeps every action actually used (so the
 * logs the suggestion was drawn from still pass), drops allowed actions nobody used, and replaces a
 * `*` resource by the resources used; observed networks and regions outside `sources` are added;
 * identities whose credential leaked are marked `longLived: false`.
 * @example const { suggestions, patched } = suggestChanges({ manifest, texts, observations: observe(events, since) })
 */
export function suggestChanges(input: SuggestInput): SuggestResult {
  const { manifest } = input;
  const docs = new Map([...input.texts].map(([file, text]) => [file, parseDocument(text)]));
  const suggestions: Suggestion[] = [];
  const touched = new Set<string>();
  const seqOf = (values: string[], flowLike: unknown) => {
    const doc = [...docs.values()][0]!;
    const node = doc.createNode(values) as YAMLSeq;
    if (isSeq(flowLike) && flowLike.flow) node.flow = true;
    else if (values.length <= 6) node.flow = true;
    return node;
  };
  const grouped = byIdentity(manifest, input.observations);
  const leakedIds = new Set<ManifestIdentity>();
  for (const key of input.leakedKeys ?? []) {
    const id = resolveIdentity(manifest, key);
    if (id) leakedIds.add(id);
  }
  for (const o of input.observations.values()) {
    if (![...o.credentialKeys].some((k) => input.leakedKeys?.has(k))) continue;
    for (const [id, obs] of grouped) if (obs.includes(o)) leakedIds.add(id);
  }

  for (const id of manifest.identities) {
    const doc = docs.get(id.at.file);
    if (!doc) continue;
    const base = ['identities', id.name];
    const obs = grouped.get(id) ?? [];
    const used = usedActions(obs);
    // 1. Tighten allow to what was used.
    if (id.allow && obs.length > 0) {
      const keep: number[] = [];
      id.allow.forEach((entry, i) => {
        const actions = [...used.keys()].filter((a) => actionAllowed(entry.actions, a)).sort();
        const path = [...base, 'allow', i];
        if (actions.length === 0) {
          suggestions.push({
            ruleId: 'policy.suggest.tighten-allow',
            identity: id.name,
            at: entry.at,
            message: `${id.name} used none of ${entry.actions.join(', ')} (${entry.id}) in the observed period: remove the entry.`,
          });
          return;
        }
        keep.push(i);
        const unused = entry.actions.filter((g) => !actions.some((a) => actionAllowed([g], a)));
        const widened = entry.actions.some((g) => g.includes('*') || g.includes('?'));
        if (unused.length > 0 || (widened && actions.join() !== entry.actions.join())) {
          doc.setIn([...path, 'actions'], seqOf(actions, doc.getIn([...path, 'actions'], true)));
          suggestions.push({
            ruleId: 'policy.suggest.tighten-allow',
            identity: id.name,
            at: entry.at,
            message: `${id.name} used only ${actions.join(', ')} of ${entry.actions.join(', ')} (${entry.id}): allow just those.`,
          });
          touched.add(id.at.file);
        }
        if (entry.resources === undefined || entry.resources.includes('*')) {
          const resources = resourceGlobs(actions.flatMap((a) => [...(used.get(a) ?? [])]));
          const allUsedHaveResource = actions.every((a) => ![...(used.get(a) ?? [])].includes(''));
          if (resources.length > 0 && allUsedHaveResource && resources.join() !== (entry.resources ?? []).join()) {
            doc.setIn([...path, 'resources'], seqOf(resources, doc.getIn([...path, 'resources'], true)));
            suggestions.push({
              ruleId: 'policy.suggest.tighten-allow',
              identity: id.name,
              at: entry.at,
              message: `${id.name} used ${entry.id} only on ${resources.join(', ')}: scope its resources to those.`,
            });
            touched.add(id.at.file);
          }
        }
      });
      if (keep.length < id.allow.length) {
        const seq = doc.getIn([...base, 'allow'], true);
        if (isSeq(seq)) {
          seq.items = seq.items.filter((_, i) => keep.includes(i));
          touched.add(id.at.file);
        }
      }
    }
    // 2. Observed sources outside the declared ones.
    const src = id.sources;
    if (src) {
      const addSources = (key: 'networks' | 'regions', declared: readonly string[], add: string[], where: string): void => {
        if (add.length === 0) return;
        const path = [...base, 'sources', key];
        doc.setIn(path, seqOf([...declared, ...add], doc.getIn(path, true)));
        suggestions.push({
          ruleId: 'policy.suggest.add-source',
          identity: id.name,
          at: src.at,
          message: `${id.name} was used ${where} ${add.join(', ')}, outside its declared ${key}: add them if legitimate, else investigate.`,
        });
        touched.add(id.at.file);
      };
      const networks = src.networks;
      if (networks) {
        const outside = obs.flatMap((o) => [...o.ips]).filter((ip) => !inAnyNetwork(ip, networks));
        addSources('networks', networks, networksOf(outside), 'from');
      }
      const regions = src.regions;
      if (regions) {
        const seen = [...new Set(obs.flatMap((o) => [...o.regions]))];
        addSources('regions', regions, seen.filter((r) => !regions.includes(r)).sort(), 'in');
      }
    }
    // 3. A leaked credential: the identity should federate.
    if (leakedIds.has(id) && id.credentials?.longLived !== false) {
      doc.setIn([...base, 'credentials', 'longLived'], false);
      suggestions.push({
        ruleId: 'policy.suggest.mark-short-lived',
        identity: id.name,
        at: id.credentials?.at ?? id.at,
        message: `A credential of ${id.name} was found leaked: declare it longLived: false so static keys fail the build, revoke the leaked one and federate.`,
      });
      touched.add(id.at.file);
    }
  }
  const patched = new Map<string, string>();
  for (const file of touched) patched.set(file, docs.get(file)!.toString({ lineWidth: 0 }));
  return { suggestions, patched };
}

/**
 * A unified diff (`diff -u` style, three lines of context) between two texts.
 * @example unifiedDiff(before, after, 'a/warden.policy.yaml', 'b/warden.policy.yaml')
 */
export function unifiedDiff(before: string, after: string, fromName: string, toName: string): string {
  const a = before.split('\n');
  const b = after.split('\n');
  if (a.at(-1) === '') a.pop();
  if (b.at(-1) === '') b.pop();
  // Longest common subsequence table (manifests are small).
  const n = a.length;
  const m = b.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const ops: Array<{ op: ' ' | '-' | '+'; line: string; ai: number; bi: number }> = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ op: ' ', line: a[i]!, ai: i++, bi: j++ });
    } else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      // Removals before additions, as diff -u writes them.
      ops.push({ op: '-', line: a[i]!, ai: i++, bi: j });
    } else {
      ops.push({ op: '+', line: b[j]!, ai: i, bi: j++ });
    }
  }
  const out = [`--- ${fromName}`, `+++ ${toName}`];
  const CONTEXT = 3;
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.op === ' ') {
      k++;
      continue;
    }
    let start = Math.max(0, k - CONTEXT);
    let end = k;
    // Extend the hunk while changes are within 2×CONTEXT of each other.
    for (;;) {
      while (end < ops.length && ops[end]!.op !== ' ') end++;
      let next = end;
      while (next < ops.length && ops[next]!.op === ' ' && next - end < 2 * CONTEXT) next++;
      if (next < ops.length && ops[next]!.op !== ' ') end = next;
      else break;
    }
    const stop = Math.min(ops.length, end + CONTEXT);
    if (start < 0) start = 0;
    const hunk = ops.slice(start, stop);
    const aStart = hunk[0]!.ai;
    const bStart = hunk[0]!.bi;
    const aLen = hunk.filter((o) => o.op !== '+').length;
    const bLen = hunk.filter((o) => o.op !== '-').length;
    out.push(`@@ -${aLen === 0 ? aStart : aStart + 1},${aLen} +${bLen === 0 ? bStart : bStart + 1},${bLen} @@`);
    for (const o of hunk) out.push(`${o.op}${o.line}`);
    k = stop;
  }
  return out.length > 2 ? `${out.join('\n')}\n` : '';
}
