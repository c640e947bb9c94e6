import { Document, isMap, isScalar, visit, type YAMLMap } from 'yaml';
import type { InventoryRelation } from '../model/inventory.js';
import { canonicalName } from './load.js';
import { globMatch } from './match.js';
import { networksOf, type Observation, resourceGlobs, windowsOf } from './observe.js';

/*
 * `warden policy init`: a draft manifest from what a scan declares (owners, identities) and what the
 * logs show each identity doing (least privilege from actual use). The draft always validates and,
 * checked against the same logs, raises no violation; it is a starting point for review, so unknown
 * owners are written as `unassigned` with a comment.
 */

export interface DraftInput {
  observations: ReadonlyMap<string, Observation>;
  /** The scan report's inventory: owners and identities declared in code and IaC. */
  inventory?: readonly InventoryRelation[] | undefined;
  /** Legacy `detect.windows` (UTC) to carry into the entries they name. */
  legacyWindows?: ReadonlyArray<{ identity: string; days: readonly string[]; from: string; to: string }> | undefined;
}

export const UNASSIGNED_OWNER = 'unassigned';

const SAFE_NAME = /[^A-Za-z0-9._@-]+/g;

/** A readable Warden name for an identity id: its display name, else the last part of its id. */
function baseName(id: string, names: ReadonlySet<string>): string {
  const display = [...names].find((n) => n.length > 0 && n.length <= 64);
  const tail = id.includes('/') ? id.slice(id.lastIndexOf('/') + 1) : id.slice(id.lastIndexOf(':') + 1);
  const raw = (display ?? (tail || id)).replace(SAFE_NAME, '-').replace(/^[^A-Za-z0-9]+/, '');
  return raw.slice(0, 60) || 'identity';
}

/** Owners the inventory declares, by identity id (IaC ids may carry `*` for the account). */
function ownersOf(inventory: readonly InventoryRelation[]): Array<{ id: string; owner: string }> {
  return inventory
    .filter((r) => r.kind === 'owned-by' && r.src.kind === 'identity')
    .map((r) => ({ id: r.src.id, owner: r.dst.label ?? r.dst.id }));
}

function ownerFor(id: string, owners: ReadonlyArray<{ id: string; owner: string }>): string | undefined {
  const c = canonicalName(id);
  return owners.find((o) => o.id === c || o.id === id || (o.id.includes('*') && globMatch(o.id, c)))?.owner;
}

interface Entry {
  name: string;
  owner?: string | undefined;
  match: string[];
  environments?: string[];
  allow?: Array<{ actions: string[]; resources?: string[] }>;
  sources?: { networks?: string[]; regions?: string[] };
  windows?: Array<{ days: string[]; from: string; to: string; timezone: string }>;
  agent?: { tools?: string[]; destinations?: string[] };
  comment: string;
}

/** allow entries from observed actions: actions sharing the same resource globs share one entry. */
export function allowOf(actions: ReadonlyMap<string, ReadonlySet<string>>): Array<{ actions: string[]; resources?: string[] }> {
  const byResources = new Map<string, { actions: string[]; resources: string[] }>();
  for (const [action, resources] of [...actions].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const globs = resourceGlobs(resources);
    const key = globs.join('\n');
    const entry = byResources.get(key) ?? { actions: [], resources: globs };
    entry.actions.push(action);
    byResources.set(key, entry);
  }
  return [...byResources.values()].map((e) => (e.resources.length > 0 ? e : { actions: e.actions }));
}

/**
 * The draft manifest as YAML text (with comments). Observed identities get allow, sources, windows,
 * environments and agent from their use; identities only the scan declares get an entry with their
 * owner and match, to be completed.
 * @example const text = draftManifest({ observations: observe(events), inventory: report.inventory })
 */
