/**
 * Google Cloud Audit Logs (a Cloud Logging `LogEntry` whose `protoPayload` is a
 * `type.googleapis.com/google.cloud.audit.AuditLog`, one JSON object per line as `gcloud logging read
 * --format=json`, a log sink to Cloud Storage or Pub/Sub writes it) → IdentityEvent; and GKE audit
 * logs, the same LogEntry with `serviceName: k8s.io`, which go through the Kubernetes audit parser.
 *
 * Formats: https://cloud.google.com/logging/docs/reference/audit/auditlog/rest/Shared.Types/AuditLog,
 * https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry and
 * https://cloud.google.com/kubernetes-engine/docs/how-to/audit-logging.
 *
 * - Identity: `authenticationInfo.principalEmail`; `…@….gserviceaccount.com` → service-account scoped
 *   to its project; workload identity federation (`principalSubject` `principal://…`) → federated;
 *   other addresses → user. A delegation chain (`serviceAccountDelegationInfo`, impersonation) puts the
 *   first caller in `identity.via` and tags `impersonation`.
 * - Credential: the id at the end of `serviceAccountKeyName` (`…/keys/<private_key_id>`), the same id a
 *   leaked key file carries as `private_key_id`.
 * - Tags: CreateServiceAccountKey / UploadServiceAccountKey → credential.issued (subject: the new key
 *   id from the response, else the service account); DeleteServiceAccountKey → credential.revoked;
 *   DisableServiceAccountKey → credential.deactivated; SetIamPolicy, custom role and workload identity
 *   provider changes → privilege.change (roles added by the policy delta in `raw.extra.grantedRoles`);
 *   Secret Manager AccessSecretVersion → secret.read; iamcredentials GenerateAccessToken/SignJwt/… →
 *   impersonation.
 * - Outcome: `status.code` (google.rpc.Code) non-zero → failure.
 */
import type { IdentityEvent } from '../../model/identity-event.js';
import type { EventParser, EventParserFactory, RecordOrigin } from '../types.js';
import { createK8sAuditParser } from './k8s-audit.js';
import { isoTime, num, obj, put, rfc3339Time, stableId, str } from './util.js';

type Rec = Record<string, unknown>;
type Result = IdentityEvent[] | { reject: string; detail?: string };

const AUDIT_TYPE = 'type.googleapis.com/google.cloud.audit.AuditLog';

/** The AuditLog payload of a LogEntry, or undefined. */
function auditPayload(record: unknown): Rec | undefined {
  const o = obj(record);
  const p = o === undefined ? undefined : obj(o.protoPayload);
  if (p === undefined) return undefined;
  if (p['@type'] === AUDIT_TYPE) return p;
  // Exports that drop `@type` still carry the audit log name.
  const logName = str(o!.logName);
  return logName?.includes('cloudaudit.googleapis.com') === true ? p : undefined;
}

function isGke(p: Rec): boolean {
  const method = str(p.methodName);
  return p.serviceName === 'k8s.io' || method?.startsWith('io.k8s.') === true;
}

/** `…/keys/<id>` → `<id>`. */
export function gcpKeyIdOf(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const at = name.lastIndexOf('/keys/');
  const id = at < 0 ? undefined : name.slice(at + 6);
  return id !== undefined && /^[0-9a-f]{6,64}$/i.test(id) ? id.toLowerCase() : undefined;
}

/** GCP identity from the authentication info. */
export function gcpIdentity(auth: Rec | undefined): IdentityEvent['identity'] {
  const email = auth === undefined ? undefined : str(auth.principalEmail);
  const subject = auth === undefined ? undefined : str(auth.principalSubject);
  if (email !== undefined) {
    const m = /^([^@]+)@(?:([^.]+)\.iam\.)?(?:[a-z0-9-]+\.)?gserviceaccount\.com$/i.exec(email);
    if (m) {
      const identity: IdentityEvent['identity'] = { id: email.toLowerCase(), type: 'service-account', name: m[1]! };
      if (m[2] !== undefined) identity.scope = m[2];
      return identity;
    }
    if (email.startsWith('system:serviceaccount:') || email.startsWith('system:'))
      return { id: email, type: 'service-account', name: email };
    return { id: email.toLowerCase(), type: email.includes('@') ? 'user' : 'unknown', name: email };
  }
  if (subject !== undefined) return { id: subject, type: 'federated', name: subject.split('/').pop() ?? subject };
  return { id: 'gcp:unauthenticated', type: 'unknown' };
}

