import { createHash } from 'node:crypto';
import type { Finding } from '../model/finding.js';
import type { IdentityEvent } from '../model/identity-event.js';
import type { InventoryNode, InventoryRelation } from '../model/inventory.js';
import type { Manifest } from '../policy/schema.js';
import { credentialKeysOfEvent, credentialKeysOfFinding, subjectKeyOfEvent } from './keys.js';

/*
 * The identity graph as rows: pure derivation from findings, inventory and events. The store
 * (src/store/graph.ts) persists what `GraphBuilder` yields; nothing here does I/O.
 *
 * Nodes, id `<kind>:<natural id>`:
 * - `credential:<join key>` (keys.ts): label the redacted preview or the log's key name; never a secret.
 * - `finding:<hash>`, `repository:<name>`, `identity:<stable id>`, `workload:<name>`, `resource:<id>`,
 *   `owner:<name>`, `policy:<name>`.
 * - `network:<ip>`: where a credential was used from when no workload is named (`network:unknown`
 *   when the log names neither).
 * Edge-only targets (no node row): `action:<action>` and `environment:<name>`.
 *
 * Edges (src —kind→ dst):
 * - finding —found-in→ repository: one leak location (props: LeakProps); finding —detected→ credential
 * - credential —credential-of→ identity
 * - identity —used→ resource; credential —used→ workload|network (props: the latest event's pointer)
 * - identity —performed→ action:<action>; identity —acts-in→ environment:<name>
 * - identity —human-use→ network|workload: a person's client (browser, console) used the identity
 * - workload —runs-as→ identity (logs, Kubernetes, IaC, CI)
 * - identity|policy —can-access→ resource (props: actions, admin), identity —has-policy→ policy
 * - identity —assumes→ identity (trust policies, OIDC federation, AssumeRole calls)
 * - identity|workload —owned-by→ owner
 * Edges aggregate: count, first_seen and last_seen cover every observation.
 */

/** One node to upsert. Times are epoch milliseconds. */
export interface GraphNodeRow {
  /** `<kind>:<natural id>`. */
  id: string;
  kind: string;
  label: string;
  props: Record<string, unknown>;
  firstSeen: number;
  lastSeen: number;
}

/** One edge to upsert: `count` observations between `firstSeen` and `lastSeen`. */
export interface GraphEdgeRow {
  src: string;
  dst: string;
  kind: string;
  props: Record<string, unknown>;
  count: number;
  firstSeen: number;
  lastSeen: number;
}

/** What a found-in edge says about one leak location. */
export interface LeakProps {
  path: string;
  line: number;
  commit?: string;
  /** The introducing commit's date when known, else when the scan found it (epoch ms). */
  exposedAt: number;
  findingId: string;
  ruleId: string;
  severity: string;
}

/** Repository visibility, as the importer was told: it decides how exposed a leak is. */
export type Visibility = 'public' | 'private' | 'unknown';

export function millis(value: string | number | Date, what: string): number {
  const ms = typeof value === 'number' ? value : value instanceof Date ? value.getTime() : Date.parse(value);
  if (!Number.isFinite(ms)) throw new RangeError(`${what} is not a time: ${JSON.stringify(value)}`);
  return ms;
}

