import { existsSync } from 'node:fs';
import { normaliseEventKey } from '../correlate/keys.js';
import type { Alert } from '../model/alert.js';
import { WardenError } from '../model/errors.js';
import type { EventSource } from '../model/identity-event.js';
import { loadManifest } from '../policy/index.js';
import { planResponse, publicSubject, type ResponsePlan } from '../respond/engine.js';
import { automaticForbiddenBy } from '../respond/manifest.js';
import { loadPlaybooks } from '../respond/playbook.js';
import { buildReviewTask } from '../respond/review.js';
import type { Incident, LeakLocation, ResponseLedger, StepRecord } from '../respond/types.js';
import { type AuditEntry as AuditLogEntry, appendAudit, listAudit } from './audit.js';
import { getStates, putStates, toJson } from './detector-state.js';
import { getGraphNode, listGraphEdges } from './graph.js';
import { blastRadius, exposureOf, getRisk } from './graph-query.js';
import type { ResponseStepsTable } from './schema.js';
import { queryable, type StoreTarget } from './store.js';

/*
 * The store side of response (src/respond): the incident an alert becomes (graph context), step
 * state, the append-only audit trail, and the revocation feed into the detector's state.
 */

/** The detector's per-credential state scope (src/cli/detect-command.ts keeps the same name). */
export const DETECT_CREDENTIAL_SCOPE = 'detect.credential';

/**
 * One stored alert by uid, or undefined.
 * @example const alert = await getAlert(store, '3a519ee0e6d1e396a6f8378e029dc738');
 */
export async function getAlert(target: StoreTarget, uid: string): Promise<Alert | undefined> {
  const row = await queryable(target).selectFrom('alerts').select('alert').where('uid', '=', uid).executeTakeFirst();
  return row === undefined ? undefined : (JSON.parse(row.alert) as Alert);
}

const ownersOf = async (target: StoreTarget, node: string) =>
  (await listGraphEdges(target, node, { kind: 'owned-by' })).map((e) => e.dst.slice('owner:'.length));

/**
 * What response planning needs about an alert, read from the graph: the credential's node and join
 * keys, exposure, the identity's risk band, owners, policies, workloads and leak locations, and the
 * review task on demand. Undefined when no alert has the uid.
 * @example const incident = await loadIncident(store, uid);
 */
export async function loadIncident(target: StoreTarget, uid: string): Promise<Incident | undefined> {
  const alert = await getAlert(target, uid);
  if (alert === undefined) return undefined;
  const identityNode = `identity:${alert.identity.id}`;
  let credentialNode: string | undefined;
  if (alert.credential) {
    const source = (alert.evidences[0]?.source ?? 'ocsf') as EventSource;
    const key = normaliseEventKey(source, alert.credential.key);
    if (key !== undefined && (await getGraphNode(target, `credential:${key}`)) !== undefined)
      credentialNode = `credential:${key}`;
  }
  const credNode = credentialNode === undefined ? undefined : await getGraphNode(target, credentialNode);
  const credentialOf =
    credentialNode === undefined
      ? []
      : (await listGraphEdges(target, credentialNode, { kind: 'credential-of' })).map((e) => e.dst.slice(9));
  const policies = (await listGraphEdges(target, identityNode, { kind: 'has-policy' })).map((e) => e.dst.slice('policy:'.length));
  const workloads = (await listGraphEdges(target, identityNode, { kind: 'runs-as', direction: 'in' }))
    .map((e) => (e.dst === identityNode ? e.src.slice('workload:'.length) : ''))
    .filter(Boolean);
  const leaks: LeakLocation[] = [];
  if (credentialNode !== undefined) {
    for (const d of await listGraphEdges(target, credentialNode, { kind: 'detected', direction: 'in' })) {
      for (const f of await listGraphEdges(target, d.src, { kind: 'found-in' })) {
        const p = f.props as { path?: unknown; line?: unknown };
        if (typeof p.path === 'string' && typeof p.line === 'number')
          leaks.push({ repository: f.dst.slice('repository:'.length), path: p.path, line: p.line });
      }
    }
  }
  const risk = await getRisk(target, identityNode);
  const keys = credNode?.props.keys;
  return {
    alert,
    identityNode,
    ...(credentialNode ? { credentialNode, exposure: await exposureOf(target, credentialNode) } : {}),
    credentialKeys: Array.isArray(keys) ? keys.map(String) : credentialNode ? [credentialNode.slice(11)] : [],
    ...(risk ? { riskBand: risk.band } : {}),
    credentialOf,
    policies,
    workloads,
    owners: await ownersOf(target, identityNode),
    leaks,
    review: async () => {
      const start = credentialNode ?? identityNode;
      const radius = await blastRadius(target, start, { maxNodes: 2000 });
      const owners = new Map<string, string[]>();
      const labels = new Map<string, string>();
      for (const n of [...radius.identities, { id: identityNode }]) owners.set(n.id, await ownersOf(target, n.id));
      for (const c of [...radius.credentials, ...(credentialNode ? [{ id: credentialNode }] : [])]) {
        const of = (await listGraphEdges(target, c.id, { kind: 'credential-of' })).map((e) => e.dst);
        owners.set(c.id, [...new Set((await Promise.all(of.map((i) => owners.get(i) ?? ownersOf(target, i)))).flat())]);
        const node = await getGraphNode(target, c.id);
        if (node) labels.set(c.id, node.label);
      }
      return buildReviewTask(radius, owners, labels);
    },
  };
}