/** The first caller of a delegation chain (the identity that impersonated), if any. */
function delegationOf(auth: Rec | undefined): { first?: string; chain: string[] } {
  const chain: string[] = [];
  const list = auth === undefined ? undefined : auth.serviceAccountDelegationInfo;
  if (Array.isArray(list)) {
    for (const d of list.slice(0, 16)) {
      const o = obj(d);
      if (o === undefined) continue;
      const who =
        str(obj(o.firstPartyPrincipal)?.principalEmail) ??
        str(o.principalSubject) ??
        str(obj(obj(o.thirdPartyPrincipal)?.thirdPartyClaims)?.sub);
      if (who !== undefined) chain.push(who);
    }
  }
  return chain.length > 0 ? { first: chain[0]!, chain } : { chain };
}

/** Roles and members a SetIamPolicy adds: the audit `serviceData`/`metadata` policy delta. */
function grantsOf(p: Rec): { roles: string[]; members: string[] } {
  const roles: string[] = [];
  const members: string[] = [];
  const deltas = [
    obj(obj(p.serviceData)?.policyDelta)?.bindingDeltas,
    obj(obj(p.metadata)?.datasetChange)?.bindingDeltas,
    obj(p.metadata)?.bindingDeltas,
  ];
  for (const d of deltas) {
    if (!Array.isArray(d)) continue;
    for (const x of d.slice(0, 200)) {
      const o = obj(x);
      if (o === undefined || (o.action !== undefined && o.action !== 'ADD')) continue;
      const role = str(o.role);
      const member = str(o.member);
      if (role !== undefined) roles.push(role);
      if (member !== undefined) members.push(member);
    }
  }
  if (roles.length === 0) {
    // Without a delta, the requested policy's bindings (all of them, not only the new ones).
    const bindings = obj(obj(p.request)?.policy)?.bindings;
    if (Array.isArray(bindings)) {
      for (const b of bindings.slice(0, 200)) {
        const role = str(obj(b)?.role);
        if (role !== undefined) roles.push(role);
        const ms = obj(b)?.members;
        if (Array.isArray(ms)) for (const m of ms.slice(0, 50)) if (typeof m === 'string') members.push(m);
      }
    }
  }
  return { roles: [...new Set(roles)], members: [...new Set(members)] };
}

/** google.rpc.Code names for the usual failures, for a readable reason. */
const RPC_CODES: Record<number, string> = {
  1: 'CANCELLED',
  3: 'INVALID_ARGUMENT',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  13: 'INTERNAL',
  16: 'UNAUTHENTICATED',
};

function lastSegment(method: string): string {
  const dot = method.lastIndexOf('.');
  return dot < 0 ? method : method.slice(dot + 1);
}

