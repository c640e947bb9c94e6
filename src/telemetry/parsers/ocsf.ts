import * as crypto from 'node:crypto';
import type { IdentityEvent } from '../../model/identity-event.js';
import type { EventParser, EventParserFactory, RecordOrigin } from '../types.js';
import { isoTime, msToIso, num, obj, stableId, str } from './util.js';

/**
 * OCSF 1.x events (one JSON object per line, as Amazon Security Lake, OCSF-native products and
 * converters write them). Two classes become identity events; every other class is rejected
 * (`unsupported-ocsf-class`), Warden's own Detection Findings (2004) included.
 *
 * - Authentication (class_uid 3002; activity 1 Logon, 2 Logoff, 3 Authentication Ticket, 4 Service
 *   Ticket Request, 5 Service Ticket Renew, 6 Preauth): https://schema.ocsf.io/1.1.0/classes/authentication
 * - API Activity (class_uid 6003; activity 1 Create, 2 Read, 3 Update, 4 Delete):
 *   https://schema.ocsf.io/1.1.0/classes/api_activity
 * - User object (`uid`, `name`, `type`, `type_id` 1 User, 2 Admin, 3 System, 4 Service, `account`,
 *   `credential_uid`): https://schema.ocsf.io/1.1.0/objects/user
 * - `time` is milliseconds since the epoch; `status_id` 1 Success, 2 Failure.
 *
 * Mapping decisions:
 * - Identity: for 3002 the authenticating `user`, else `actor.user`; for 6003 `actor.user`; an actor
 *   with only `app_uid`/`app_name` is an app. Type from `user.type` (the AWS names Security Lake
 *   writes: AssumedRole, IAMUser, Root, AWSService, federated kinds), else from `type_id`.
 * - Credential: `user.credential_uid` (or `actor.session.credential_uid`), typed `aws-access-key-id`
 *   when it is one, so it joins `warden scan` findings; lifecycle `used`.
 * - Action: `<api.service.name>:<api.operation>` for 6003, with the AWS `.amazonaws.com` suffix
 *   dropped so Security Lake's CloudTrail reads like the CloudTrail parser (`s3:GetObject`);
 *   `auth.login`, `auth.logout`, … by activity_id for 3002.
 * - Tags: `auth.login` for a 3002 Logon; `privilege.change` for the IAM policy and group calls that
 *   change what a principal may do.
 */
export const createOcsfParser: EventParserFactory = (): EventParser => ({
  source: 'ocsf',
  detect,
  push(record: unknown, origin: RecordOrigin) {
    try {
      return pushEvent(record, origin);
    } catch (err) {
      // Defensive: the mapping reads untrusted JSON only through obj/str guards, so this is a bug.
      return { reject: 'parser-error', detail: (err as Error).message };
    }
  },
  flush: () => [],
});

/** Every OCSF event has a numeric class_uid and a metadata object (required by the base event). */
function detect(record: unknown): boolean {
  const o = obj(record);
  return o !== undefined && typeof o.class_uid === 'number' && obj(o.metadata) !== undefined;
}

const AUTHENTICATION = 3002;
const API_ACTIVITY = 6003;

const AUTH_ACTIONS = [
  'auth.unknown',
  'auth.login',
  'auth.logout',
  'auth.ticket',
  'auth.service-ticket',
  'auth.service-ticket-renew',
  'auth.preauth',
];
const API_VERBS = ['unknown', 'create', 'read', 'update', 'delete'];

const USER_TYPES = new Map<string, IdentityEvent['identity']['type']>([
  ['AssumedRole', 'iam-role'],
  ['IAMUser', 'iam-user'],
  ['AWS IAM User', 'iam-user'],
  ['Root', 'root'],
  ['AWSService', 'aws-service'],
  ['FederatedUser', 'federated'],
  ['WebIdentityUser', 'federated'],
  ['SAMLUser', 'federated'],
  ['ServiceAccount', 'service-account'],
  ['Service', 'service-account'],
  ['System', 'service-account'],
  ['Application', 'app'],
  ['User', 'user'],
  ['Admin', 'user'],
]);

/** IAM calls that grant or withdraw permissions (CloudTrail through OCSF): privilege changes. */
const IAM_PRIVILEGE_OPS = new Set([
  'AttachUserPolicy',
  'AttachRolePolicy',
  'AttachGroupPolicy',
  'PutUserPolicy',
  'PutRolePolicy',
  'PutGroupPolicy',
  'DetachUserPolicy',
  'DetachRolePolicy',
  'DetachGroupPolicy',
  'DeleteUserPolicy',
  'DeleteRolePolicy',
  'DeleteGroupPolicy',
  'AddUserToGroup',
  'RemoveUserFromGroup',
  'CreatePolicyVersion',
  'SetDefaultPolicyVersion',
  'UpdateAssumeRolePolicy',
]);