function stepFromRow(r: ResponseStepsTable): StepRecord {
  return {
    id: r.id,
    alertUid: r.alert_uid,
    playbookId: r.playbook_id,
    position: Number(r.position),
    action: r.action as StepRecord['action'],
    subject: r.subject,
    status: r.status as StepRecord['status'],
    approvedBy: r.approved_by,
    ...(r.result ? { result: JSON.parse(r.result) } : {}),
    ...(r.undo ? { undo: JSON.parse(r.undo) } : {}),
    ...(r.error ? { error: r.error } : {}),
    updatedAt: Number(r.updated_at),
  };
}

/**
 * The response entries of the service's audit trail (actions `response.*`), oldest first, optionally
 * of one alert.
 * @example const trail = await listResponseAudit(store, { alertUid });
 */
export async function listResponseAudit(
  target: StoreTarget,
  filter: { alertUid?: string | undefined } = {},
): Promise<AuditLogEntry[]> {
  const out: AuditLogEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await listAudit(target, {
      action: 'response.',
      ...(filter.alertUid !== undefined ? { target: filter.alertUid } : {}),
      limit: 1000,
      ...(cursor !== undefined ? { cursor } : {}),
    });
    out.push(...page.items);
    cursor = page.next ?? undefined;
  } while (cursor !== undefined);
  return out.reverse();
}

/**
 * Marks a credential revoked in the detector's state (the earliest revocation wins), so the next
 * presentation of it raises runtime.credential.reuse-after-revocation.
 */
export async function recordRevocation(target: StoreTarget, credentialKey: string, at: number): Promise<void> {
  const current = (await getStates(target, DETECT_CREDENTIAL_SCOPE, [credentialKey])).get(credentialKey) as
    | Record<string, unknown>
    | undefined;
  const prev = typeof current?.revokedAt === 'number' ? current.revokedAt : 0;
  if (prev !== 0 && prev <= at) return;
  await putStates(target, DETECT_CREDENTIAL_SCOPE, [{ key: credentialKey, state: { ...(current ?? {}), revokedAt: at } }]);
}

/**
 * The response ledger on a store: step states in `response_steps`, the trail in the service's one
 * audit trail (`audit_log`, actions `response.step.before|after|skipped`),
 * revocations into the detector's state.
 * @example const ledger = createResponseLedger(store);
 */
export function createResponseLedger(target: StoreTarget): ResponseLedger {
  const db = queryable(target);
  return {
    async getStep(id) {
      const row = await db.selectFrom('response_steps').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : stepFromRow(row);
    },
    async putStep(s) {
      const row = {
        id: s.id,
        alert_uid: s.alertUid,
        playbook_id: s.playbookId,
        position: s.position,
        action: s.action,
        subject: s.subject,
        status: s.status,
        approved_by: s.approvedBy,
        result: s.result === undefined ? null : toJson(s.result),
        undo: s.undo === undefined ? null : toJson(s.undo),
        error: s.error ?? null,
        updated_at: s.updatedAt,
      };
      await db
        .insertInto('response_steps')
        .values(row)
        .onConflict((oc) =>
          oc.column('id').doUpdateSet({
            status: row.status,
            approved_by: row.approved_by,
            result: row.result,
            undo: row.undo,
            error: row.error,
            updated_at: row.updated_at,
          }),
        )
        .execute();
    },
    audit: async (e) => {
      await appendAudit(target, {
        actor: e.actor,
        action: e.event,
        target: e.target,
        outcome: e.outcome,
        ref: e.ref,
        detail: { action: e.action, ...e.detail },
      });
    },
    revoked: (key, at) => recordRevocation(target, key, at),
  };
}

/** Where `prepareResponse` reads playbooks and the manifest, and the environment the actions run with. */
export interface PrepareOptions {
  /** The playbooks file (must exist). */
  playbooksFile: string;
  /** The policy manifest, when there is one: its identities may forbid automatic response. */
  policyFile?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

/**
 * Everything `apply` needs for one alert, as `warden respond` and the API share it: the incident,
 * the ledger and the plan. Throws WARDEN_SOURCE_UNREADABLE (no playbooks file), WARDEN_PLAYBOOK_INVALID,
 * WARDEN_POLICY_INVALID or WARDEN_NOT_FOUND (no such alert).
 * @example const { incident, ledger, plan } = await prepareResponse(store, uid, { playbooksFile, env, cwd });
 */
export async function prepareResponse(
  target: StoreTarget,
  uid: string,
  options: PrepareOptions,
): Promise<{ incident: Incident; ledger: ResponseLedger; plan: ResponsePlan }> {
  if (!existsSync(options.playbooksFile))
    throw new WardenError(
      'WARDEN_SOURCE_UNREADABLE',
      `no playbooks at ${options.playbooksFile}: write warden.playbooks.yaml or give --playbooks FILE`,
    );
  const playbooks = loadPlaybooks(options.playbooksFile);
  const manifest = options.policyFile === undefined ? undefined : loadManifest(options.policyFile, options.cwd);
  const incident = await loadIncident(target, uid);
  if (incident === undefined) throw new WardenError('WARDEN_NOT_FOUND', `no alert ${uid} in the store`);
  const ledger = createResponseLedger(target);
  const plan = await planResponse(incident, playbooks, {
    ledger,
    env: options.env,
    cwd: options.cwd,
    ...(manifest ? { automaticForbidden: automaticForbiddenBy(manifest, incident) } : {}),
  });
  return { incident, ledger, plan };
}

/** A plan as JSON for people and programs: subjects without secrets, the exact calls, why no playbook matched. */
export function planDocument(p: ResponsePlan): Record<string, unknown> {
  return {
    alert: p.alertUid,
    playbook: p.playbook ?? null,
    considered: p.considered,
    steps: p.steps.map((s) => ({
      id: s.id,
      position: s.position,
      action: s.action,
      status: s.status,
      subject: publicSubject(s.subject) ?? null,
      ...(s.reason ? { reason: s.reason } : {}),
      calls: s.calls,
    })),
  };
}