/** GCP Cloud Audit Logs parser factory: stateless, one event per audit LogEntry. */
export const createGcpAuditParser = ((): EventParser => {
  function detect(record: unknown): boolean {
    const p = auditPayload(record);
    return p !== undefined && !isGke(p);
  }

  function push(record: unknown, origin: RecordOrigin): Result {
    const o = obj(record);
    const p = auditPayload(record);
    if (o === undefined || p === undefined) return { reject: 'not-gcp-audit', detail: 'no AuditLog protoPayload' };
    const time =
      rfc3339Time(o.timestamp) ?? isoTime(o.timestamp) ?? rfc3339Time(o.receiveTimestamp) ?? isoTime(o.receiveTimestamp);
    if (time === undefined) return { reject: 'missing-time' };
    const method = str(p.methodName);
    if (method === undefined) return { reject: 'missing-method' };
    const auth = obj(p.authenticationInfo);
    const meta = obj(p.requestMetadata);
    const status = obj(p.status);
    const code = status === undefined ? 0 : (num(status.code) ?? 0);
    const outcome: IdentityEvent['outcome'] = code !== 0 ? 'failure' : 'success';
    const service = str(p.serviceName);
    const resourceName = str(p.resourceName);
    const op = lastSegment(method);

    const identity = gcpIdentity(auth);
    const { first, chain } = delegationOf(auth);
    if (first !== undefined) identity.via = first;
    const tags: string[] = [];
    if (chain.length > 0) tags.push('impersonation');

    const callerKey = gcpKeyIdOf(str(auth?.serviceAccountKeyName));
    let lifecycle: 'issued' | 'revoked' | 'deactivated' | undefined;
    let subject: string | undefined;
    if (outcome === 'success') {
      if (op === 'CreateServiceAccountKey' || op === 'UploadServiceAccountKey') {
        lifecycle = 'issued';
        subject = gcpKeyIdOf(str(obj(p.response)?.name)) ?? resourceName;
      } else if (op === 'DeleteServiceAccountKey') {
        lifecycle = 'revoked';
        subject = gcpKeyIdOf(resourceName) ?? gcpKeyIdOf(str(obj(p.request)?.name)) ?? resourceName;
      } else if (op === 'DisableServiceAccountKey') {
        lifecycle = 'deactivated';
        subject = gcpKeyIdOf(resourceName) ?? gcpKeyIdOf(str(obj(p.request)?.name)) ?? resourceName;
      }
    }
    if (lifecycle !== undefined) tags.push(`credential.${lifecycle}`);
    let grants: { roles: string[]; members: string[] } | undefined;
    // Cloud Storage logs its IAM changes as storage.setIamPermissions, with the same policy delta.
    const setIam = op === 'SetIamPolicy' || op === 'setIamPermissions';
    if (
      setIam ||
      /^(?:CreateRole|UpdateRole|UndeleteRole|CreateWorkloadIdentityPoolProvider|UpdateWorkloadIdentityPoolProvider)$/.test(op)
    ) {
      tags.push('privilege.change');
      if (setIam) grants = grantsOf(p);
    }
    if (op === 'AccessSecretVersion') tags.push('secret.read');
    if (service === 'iamcredentials.googleapis.com' && !tags.includes('impersonation')) tags.push('impersonation');

    const event: IdentityEvent = {
      id: str(o.insertId) ?? stableId('gcp-audit', o),
      time,
      source: 'gcp-audit',
      identity,
      action: `gcp:${method}`,
      outcome,
      client: {},
      tags,
      raw: {},
    };
    const key = callerKey ?? (lifecycle !== undefined ? subject : undefined);
    if (key !== undefined) {
      const credential: NonNullable<IdentityEvent['credential']> = {
        key,
        type: 'gcp-service-account-key',
        lifecycle: lifecycle ?? 'used',
      };
      if (lifecycle !== undefined && subject !== undefined) credential.subject = subject;
      event.credential = credential;
    }
    if (resourceName !== undefined) {
      const type = str(obj(o.resource)?.type);
      event.resource = type === undefined ? { id: resourceName } : { type, id: resourceName };
    }
    if (outcome === 'failure') event.reason = str(status?.message) ?? RPC_CODES[code] ?? String(code);
    const ip = str(meta?.callerIp);
    if (ip !== undefined && ip !== 'private' && ip !== 'gce-internal-ip') event.client.ip = ip;
    const ua = str(meta?.callerSuppliedUserAgent);
    if (ua !== undefined) event.client.userAgent = ua;
    const labels = obj(obj(o.resource)?.labels);
    const region = str(labels?.location) ?? str(labels?.region) ?? str(labels?.zone);
    if (region !== undefined && region !== 'global') event.client.region = region;
    const project = str(labels?.project_id);
    if (project !== undefined && identity.scope === undefined && identity.type !== 'service-account') identity.scope = project;
    if (origin.file !== undefined) event.raw.file = origin.file;
    if (origin.line !== undefined) event.raw.line = origin.line;

    let extra: Rec | undefined;
    if (service !== undefined) extra = put(extra, 'serviceName', service);
    if (project !== undefined) extra = put(extra, 'project', project);
    if (chain.length > 0) extra = put(extra, 'delegationChain', chain);
    if (grants !== undefined && grants.roles.length > 0) {
      extra = put(extra, 'grantedRoles', grants.roles);
      extra = put(extra, 'grantedMembers', grants.members.slice(0, 50));
    }
    const authz = p.authorizationInfo;
    if (Array.isArray(authz) && authz.length > 0) {
      const perm = str(obj(authz[0])?.permission);
      if (perm !== undefined) extra = put(extra, 'permission', perm);
    }
    if (ip === 'private' || ip === 'gce-internal-ip') extra = put(extra, 'callerIp', ip);
    if (extra !== undefined) event.raw.extra = extra;
    return [event];
  }

  return { source: 'gcp-audit', detect, push, flush: () => [] };
}) satisfies EventParserFactory;