function userType(user: Record<string, unknown>): IdentityEvent['identity']['type'] {
  const t = str(user.type);
  const byName = t === undefined ? undefined : USER_TYPES.get(t);
  if (byName !== undefined) return byName;
  switch (num(user.type_id)) {
    case 1:
    case 2:
      return 'user';
    case 3:
    case 4:
      return 'service-account';
    default:
      return 'unknown';
  }
}

function pushEvent(record: unknown, origin: RecordOrigin): IdentityEvent[] | { reject: string; detail?: string } {
  const o = obj(record);
  if (o === undefined) return { reject: 'not-an-object' };
  const classUid = num(o.class_uid);
  if (classUid !== AUTHENTICATION && classUid !== API_ACTIVITY) {
    return classUid === undefined
      ? { reject: 'unsupported-ocsf-class' }
      : { reject: 'unsupported-ocsf-class', detail: `class_uid ${classUid}` };
  }
  const time = ocsfTime(o.time) ?? isoTime(o.time_dt);
  if (time === undefined) return { reject: 'missing-time' };

  const actor = obj(o.actor);
  const actorSession = obj(actor?.session);
  const user = classUid === AUTHENTICATION ? (obj(o.user) ?? obj(actor?.user)) : obj(actor?.user);
  let identity: IdentityEvent['identity'];
  const userId = user === undefined ? undefined : (str(user.uid) ?? str(user.uid_alt) ?? str(user.name) ?? str(user.email_addr));
  if (user !== undefined && userId !== undefined) {
    identity = { id: userId, type: userType(user) };
    const name = str(user.name);
    if (name !== undefined) identity.name = name;
    const scope = str(obj(user.account)?.uid) ?? str(obj(user.org)?.uid);
    if (scope !== undefined) identity.scope = scope;
  } else {
    const appId = str(actor?.app_uid) ?? str(actor?.app_name);
    if (appId === undefined) return { reject: 'missing-identity' };
    identity = { id: appId, type: 'app' };
    const appName = str(actor?.app_name);
    if (appName !== undefined) identity.name = appName;
  }
  const session = (classUid === AUTHENTICATION ? str(obj(o.session)?.uid) : undefined) ?? str(actorSession?.uid);
  if (session !== undefined) identity.session = session;
  // For an assumed role the session issuer is the role the session was issued from.
  const via = str(actorSession?.issuer);
  if (via !== undefined && via !== identity.id) identity.via = via;

  const statusId = num(o.status_id);
  const status = str(o.status);
  const outcome: IdentityEvent['outcome'] =
    statusId === 1 || (statusId === undefined && status === 'Success')
      ? 'success'
      : statusId === 2 || (statusId === undefined && status === 'Failure')
        ? 'failure'
        : 'unknown';

  const activityId = num(o.activity_id);
  const activityName = str(o.activity_name);
  const api = obj(o.api);
  const response = obj(api?.response);
  const tags: string[] = [];
  let action: string;
  let resource: IdentityEvent['resource'];
  if (classUid === AUTHENTICATION) {
    action = (activityId !== undefined ? AUTH_ACTIONS[activityId] : undefined) ?? 'auth.other';
    if (activityId === 1) tags.push('auth.login');
    const service = obj(o.service);
    const serviceId = str(service?.uid) ?? str(service?.name);
    if (serviceId !== undefined) resource = { type: 'service', id: serviceId };
    else {
      const dst = obj(o.dst_endpoint);
      const dstId = str(dst?.hostname) ?? str(dst?.ip);
      if (dstId !== undefined) resource = { type: 'endpoint', id: dstId };
    }
  } else {
    const service = serviceName(str(obj(api?.service)?.name)) ?? 'api';
    const operation =
      str(api?.operation) ??
      (activityId !== undefined ? API_VERBS[activityId] : undefined) ??
      activityName?.toLowerCase() ??
      'unknown';
    action = `${service}:${operation}`;
    if (service === 'iam' && IAM_PRIVILEGE_OPS.has(operation)) tags.push('privilege.change');
    const resources = o.resources;
    if (Array.isArray(resources)) {
      for (let i = 0; i < resources.length && resource === undefined; i++) {
        const r = obj(resources[i]);
        const rId = str(r?.uid) ?? str(r?.name);
        if (rId === undefined) continue;
        const rType = str(r?.type);
        resource = rType === undefined ? { id: rId } : { type: rType, id: rId };
      }
    }
  }

  let credential: IdentityEvent['credential'];
  const credKey = (user === undefined ? undefined : str(user.credential_uid)) ?? str(actorSession?.credential_uid);
  if (credKey !== undefined) {
    credential = {
      key: credKey,
      type: isAwsAccessKeyId(credKey) ? 'aws-access-key-id' : 'ocsf-credential-uid',
      lifecycle: 'used',
    };
    // An AWS long-term key (AKIA…), not a session key (ASIA…).
    if (credKey.startsWith('AKIA') && credential.type === 'aws-access-key-id') credential.longTerm = true;
    tags.push('credential.used');
  }

  const client: IdentityEvent['client'] = {};
  const src = obj(o.src_endpoint);
  if (src !== undefined) {
    const ip = str(src.ip);
    if (ip !== undefined) client.ip = ip;
    const host = str(src.hostname);
    if (host !== undefined) client.host = host;
    const loc = location(obj(src.location));
    if (loc !== undefined) client.location = loc;
  }
  const region = str(obj(o.cloud)?.region);
  if (region !== undefined) client.region = region;
  const ua = str(obj(o.http_request)?.user_agent);
  if (ua !== undefined) client.userAgent = ua;

  const reason =
    outcome === 'failure'
      ? (str(o.status_code) ?? str(response?.error) ?? str(o.status_detail) ?? str(response?.message))
      : undefined;

  const metadata = obj(o.metadata)!;
  const product = obj(metadata.product);
  // A few producer fields worth a look when triaging; class and activity are already in the action.
  const extra: Record<string, unknown> = {};
  if (activityName !== undefined) extra.activityName = activityName;
  const productName = str(product?.name);
  if (productName !== undefined) extra.product = productName;
  const vendor = str(product?.vendor_name);
  if (vendor !== undefined) extra.vendor = vendor;
  const requestUid = str(obj(api?.request)?.uid);
  if (requestUid !== undefined) extra.requestUid = requestUid;
  const severityId = num(o.severity_id);
  if (severityId !== undefined) extra.severityId = severityId;
  const authProtocol = str(o.auth_protocol);
  if (authProtocol !== undefined) extra.authProtocol = authProtocol;
  if (typeof o.is_mfa === 'boolean') extra.isMfa = o.is_mfa;
  // `unmapped` holds the vendor fields the producer found no OCSF place for: by definition, extra.
  const unmapped = obj(o.unmapped);
  if (unmapped !== undefined) extra.unmapped = unmapped;
  const raw: IdentityEvent['raw'] = { extra };
  if (origin.file !== undefined) raw.file = origin.file;
  if (origin.line !== undefined) raw.line = origin.line;

  const event: IdentityEvent = {
    id: str(metadata.uid) ?? recordId(o),
    time,
    source: 'ocsf',
    identity,
    action,
    outcome,
    client,
    tags,
    raw,
  };
  if (credential !== undefined) event.credential = credential;
  if (resource !== undefined) event.resource = resource;
  if (reason !== undefined) event.reason = reason;
  return [event];
}