/** A stable id for one finding location: rule, secret fingerprint, path, line, column and commit. */
export function findingId(f: Finding): string {
  const parts = [f.ruleId, f.fingerprint, f.path, f.line, f.column, f.commit?.sha ?? ''];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

/** User agents of people's clients: browsers, the AWS console, interactive shells of cloud consoles. */
const HUMAN_AGENT = /^Mozilla\/|signin\.amazonaws\.com|console\.aws\.amazon\.com|AWS Internal|CloudShell/;

/** Whether a user agent is a person's client (browser or console) rather than an SDK or a CLI in a job. */
export function isHumanAgent(userAgent: string | undefined): boolean {
  return userAgent !== undefined && HUMAN_AGENT.test(userAgent);
}

/**
 * Whether a credential is long-term by nature: AWS long-term keys (AKIA), secrets found in code
 * (static by definition), tokens whose log-stated lifetime exceeds a day or has no expiry.
 */
export function isLongLived(key: string, options: { found?: boolean; issuedAt?: number; expiresAt?: number } = {}): boolean {
  if (key.startsWith('aws-key:ASIA')) return false;
  if (key.startsWith('aws-key:AKIA') || options.found === true) return true;
  if (key.startsWith('k8s:')) return false; // bound service-account tokens
  if (options.issuedAt !== undefined && options.expiresAt !== undefined)
    return options.expiresAt - options.issuedAt > 24 * 3600_000;
  return key.startsWith('github:');
}

/** Match entries that name a credential, not an identity (AWS key ids, hashes). */
const CREDENTIAL_KEY_LIKE = /^(A[KS]IA[0-9A-Z]{12,}|hmac-sha256:|sha256:|[A-Za-z0-9+/]{43}=$)/;

const NODE_PREFIX: Record<InventoryNode['kind'], string> = {
  identity: 'identity:',
  workload: 'workload:',
  resource: 'resource:',
  owner: 'owner:',
  policy: 'policy:',
  credential: 'iac-credential:',
};

/** The graph node id of an inventory node (`identity:…`, `policy:…`; owners lower-cased). */
export function inventoryNodeId(n: InventoryNode): string {
  return NODE_PREFIX[n.kind] + (n.kind === 'owner' ? n.id.toLowerCase() : n.id);
}

function widenRow(row: { firstSeen: number; lastSeen: number }, t: number): void {
  if (t < row.firstSeen) row.firstSeen = t;
  if (t > row.lastSeen) row.lastSeen = t;
}

/** One more observation of an edge: counts add, times widen, the latest observation's props win. */
function bumpEdge(row: GraphEdgeRow, t: number, props: Record<string, unknown> | undefined, count = 1): void {
  row.count += count;
  if (t < row.firstSeen) row.firstSeen = t;
  if (t >= row.lastSeen) {
    row.lastSeen = t;
    if (props !== undefined) row.props = props;
  }
}

function credentialProps(c: NonNullable<IdentityEvent['credential']>): Record<string, unknown> {
  const props: Record<string, unknown> = { type: c.type };
  if (c.issuedAt !== undefined) props.issuedAt = Date.parse(c.issuedAt);
  if (c.expiresAt !== undefined) props.expiresAt = Date.parse(c.expiresAt);
  return props;
}

/** Where the raw record of a credential use is: the event id, file and line, and the address beside a workload. */
function pointerOf(e: IdentityEvent, workload: string | undefined): Record<string, unknown> {
  const pointer: Record<string, unknown> = { event: e.id };
  if (e.raw.file !== undefined) pointer.file = e.raw.file;
  if (e.raw.line !== undefined) pointer.line = e.raw.line;
  if (e.client.ip !== undefined && workload !== undefined) pointer.ip = e.client.ip;
  return pointer;
}

/** The rows one identity's events touch, keyed by the events' own strings: canonical rows of the builder's maps. */
interface IdentityRows {
  id: string;
  row: GraphNodeRow;
  performed: Map<string, GraphEdgeRow>;
  actsIn?: Map<string, GraphEdgeRow>;
  resources: Map<string, { node: GraphNodeRow; used: GraphEdgeRow }>;
  workloads: Map<string, { id: string; node: GraphNodeRow; runsAs: GraphEdgeRow }>;
  credentials: Map<string, CredentialRows>;
}

interface CredentialRows {
  id: string;
  /** The event source the join key was derived with (keys depend on it). */
  source: string;
  row: GraphNodeRow;
  of: GraphEdgeRow;
  fromWorkload: Map<string, GraphEdgeRow>;
  fromNetwork: Map<string, { node: GraphNodeRow; used: GraphEdgeRow }>;
}

/**
 * Accumulates graph rows in memory, folding repeats (nodes by id, edges by src/kind/dst) so a batch
 * of a million events becomes one row per distinct node and edge. `take()` hands the rows over and
 * starts afresh; the store upserts them, widening times and adding counts.
 * @example
 * const b = new GraphBuilder();
 * for (const e of events) b.addEvent(e);
 * const { nodes, edges, revoked } = b.take();
 */
export class GraphBuilder {
  private nodes = new Map<string, GraphNodeRow>();
  private edges = new Map<string, GraphEdgeRow>();
  private revoked = new Map<string, number>();
  /** Per identity (by the events' identity id): the rows its events touch (see addEvent). */
  private byIdentity = new Map<string, IdentityRows>();

  /** Distinct rows held: a cue for when to flush. */
  get size(): number {
    return this.nodes.size + this.edges.size;
  }

  /** Widens a node already held and says so: lets callers skip building props for it. */
  private widen(id: string, t: number): boolean {
    const prev = this.nodes.get(id);
    if (prev === undefined) return false;
    if (t < prev.firstSeen) prev.firstSeen = t;
    if (t > prev.lastSeen) prev.lastSeen = t;
    return true;
  }

  /** Adds or widens a node; props merge, the later call's keys winning. */
  node(id: string, kind: string, label: string, props: Record<string, unknown> | undefined, t: number): void {
    const prev = this.nodes.get(id);
    if (prev === undefined) {
      this.nodes.set(id, { id, kind, label, props: props ?? {}, firstSeen: t, lastSeen: t });
      return;
    }
    if (t < prev.firstSeen) prev.firstSeen = t;
    if (t > prev.lastSeen) prev.lastSeen = t;
    if (props !== undefined && props !== prev.props) {
      for (const k in props) {
        if (props[k] !== undefined && prev.props[k] !== props[k]) {
          prev.props = { ...prev.props, ...props };
          break;
        }
      }
    }
  }

  /** Adds or widens an edge (and returns its row); the props of the latest observation win. */
  edge(src: string, kind: string, dst: string, props: Record<string, unknown> | undefined, t: number, count = 1): GraphEdgeRow {
    const key = `${kind}\u0000${src}\u0000${dst}`;
    const prev = this.edges.get(key);
    if (prev === undefined) {
      const row = { src, dst, kind, props: props ?? {}, count, firstSeen: t, lastSeen: t };
      this.edges.set(key, row);
      return row;
    }
    bumpEdge(prev, t, props, count);
    return prev;
  }

  /**
   * One identity event: identity, credential, workload, resource and network nodes; used,
   * credential-of, runs-as, performed, acts-in, assumes and human-use edges. A successful revocation
   * or deactivation records the credential it acted on (see `take().revoked`).
   *
   * The rows an identity's events touch are cached per identity, keyed by the event's own strings
   * (action, resource id, workload, credential key, address): a repeat costs a few lookups in small
   * maps rather than building `<kind>:<id>` strings and probing the builder's large maps. The cached
   * rows are the ones in those maps, so every other caller folds into them as before.
   */
  addEvent(e: IdentityEvent): void {
    const t = millis(e.time, `event ${e.id} time`);
    let ent = this.byIdentity.get(e.identity.id);
    if (ent === undefined) {
      const id = `identity:${e.identity.id}`;
      // Events of one identity repeat its type and scope: props are built once per flush.
      if (!this.widen(id, t))
        this.node(
          id,
          'identity',
          e.identity.name ?? e.identity.id,
          e.identity.scope === undefined ? { type: e.identity.type } : { type: e.identity.type, scope: e.identity.scope },
          t,
        );
      ent = {
        id,
        row: this.nodes.get(id)!,
        performed: new Map(),
        resources: new Map(),
        workloads: new Map(),
        credentials: new Map(),
      };
      this.byIdentity.set(e.identity.id, ent);
    } else widenRow(ent.row, t);
    const identity = ent.id;
    const success = e.outcome !== 'failure';
    let performed = ent.performed.get(e.action);
    if (performed === undefined) {
      performed = this.edge(identity, 'performed', `action:${e.action}`, undefined, t);
      ent.performed.set(e.action, performed);
    } else bumpEdge(performed, t, undefined);
    const env = e.client.environment;
    if (env !== undefined) {
      ent.actsIn ??= new Map();
      const row = ent.actsIn.get(env);
      if (row === undefined) ent.actsIn.set(env, this.edge(identity, 'acts-in', `environment:${env}`, undefined, t));
      else bumpEdge(row, t, undefined);
    }

    const workloadName = e.client.workload;
    let workload: string | undefined;
    if (workloadName !== undefined) {
      const w = ent.workloads.get(workloadName);
      if (w === undefined) {
        workload = `workload:${workloadName}`;
        if (!this.widen(workload, t)) this.node(workload, 'workload', workloadName, undefined, t);
        const runsAs = this.edge(workload, 'runs-as', identity, undefined, t);
        ent.workloads.set(workloadName, { id: workload, node: this.nodes.get(workload)!, runsAs });
      } else {
        workload = w.id;
        widenRow(w.node, t);
        bumpEdge(w.runsAs, t, undefined);
      }
    }
    if (e.identity.via !== undefined && e.identity.via !== e.identity.id) {
      this.edge(`identity:${e.identity.via}`, 'assumes', identity, { observed: true }, t);
    }

    const res = e.resource;
    if (res !== undefined) {
      const r = ent.resources.get(res.id);
      if (r === undefined) {
        const resource = `resource:${res.id}`;
        if (!this.widen(resource, t))
          this.node(resource, 'resource', res.id, res.type === undefined ? undefined : { type: res.type }, t);
        const used = this.edge(identity, 'used', resource, undefined, t);
        ent.resources.set(res.id, { node: this.nodes.get(resource)!, used });
      } else {
        widenRow(r.node, t);
        bumpEdge(r.used, t, undefined);
      }
      if (success && res.type === 'AWS::IAM::Role' && /:AssumeRole/.test(e.action)) {
        const role = `identity:${res.id}`;
        this.node(role, 'identity', res.id.slice(res.id.lastIndexOf('/') + 1), { type: 'iam-role' }, t);
        this.edge(identity, 'assumes', role, { observed: true }, t);
      }
    }

    const ip = e.client.ip;
    if (isHumanAgent(e.client.userAgent) || (e.identity.type === 'user' && e.credential !== undefined)) {
      this.edge(
        identity,
        'human-use',
        workload ?? `network:${ip ?? 'unknown'}`,
        { userAgent: (e.client.userAgent ?? '').slice(0, 200) },
        t,
      );
    }

    const c = e.credential;
    if (c !== undefined) {
      let cred = ent.credentials.get(c.key);
      if (cred !== undefined && cred.source !== e.source) cred = undefined;
      if (cred === undefined) {
        const key = credentialKeysOfEvent(e)[0];
        if (key !== undefined) {
          const id = `credential:${key}`;
          if (!this.widen(id, t) || c.issuedAt !== undefined || c.expiresAt !== undefined)
            this.node(id, 'credential', c.key, credentialProps(c), t);
          const of = this.edge(id, 'credential-of', identity, undefined, t);
          cred = { id, source: e.source, row: this.nodes.get(id)!, of, fromWorkload: new Map(), fromNetwork: new Map() };
          if (!ent.credentials.has(c.key)) ent.credentials.set(c.key, cred);
        }
      } else {
        if (c.issuedAt !== undefined || c.expiresAt !== undefined) this.node(cred.id, 'credential', c.key, credentialProps(c), t);
        else widenRow(cred.row, t);
        bumpEdge(cred.of, t, undefined);
      }
      if (cred !== undefined) {
        // The latest event's pointer: built only when this event is the latest.
        let used: GraphEdgeRow | undefined;
        if (workload !== undefined) used = cred.fromWorkload.get(workload);
        else {
          const n = cred.fromNetwork.get(ip ?? 'unknown');
          if (n !== undefined) {
            widenRow(n.node, t);
            used = n.used;
          }
        }
        if (used === undefined) {
          const source = workload ?? `network:${ip ?? 'unknown'}`;
          if (workload === undefined && !this.widen(source, t)) this.node(source, 'network', source.slice(8), undefined, t);
          used = this.edge(cred.id, 'used', source, pointerOf(e, workload), t);
          if (workload !== undefined) cred.fromWorkload.set(workload, used);
          else cred.fromNetwork.set(ip ?? 'unknown', { node: this.nodes.get(source)!, used });
        } else bumpEdge(used, t, t >= used.lastSeen ? pointerOf(e, workload) : undefined);
      }
    }

    const lifecycle = c?.lifecycle;
    if ((lifecycle === 'revoked' || lifecycle === 'deactivated') && success) {
      const subject = subjectKeyOfEvent(e);
      if (subject !== undefined) {
        const id = `credential:${subject}`;
        this.node(id, 'credential', c!.subject ?? c!.key, undefined, t);
        this.revoked.set(id, Math.min(this.revoked.get(id) ?? t, t));
      }
    }
  }

  /**
   * One secret finding with a join key: credential, finding and repository nodes; finding
   * —found-in→ repository (LeakProps) and finding —detected→ credential. Posture findings and secrets
   * without a key are ignored (returns false). `foundAt` is when the scan found it: the leak's
   * exposure starts at the introducing commit's date when the finding has one, else then.
   */
  addFinding(f: Finding, repo: { name: string; visibility: Visibility }, foundAt: number): boolean {
    const keys = credentialKeysOfFinding(f);
    if (keys.length === 0) return false;
    const id = findingId(f);
    const credential = `credential:${keys[0]!}`;
    const finding = `finding:${id}`;
    const repoId = `repository:${repo.name}`;
    const commitDate = f.commit === undefined ? Number.NaN : Date.parse(f.commit.date);
    const exposedAt = Number.isFinite(commitDate) ? Math.min(commitDate, foundAt) : foundAt;
    const leak: LeakProps = { path: f.path, line: f.line, exposedAt, findingId: id, ruleId: f.ruleId, severity: f.severity };
    if (f.commit !== undefined) leak.commit = f.commit.sha;
    this.node(
      credential,
      'credential',
      f.preview,
      { keys, preview: f.preview, ruleId: f.ruleId, found: true, ...(f.provider ? { provider: f.provider } : {}) },
      foundAt,
    );
    this.node(
      finding,
      'finding',
      f.title,
      { fingerprint: f.fingerprint, preview: f.preview, ...leak, repository: repo.name },
      foundAt,
    );
    this.node(
      repoId,
      'repository',
      repo.name,
      f.commit === undefined ? { visibility: repo.visibility, treeScanned: true } : { visibility: repo.visibility },
      foundAt,
    );
    // One finding per location (its id hashes path, line and commit), so one found-in edge each.
    this.edge(finding, 'found-in', repoId, { ...leak }, exposedAt);
    this.edge(finding, 'detected', credential, undefined, foundAt);
    return true;
  }

  /** One declared relation from the inventory: both nodes and the edge, at `at` (when it was imported). */
  addRelation(r: InventoryRelation, repo: string, at: number): void {
    // Declared credentials (static keys, lifetimes) are read by policy drift; the graph's credentials
    // are the ones logs and leaks name by join key, so these stay out of it.
    if (r.kind === 'has-credential') return;
    const src = inventoryNodeId(r.src);
    const dst = inventoryNodeId(r.dst);
    const declared = { declared: true, ...(r.src.kind === 'identity' ? { declaredIn: repo } : {}) };
    this.node(src, r.src.kind, r.src.label ?? r.src.id, { ...r.src.props, ...declared }, at);
    this.node(dst, r.dst.kind, r.dst.label ?? r.dst.id, { ...r.dst.props, ...declared }, at);
    this.edge(src, r.kind, dst, { ...r.props, declared: `${repo}:${r.path}:${r.line}` }, at);
  }

  /**
   * A policy manifest's declarations: each identity under every name its `match` gives (credential keys
   * and globs aside), the first as the identity and the rest as its aliases (`aliasOf`), an owned-by
   * edge to its owner, and its allow list as `declared-access` edges, the grants risk falls back on
   * when no IaC or IAM grant was imported.
   */
  addManifest(manifest: Manifest, at: number): void {
    for (const m of manifest.identities) {
      const names = m.match.filter((x) => !/[*?]/.test(x) && !CREDENTIAL_KEY_LIKE.test(x));
      if (names.length === 0) continue;
      const primary = `identity:${names[0]}`;
      const declared = `${m.at.file}:${m.at.line}`;
      const owner = `owner:${m.owner.toLowerCase()}`;
      this.node(owner, 'owner', m.owner, { declared: true }, at);
      for (const n of names) {
        const id = `identity:${n}`;
        this.node(
          id,
          'identity',
          m.name,
          { manifest: m.name, declaredIn: declared, ...(id === primary ? {} : { aliasOf: primary }) },
          at,
        );
        this.edge(id, 'owned-by', owner, { declared: `manifest:${declared}` }, at);
      }
      for (const a of m.allow ?? []) {
        for (const r of a.resources ?? ['*']) {
          this.node(`resource:${r}`, 'resource', r, undefined, at);
          this.edge(primary, 'declared-access', `resource:${r}`, { actions: [...a.actions], manifest: a.id }, at);
        }
      }
    }
  }

  /** Hands over every row held and the credentials revoked (earliest time each), and starts afresh. */
  take(): { nodes: GraphNodeRow[]; edges: GraphEdgeRow[]; revoked: Map<string, number> } {
    const out = { nodes: [...this.nodes.values()], edges: [...this.edges.values()], revoked: this.revoked };
    this.nodes = new Map();
    this.edges = new Map();
    this.revoked = new Map();
    this.byIdentity = new Map();
    return out;
  }
}