/** gRPC status code → the HTTP status the Kubernetes API server would have answered. */
function httpStatus(code: number): number {
  switch (code) {
    case 0:
      return 200;
    case 3:
      return 400;
    case 5:
      return 404;
    case 6:
      return 409;
    case 7:
      return 403;
    case 16:
      return 401;
    case 8:
      return 429;
    default:
      return 500;
  }
}

/**
 * The Kubernetes audit event a GKE LogEntry stands for: the verb is the last segment of `methodName`
 * (`io.k8s.core.v1.secrets.get`), the object from `resourceName`
 * (`core/v1/namespaces/NS/secrets/NAME[/SUBRESOURCE]`, cluster-scoped objects without `namespaces/NS`).
 */
function toK8sEvent(o: Rec, p: Rec): Rec | undefined {
  const method = str(p.methodName);
  if (method === undefined) return undefined;
  const verb = lastSegment(method);
  const auth = obj(p.authenticationInfo);
  const meta = obj(p.requestMetadata);
  const resourceName = str(p.resourceName) ?? '';
  const parts = resourceName.split('/').filter((s) => s !== '');
  // group/version/… — the core group is written `core`.
  let rest = parts.slice(2);
  const objectRef: Rec = {};
  if (parts[0] !== undefined && parts[0] !== 'core') objectRef.apiGroup = parts[0];
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    objectRef.namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest[0] !== undefined) objectRef.resource = rest[0];
  if (rest[1] !== undefined) objectRef.name = rest[1];
  if (rest[2] !== undefined) objectRef.subresource = rest[2];
  const status = obj(p.status);
  const code = status === undefined ? 0 : (num(status.code) ?? 0);
  const k8s: Rec = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    stage: 'ResponseComplete',
    auditID: str(o.insertId) ?? stableId('gke-audit', o),
    verb,
    user: { username: str(auth?.principalEmail) ?? '' },
    responseStatus: { code: httpStatus(code), ...(status?.message !== undefined ? { reason: status.message } : {}) },
    stageTimestamp: o.timestamp,
  };
  if (Object.keys(objectRef).length > 0) k8s.objectRef = objectRef;
  else if (resourceName !== '') k8s.requestURI = resourceName;
  const ip = str(meta?.callerIp);
  if (ip !== undefined) k8s.sourceIPs = [ip];
  const ua = str(meta?.callerSuppliedUserAgent);
  if (ua !== undefined) k8s.userAgent = ua;
  if (p.request !== undefined) k8s.requestObject = p.request;
  if (p.response !== undefined) k8s.responseObject = p.response;
  const labels = obj(o.labels);
  if (labels !== undefined) k8s.annotations = labels;
  return k8s;
}

/** GKE audit logs as Cloud Logging writes them: through the Kubernetes audit parser, source gke-audit. */
export const createGkeAuditParser = ((): EventParser => {
  const k8s = createK8sAuditParser();
  function detect(record: unknown): boolean {
    const p = auditPayload(record);
    return p !== undefined && isGke(p);
  }
  function push(record: unknown, origin: RecordOrigin): Result {
    const o = obj(record);
    const p = auditPayload(record);
    if (o === undefined || p === undefined || !isGke(p))
      return { reject: 'not-gke-audit', detail: 'no k8s.io AuditLog protoPayload' };
    const k = toK8sEvent(o, p);
    if (k === undefined) return { reject: 'missing-method' };
    const out = k8s.push(k, origin);
    if (!Array.isArray(out)) return out;
    const labels = obj(obj(o.resource)?.labels);
    const roleRef = str(obj(obj(p.request)?.roleRef)?.name);
    for (const e of out) {
      e.source = 'gke-audit';
      if (roleRef !== undefined) e.raw.extra = put(e.raw.extra, 'grantedRoles', [roleRef]);
      const cluster = str(labels?.cluster_name);
      const project = str(labels?.project_id);
      const region = str(labels?.location);
      if (region !== undefined) e.client.region = region;
      // Google accounts are user e-mails; GCP service accounts calling the cluster keep their type.
      if (e.identity.type === 'user' && /gserviceaccount\.com$/i.test(e.identity.id)) {
        e.identity = gcpIdentity(obj(p.authenticationInfo));
      }
      let extra = e.raw.extra;
      if (cluster !== undefined) extra = put(extra, 'cluster', cluster);
      if (project !== undefined) extra = put(extra, 'project', project);
      if (extra !== undefined) e.raw.extra = extra;
    }
    return out;
  }
  return { source: 'gke-audit', detect, push, flush: () => [] };
}) satisfies EventParserFactory;