// `crypto.hash` (Node ≥ 20.12) is the one-shot form of createHash: the same digest without a Hash
// object, a quarter cheaper on small inputs. Producers without metadata.uid (Windows and syslog
// converters) send every record through here, so it matters; older Node falls back to stableId.
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/** stableId('ocsf', record), computed the cheaper way when the runtime allows. */
export function recordId(record: Record<string, unknown>): string {
  if (oneShotHash === undefined) return stableId('ocsf', record);
  return `ocsf:${oneShotHash('sha256', JSON.stringify(record), 'hex').slice(0, 32)}`;
}

/** OCSF `time` is epoch milliseconds; other magnitudes (seconds from lax producers) go through isoTime. */
function ocsfTime(v: unknown): string | undefined {
  return typeof v === 'number' && v > 1e11 && v < 1e14 ? msToIso(v) : isoTime(v);
}

/** `s3.amazonaws.com` → `s3`, as CloudTrail's eventSource reads in the CloudTrail parser; others unchanged. */
function serviceName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  return name.endsWith('.amazonaws.com') && name.length > 14 ? name.slice(0, -14) : name;
}

/** AWS access key ids: AKIA (long-term) or ASIA (STS) and 16 more upper-case letters or digits. */
function isAwsAccessKeyId(k: string): boolean {
  if (k.length !== 20 || !(k.startsWith('AKIA') || k.startsWith('ASIA'))) return false;
  for (let i = 4; i < 20; i++) {
    const c = k.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57))) return false;
  }
  return true;
}

/** "country/region/city" from an OCSF location object, skipping absent parts (no array: this runs per event). */
function location(loc: Record<string, unknown> | undefined): string | undefined {
  if (loc === undefined) return undefined;
  return join3(str(loc.country), str(loc.region), str(loc.city));
}

function join3(a: string | undefined, b: string | undefined, c: string | undefined): string | undefined {
  let out = a;
  if (b !== undefined) out = out === undefined ? b : `${out}/${b}`;
  if (c !== undefined) out = out === undefined ? c : `${out}/${c}`;
  return out;
}