export function draftManifest(input: DraftInput): string {
  const owners = ownersOf(input.inventory ?? []);
  const entries: Entry[] = [];
  const usedNames = new Set<string>();
  const claimed = new Set<string>();
  const unique = (base: string): string => {
    let name = base;
    for (let i = 2; usedNames.has(name); i++) name = `${base}-${i}`;
    usedNames.add(name);
    return name;
  };
  // Names more than one identity answers to cannot be match entries (one name, one identity).
  const nameCount = new Map<string, number>();
  for (const o of input.observations.values())
    for (const n of new Set([...o.names, ...o.via])) nameCount.set(n, (nameCount.get(n) ?? 0) + 1);

  const observed = [...input.observations.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const o of observed) claimed.add(canonicalName(o.id));
  for (const o of observed) {
    const name = unique(baseName(o.id, o.names));
    const match = [o.id];
    for (const n of [...o.names, ...o.via].sort()) {
      if (nameCount.get(n) === 1 && !claimed.has(canonicalName(n)) && !match.includes(n) && !/\s/.test(n)) {
        match.push(n);
        claimed.add(canonicalName(n));
      }
    }
    const owner = ownerFor(o.id, owners);
    const entry: Entry = {
      name,
      owner,
      match,
      comment: `observed ${o.events} events, ${new Date(o.first).toISOString().slice(0, 10)} to ${new Date(o.last).toISOString().slice(0, 10)}`,
    };
    if (o.environments.size > 0) entry.environments = [...o.environments].sort();
    const isAgent = o.type === 'agent' || o.tools.size > 0;
    const actions = new Map([...o.actions].filter(([a]) => !(isAgent && (a.startsWith('tool:') || a === 'agent:invoke'))));
    entry.allow = allowOf(actions);
    const networks = networksOf(o.ips);
    if (networks.length > 0 || o.regions.size > 0) {
      entry.sources = {};
      if (networks.length > 0) entry.sources.networks = networks;
      if (o.regions.size > 0) entry.sources.regions = [...o.regions].sort();
    }
    const windows = windowsOf(o.hours);
    if (windows.length > 0) entry.windows = windows.map((w) => ({ ...w, timezone: 'UTC' }));
    if (isAgent) {
      entry.agent = {};
      if (o.tools.size > 0) entry.agent.tools = [...o.tools].sort();
      if (o.destinations.size > 0) entry.agent.destinations = [...o.destinations].sort();
    }
    entries.push(entry);
  }
  // Identities the scan declares that the logs never showed.
  const seenInv = new Set<string>();
  for (const r of input.inventory ?? []) {
    for (const n of [r.src, r.dst]) {
      if (n.kind !== 'identity' || n.id.startsWith('github-actions:repo:') || n.id.includes('${') || seenInv.has(n.id)) continue;
      seenInv.add(n.id);
      const c = canonicalName(n.id);
      if (claimed.has(c) || [...claimed].some((k) => c.includes('*') && globMatch(c, k))) continue;
      claimed.add(c);
      entries.push({
        name: unique(baseName(n.id, new Set(n.label ? [n.label] : []))),
        owner: ownerFor(n.id, owners),
        match: [n.id],
        comment: `declared in ${r.path}:${r.line}, not seen in the logs: complete what it may do`,
      });
    }
  }
  // Legacy detect.windows fold into the entries they name.
  for (const w of input.legacyWindows ?? []) {
    for (const e of entries) {
      if (!e.match.some((m) => globMatch(w.identity, m)) && !globMatch(w.identity, e.name)) continue;
      e.windows = [...(e.windows ?? []), { days: [...w.days], from: w.from, to: w.to, timezone: 'UTC' }];
      // A window from the old config that overlaps the observed ones replaces them.
      e.windows = e.windows.filter((x, i, all) => i === all.length - 1 || !x.days.some((d) => w.days.includes(d)));
      e.comment += '; windows carried over from detect.windows';
    }
  }

  const doc = new Document({ version: 1, identities: {} });
  doc.commentBefore =
    ' Draft identity manifest written by `warden policy init` from observed use: review every entry,\n set each owner, then check it with `warden policy validate`.';
  const identities = doc.get('identities') as YAMLMap;
  for (const e of entries) {
    const body: Record<string, unknown> = { owner: e.owner ?? UNASSIGNED_OWNER, match: e.match };
    if (e.environments) body.environments = e.environments;
    if (e.allow) body.allow = e.allow;
    if (e.sources) body.sources = e.sources;
    if (e.windows) body.windows = e.windows;
    if (e.agent) body.agent = e.agent;
    const node = doc.createNode(body) as YAMLMap;
    node.commentBefore = ` ${e.comment}${e.owner ? '' : '; TODO: set the owning team'}`;
    identities.set(doc.createNode(e.name), node);
  }
  if (isMap(identities)) identities.flow = false;
  visit(doc, {
    // Short lists of names read best on one line; times are quoted (YAML 1.1 reads 09:00 as a number).
    Seq(_, seq) {
      if (seq.items.length <= 8 && seq.items.every((i) => isScalar(i) && String(i.value).length < 60)) seq.flow = true;
    },
    Scalar(_, sc) {
      if (typeof sc.value === 'string' && /^\d\d:\d\d$/.test(sc.value)) sc.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString({ lineWidth: 0 });
}
