/**
 * AWS CloudTrail → IdentityEvent.
 *
 * One CloudTrail event record at a time (the reader unwraps `{"Records": [...]}` log files and gzip;
 * an EventBridge envelope `{"detail-type": "AWS API Call via CloudTrail", "detail": {...}}` is unwrapped
 * here). Field meanings follow the AWS CloudTrail User Guide:
 * - record contents: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
 * - userIdentity: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
 * - IAM/STS and sign-in examples: https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html
 *
 * Mapping, in short:
 * - identity: the principal, stable across sessions. An assumed-role session is the role
 *   (`sessionContext.sessionIssuer.arn`), its session name goes to `identity.session`, so a rotating STS
 *   session never creates a new identity. IAM user → user ARN; Root → root ARN; AWSService → `invokedBy`;
 *   WebIdentityUser/SAMLUser → `<identityProvider>:<subject>`; FederatedUser → its federated-user ARN.
 * - credential: `userIdentity.accessKeyId` (`AKIA…` long-term 'aws-access-key', `ASIA…` 'aws-session').
 *   For issuance and revocation, `subject` is the key issued or revoked; when the caller used no key
 *   (AssumeRoleWithWebIdentity/SAML) the subject is also the key.
 * - credential.* lifecycle tags only on success (a failed DeleteAccessKey revokes nothing); privilege.change
 *   and secret.read tag attempts too, since a denied escalation is itself a signal.
 *
 * @example
 * const p = createCloudTrailParser();
 * if (p.detect(record)) p.push(record, { file: 'trail.json.gz', line: 3 });
 */
import { isIPv6 } from 'node:net';
import type { CredentialLifecycle, IdentityEvent } from '../../model/identity-event.js';
import type { EventParser, EventParserFactory, RecordOrigin } from '../types.js';
import { isoTime, num, obj, quickIsoTime, stableId, str } from './util.js';

type Rec = Record<string, unknown>;
type Reject = { reject: string; detail?: string };

const SUFFIX = '.amazonaws.com';
/** CloudTrail masks a mistyped user name in failed console sign-ins with this value (IAM user guide). */
const HIDDEN_USER = 'HIDDEN_DUE_TO_SECURITY_REASONS';
const MAX_EXTRA_STRING = 1024;

/** STS calls whose `responseElements.credentials` carries new temporary credentials. */
const STS_ISSUE = new Set([
  'AssumeRole',
  'AssumeRoleWithWebIdentity',
  'AssumeRoleWithSAML',
  'GetSessionToken',
  'GetFederationToken',
  'AssumeRoot',
]);

/**
 * IAM calls that grant or widen permissions (the usual escalation paths). PassRole is not an API call,
 * but some services record it as `iam:PassRole`.
 */
const IAM_PRIVILEGE = new Set([
  'AttachUserPolicy',
  'AttachGroupPolicy',
  'AttachRolePolicy',
  'PutUserPolicy',
  'PutGroupPolicy',
  'PutRolePolicy',
  'CreatePolicyVersion',
  'SetDefaultPolicyVersion',
  'AddUserToGroup',
  'UpdateAssumeRolePolicy',
  'CreateRole',
  'PassRole',
  'CreateLoginProfile',
  'UpdateLoginProfile',
  'DeleteUserPermissionsBoundary',
  'DeleteRolePermissionsBoundary',
]);

const SECRETS_READ = new Set(['GetSecretValue', 'BatchGetSecretValue']);
const SSM_READ = new Set(['GetParameter', 'GetParameters', 'GetParametersByPath', 'GetParameterHistory']);

/** requestParameters kept in raw.extra.requestParameters: names only, never values of secrets. */
const KEPT_PARAMS = [
  'bucketName',
  'key',
  'secretId',
  'name',
  'names',
  'path',
  'withDecryption',
  'roleArn',
  'roleSessionName',
  'durationSeconds',
  'userName',
  'groupName',
  'roleName',
  'policyArn',
  'policyName',
  'accessKeyId',
  'status',
  'keyId',
] as const;

/** Whether a parsed JSON record is a CloudTrail event (eventSource + eventName + eventTime). */
export function detectCloudTrail(record: unknown): boolean {
  let r = obj(record);
  if (r === undefined) return false;
  if (typeof r.eventSource !== 'string' && typeof r['detail-type'] === 'string') {
    r = obj(r.detail);
    if (r === undefined) return false;
  }
  return (
    typeof r.eventSource === 'string' &&
    typeof r.eventName === 'string' &&
    r.eventTime !== undefined &&
    (r.eventVersion !== undefined || r.userIdentity !== undefined || r.eventID !== undefined)
  );
}

/** The CloudTrail parser: stateless, one event per record. */
export const createCloudTrailParser: EventParserFactory = (): EventParser => ({
  source: 'cloudtrail',
  detect: detectCloudTrail,
  push(record, origin) {
    try {
      return parseCloudTrail(record, origin);
    } catch (e) {
      // Unreachable by design (the fuzz test checks it never happens); kept so one bad record never stops a stream.
      return { reject: 'internal-error', detail: e instanceof Error ? e.message : 'unknown' };
    }
  },
  flush: () => [],
});

function parseCloudTrail(record: unknown, origin: RecordOrigin): IdentityEvent[] | Reject {
  let r = obj(record);
  if (r === undefined) return { reject: 'not-object' };
  if (typeof r.eventSource !== 'string' && typeof r['detail-type'] === 'string') r = obj(r.detail) ?? r;
  const eventSource = str(r.eventSource);
  const eventName = str(r.eventName);
  if (eventSource === undefined || eventName === undefined) {
    if (r.digestStartTime !== undefined || r.logFiles !== undefined) return { reject: 'not-cloudtrail', detail: 'digest file' };
    if (Array.isArray(r.Records)) return { reject: 'not-cloudtrail', detail: 'a Records file: unwrap it first' };
    return { reject: 'not-cloudtrail' };
  }
  const time = quickIsoTime(r.eventTime);
  if (time === undefined) return { reject: 'missing-time' };

  const region = str(r.awsRegion);
  const partition = partitionOf(region);
  const ui = obj(r.userIdentity);
  const account = str(ui?.accountId) ?? str(r.recipientAccountId);
  const rp = obj(r.requestParameters);
  const re = obj(r.responseElements);
  const errorCode = str(r.errorCode);
  const sourceIp = str(r.sourceIPAddress);

  // --- identity
  const principal = identityOf(ui, eventSource, account, partition);
  const identity = principal.identity;

  // --- outcome: errorCode, or a failed console sign-in (which carries only errorMessage).
  let outcome: IdentityEvent['outcome'] = 'success';
  let reason: string | undefined;
  if (errorCode !== undefined) {
    outcome = 'failure';
    reason = errorCode;
  } else if (eventName === 'ConsoleLogin' && re?.ConsoleLogin === 'Failure') {
    outcome = 'failure';
    reason = str(r.errorMessage) ?? 'Failure';
  }
  const ok = outcome === 'success';

  // --- tags and what the event did to a credential
  const tags: string[] = [];
  let lifecycle: CredentialLifecycle = 'used';
  let subject: string | undefined;
  let expiresAt: string | undefined;
  switch (eventSource) {
    case 'sts.amazonaws.com':
      if (ok && STS_ISSUE.has(eventName)) {
        const creds = obj(re?.credentials);
        lifecycle = 'issued';
        subject = str(creds?.accessKeyId);
        expiresAt = awsTime(creds?.expiration);
        tags.push('credential.issued');
      }
      break;
    case 'iam.amazonaws.com':
      if (eventName === 'CreateAccessKey') {
        // A second key for the same user is how rotation starts; it is still an issuance.
        if (ok) {
          lifecycle = 'issued';
          subject = str(obj(re?.accessKey)?.accessKeyId);
          tags.push('credential.issued');
        }
      } else if (eventName === 'UpdateAccessKey') {
        const status = str(rp?.status);
        if (ok && (status === 'Inactive' || status === 'Active')) {
          // Reactivation makes the key valid again: an issuance for the revocation detections.
          lifecycle = status === 'Inactive' ? 'deactivated' : 'issued';
          subject = str(rp?.accessKeyId);
          tags.push(`credential.${lifecycle}`);
        }
      } else if (eventName === 'DeleteAccessKey') {
        if (ok) {
          lifecycle = 'revoked';
          subject = str(rp?.accessKeyId);
          tags.push('credential.revoked');
        }
      } else if (IAM_PRIVILEGE.has(eventName)) {
        tags.push('privilege.change');
      }
      break;
    case 'secretsmanager.amazonaws.com':
      if (SECRETS_READ.has(eventName)) tags.push('secret.read');
      break;
    case 'ssm.amazonaws.com':
      // Without withDecryption a SecureString comes back encrypted; CloudTrail does not log the type.
      if (SSM_READ.has(eventName) && (rp?.withDecryption === true || rp?.withDecryption === 'true')) tags.push('secret.read');
      break;
    case 'kms.amazonaws.com':
      // Direct decrypts only: services decrypting on a caller's behalf (S3 SSE-KMS, …) are routine.
      if (eventName === 'Decrypt' && ui?.invokedBy === undefined && (sourceIp === undefined || !sourceIp.endsWith(SUFFIX))) {
        tags.push('secret.read');
      }
      break;
    case 'signin.amazonaws.com':
      if (eventName === 'ConsoleLogin') tags.push('auth.login');
      break;
  }

  // --- credential
  // The caller's key; else a credential the identity names itself; else (no caller key) the key issued.
  const accessKeyId = str(ui?.accessKeyId);
  let credential: IdentityEvent['credential'];
  if (accessKeyId !== undefined) credential = { key: accessKeyId, type: keyType(accessKeyId), lifecycle };
  else if (principal.credentialId !== undefined) {
    credential = { key: principal.credentialId, type: principal.credentialType ?? 'aws-credential', lifecycle };
  } else if (subject !== undefined) credential = { key: subject, type: keyType(subject), lifecycle };
  if (credential !== undefined) {
    if (subject !== undefined) credential.subject = subject;
    if (expiresAt !== undefined) credential.expiresAt = expiresAt;
    // A long-term key (AKIA…) in use, or a key other than a session key issued by a caller presenting
    // its own long-term key: rotation replaces these (STS session keys are never rotated).
    if (credential.type === 'aws-access-key' && (lifecycle === 'used' || !subject?.startsWith('ASIA')))
      credential.longTerm = true;
  }

  // --- client
  const client: IdentityEvent['client'] = {};
  if (sourceIp !== undefined) {
    // An IP, or "AWS Internal", or the service's DNS name (lambda.amazonaws.com) for calls a service makes.
    if (isIp(sourceIp)) client.ip = sourceIp;
    else client.host = sourceIp;
  }
  if (region !== undefined) client.region = region;
  const ua = str(r.userAgent);
  // S3 wraps user agents in brackets ("[aws-cli/2.15 …]"); the same client elsewhere has none.
  if (ua !== undefined) client.userAgent = ua.length > 2 && ua[0] === '[' && ua.endsWith(']') ? ua.slice(1, -1) : ua;
  if (principal.workload !== undefined) client.workload = principal.workload;

  const event: IdentityEvent = {
    id: str(r.eventID) ?? stableId('cloudtrail', r),
    time,
    source: 'cloudtrail',
    identity,
    action: `${eventSource.endsWith(SUFFIX) ? eventSource.slice(0, -SUFFIX.length) : eventSource}:${eventName}`,
    outcome,
    client,
    tags,
    raw: rawOf(r, origin, ui, rp),
  };
  if (credential !== undefined) event.credential = credential;
  const resource = resourceOf(r, rp, eventSource, region, account, partition);
  if (resource !== undefined) event.resource = resource;
  if (reason !== undefined) event.reason = reason;
  return [event];
}

interface Principal {
  identity: IdentityEvent['identity'];
  workload?: string;
  /** A credential named by the identity itself (IAM Identity Center `credentialId`). */
  credentialId?: string;
  credentialType?: string;
}

/** The stable identity behind `userIdentity`, by its `type` (AWS docs: "userIdentity element" fields). */
function identityOf(ui: Rec | undefined, eventSource: string, account: string | undefined, partition: string): Principal {
  const type = str(ui?.type);
  const arn = str(ui?.arn);
  const principalId = str(ui?.principalId);
  let p: Principal;
  switch (type) {
    case 'AssumedRole': {
      const sc = obj(ui?.sessionContext);
      const issuer = obj(sc?.sessionIssuer);
      let session: string | undefined;
      if (arn !== undefined) {
        const slash = arn.lastIndexOf('/');
        if (slash > 0 && slash < arn.length - 1) session = arn.slice(slash + 1);
      }
      if (session === undefined && principalId !== undefined) {
        const colon = principalId.indexOf(':');
        if (colon > 0 && colon < principalId.length - 1) session = principalId.slice(colon + 1);
      }
      const roleName = str(issuer?.userName) ?? roleNameFromSessionArn(arn);
      let id = str(issuer?.arn);
      if (id === undefined && roleName !== undefined && arn?.startsWith('arn:')) {
        // Best effort when sessionIssuer is absent: the role path is not in the session ARN.
        const parts = arn.split(':', 5);
        id = `arn:${parts[1] || partition}:iam::${parts[4] || account || ''}:role/${roleName}`;
      }
      if (id === undefined && principalId !== undefined) {
        const colon = principalId.indexOf(':');
        id = colon > 0 ? principalId.slice(0, colon) : principalId;
      }
      const identity: IdentityEvent['identity'] = { id: id ?? arn ?? 'unknown', type: 'iam-role' };
      if (roleName !== undefined) identity.name = roleName;
      if (account !== undefined) identity.scope = account;
      if (session !== undefined) identity.session = session;
      const via = str(sc?.sourceIdentity) ?? str(obj(sc?.webIdFederationData)?.federatedProvider);
      if (via !== undefined) identity.via = via;
      p = { identity };
      // EC2 instance profiles name the session after the instance; ec2RoleDelivery marks IMDS delivery.
      if (session !== undefined && (isInstanceId(session) || sc?.ec2RoleDelivery !== undefined)) p.workload = session;
      return p;
    }
    case 'IAMUser': {
      const userName = str(ui?.userName);
      if (userName === HIDDEN_USER) {
        const identity: IdentityEvent['identity'] = {
          id: `${account ?? 'unknown'}:${HIDDEN_USER}`,
          type: 'unknown',
          name: userName,
        };
        if (account !== undefined) identity.scope = account;
        return { identity };
      }
      const id =
        arn ??
        (account !== undefined && userName !== undefined ? `arn:${partition}:iam::${account}:user/${userName}` : principalId);
      const identity: IdentityEvent['identity'] = { id: id ?? 'unknown', type: 'iam-user' };
      if (userName !== undefined) identity.name = userName;
      if (account !== undefined) identity.scope = account;
      return { identity };
    }
    case 'Root': {
      const identity: IdentityEvent['identity'] = {
        id: arn ?? (account !== undefined ? `arn:${partition}:iam::${account}:root` : 'root'),
        type: 'root',
        name: 'root',
      };
      if (account !== undefined) identity.scope = account;
      return { identity };
    }
    case 'AWSService': {
      const svc = str(ui?.invokedBy) ?? eventSource;
      const identity: IdentityEvent['identity'] = { id: svc, type: 'aws-service', name: svc };
      if (account !== undefined) identity.scope = account;
      return { identity };
    }
    case 'AWSAccount': {
      // A principal of another account; only its unique id (AIDA… user, AROA…:session role) is logged.
      let base = principalId;
      let session: string | undefined;
      if (principalId !== undefined) {
        const colon = principalId.indexOf(':');
        if (colon > 0) {
          base = principalId.slice(0, colon);
          if (colon < principalId.length - 1) session = principalId.slice(colon + 1);
        }
      }
      const identity: IdentityEvent['identity'] = {
        id: base !== undefined ? `${account ?? 'unknown'}:${base}` : `arn:${partition}:iam::${account ?? 'unknown'}:root`,
        type: base?.startsWith('AIDA') ? 'iam-user' : base?.startsWith('AROA') ? 'iam-role' : 'unknown',
      };
      if (account !== undefined) identity.scope = account;
      if (session !== undefined) identity.session = session;
      return { identity };
    }
    case 'FederatedUser': {
      const issuer = obj(obj(ui?.sessionContext)?.sessionIssuer);
      const identity: IdentityEvent['identity'] = { id: arn ?? principalId ?? 'unknown', type: 'federated' };
      const marker = arn?.indexOf(':federated-user/') ?? -1;
      if (arn !== undefined && marker > 0) identity.name = arn.slice(marker + 16);
      if (account !== undefined) identity.scope = account;
      const via = str(issuer?.arn);
      if (via !== undefined) identity.via = via;
      return { identity };
    }
    case 'WebIdentityUser':
    case 'SAMLUser': {
      // principalId is "<provider>:<audience>:<subject>" (web) or "<issuer hash>:<subject>" (SAML).
      const provider = str(ui?.identityProvider);
      const subject = str(ui?.userName);
      const identity: IdentityEvent['identity'] = {
        id: provider !== undefined && subject !== undefined ? `${provider}:${subject}` : (principalId ?? provider ?? 'unknown'),
        type: 'federated',
      };
      if (subject !== undefined) identity.name = subject;
      if (account !== undefined) identity.scope = account;
      return { identity };
    }
    case 'IdentityCenterUser': {
      const onBehalfOf = obj(ui?.onBehalfOf);
      const userId = str(onBehalfOf?.userId);
      const store = str(onBehalfOf?.identityStoreArn);
      const identity: IdentityEvent['identity'] = {
        id: userId !== undefined ? (store !== undefined ? `${store}/user/${userId}` : userId) : 'unknown',
        type: 'user',
      };
      if (account !== undefined) identity.scope = account;
      p = { identity };
      const credentialId = str(ui?.credentialId);
      if (credentialId !== undefined) {
        p.credentialId = credentialId;
        p.credentialType = 'aws-identity-center';
      }
      return p;
    }
    default: {
      // "Unknown", a future type, or none: AwsServiceEvent records carry only accountId and invokedBy.
      const invokedBy = str(ui?.invokedBy);
      const identity: IdentityEvent['identity'] =
        arn !== undefined || principalId !== undefined
          ? { id: (arn ?? principalId) as string, type: 'unknown' }
          : { id: invokedBy ?? eventSource, type: invokedBy !== undefined || ui === undefined ? 'aws-service' : 'unknown' };
      const userName = str(ui?.userName);
      if (userName !== undefined) identity.name = userName;
      if (account !== undefined) identity.scope = account;
      return { identity };
    }
  }
}

/** "arn:aws:sts::123456789012:assumed-role/Deploy/session" → "Deploy". */
function roleNameFromSessionArn(arn: string | undefined): string | undefined {
  if (arn === undefined) return undefined;
  const i = arn.indexOf(':assumed-role/');
  if (i < 0) return undefined;
  const start = i + 14;
  const end = arn.indexOf('/', start);
  return end > start ? arn.slice(start, end) : undefined;
}

/** The resource acted on: the first `resources[]` ARN, else a best effort from requestParameters. */
function resourceOf(
  r: Rec,
  rp: Rec | undefined,
  eventSource: string,
  region: string | undefined,
  account: string | undefined,
  partition: string,
): IdentityEvent['resource'] {
  const list = r.resources;
  if (Array.isArray(list)) {
    for (const item of list) {
      const o = obj(item);
      const id = str(o?.ARN) ?? str(o?.ARNPrefix);
      if (id === undefined) continue;
      const type = str(o?.type);
      return type !== undefined ? { type, id } : { id };
    }
  }
  if (rp === undefined) return undefined;
  const bucket = str(rp.bucketName);
  if (bucket !== undefined) {
    const key = str(rp.key);
    return key !== undefined
      ? { type: 'AWS::S3::Object', id: `arn:${partition}:s3:::${bucket}/${key}` }
      : { type: 'AWS::S3::Bucket', id: `arn:${partition}:s3:::${bucket}` };
  }
  const secretList = rp.secretIdList;
  const secretId = str(rp.secretId) ?? (Array.isArray(secretList) ? str(secretList[0]) : undefined);
  if (secretId !== undefined) return { type: 'AWS::SecretsManager::Secret', id: secretId };
  if (eventSource === 'ssm.amazonaws.com') {
    const names = rp.names;
    const name = str(rp.name) ?? str(rp.path) ?? (Array.isArray(names) ? str(names[0]) : undefined);
    if (name !== undefined) {
      const id = name.startsWith('arn:')
        ? name
        : `arn:${partition}:ssm:${region ?? ''}:${account ?? ''}:parameter${name[0] === '/' ? '' : '/'}${name}`;
      return { type: 'AWS::SSM::Parameter', id };
    }
  }
  const roleArn = str(rp.roleArn);
  if (roleArn !== undefined) return { type: 'AWS::IAM::Role', id: roleArn };
  if (eventSource === 'iam.amazonaws.com' && account !== undefined) {
    // The principal whose permissions change, before the policy attached to it.
    const roleName = str(rp.roleName);
    if (roleName !== undefined) return { type: 'AWS::IAM::Role', id: `arn:${partition}:iam::${account}:role/${roleName}` };
    const userName = str(rp.userName);
    if (userName !== undefined) return { type: 'AWS::IAM::User', id: `arn:${partition}:iam::${account}:user/${userName}` };
    const groupName = str(rp.groupName);
    if (groupName !== undefined) return { type: 'AWS::IAM::Group', id: `arn:${partition}:iam::${account}:group/${groupName}` };
  }
  const policyArn = str(rp.policyArn);
  if (policyArn !== undefined) return { type: 'AWS::IAM::ManagedPolicy', id: policyArn };
  const keyId = str(rp.keyId);
  if (keyId?.startsWith('arn:')) return { type: 'AWS::KMS::Key', id: keyId };
  return undefined;
}

/** Vendor fields with no place in the normalised event, kept small: scalars and a requestParameters subset. */
function rawOf(r: Rec, origin: RecordOrigin, ui: Rec | undefined, rp: Rec | undefined): IdentityEvent['raw'] {
  const extra: Rec = {};
  copy(extra, 'eventType', r.eventType);
  copy(extra, 'eventCategory', r.eventCategory);
  if (typeof r.readOnly === 'boolean') extra.readOnly = r.readOnly;
  if (typeof r.managementEvent === 'boolean') extra.managementEvent = r.managementEvent;
  copy(extra, 'recipientAccountId', r.recipientAccountId);
  copy(extra, 'sharedEventID', r.sharedEventID);
  copy(extra, 'vpcEndpointId', r.vpcEndpointId);
  copy(extra, 'requestID', r.requestID);
  copy(extra, 'errorMessage', r.errorMessage);
  copy(extra, 'sessionCredentialFromConsole', r.sessionCredentialFromConsole);
  if (ui !== undefined) {
    copy(extra, 'invokedBy', ui.invokedBy);
    copy(extra, 'principalId', ui.principalId);
    const sc = obj(ui.sessionContext);
    if (sc !== undefined) {
      copy(extra, 'mfaAuthenticated', obj(sc.attributes)?.mfaAuthenticated);
      copy(extra, 'sourceIdentity', sc.sourceIdentity);
      copy(extra, 'ec2RoleDelivery', sc.ec2RoleDelivery);
    }
  }
  const aed = obj(r.additionalEventData);
  if (aed !== undefined) copy(extra, 'MFAUsed', aed.MFAUsed);
  if (rp !== undefined) {
    const kept: Rec = {};
    let n = 0;
    for (const k of KEPT_PARAMS) {
      const v = rp[k];
      if (v === undefined || v === null) continue;
      if (typeof v === 'boolean' || num(v) !== undefined) kept[k] = v;
      else if (typeof v === 'string') kept[k] = clip(v);
      else if (Array.isArray(v))
        kept[k] = v
          .slice(0, 20)
          .filter((x) => typeof x === 'string')
          .map(clip);
      else continue;
      n++;
    }
    if (n > 0) extra.requestParameters = kept;
  }
  const raw: IdentityEvent['raw'] = { extra };
  if (origin.file !== undefined) raw.file = origin.file;
  if (origin.line !== undefined) raw.line = origin.line;
  return raw;
}

function copy(extra: Rec, k: string, v: unknown): void {
  if (typeof v === 'string') {
    if (v.length > 0) extra[k] = clip(v);
  } else if (typeof v === 'boolean' || num(v) !== undefined) extra[k] = v;
}

function clip(s: string): string {
  return s.length > MAX_EXTRA_STRING ? s.slice(0, MAX_EXTRA_STRING) : s;
}

/** AKIA… long-term user keys, ASIA… STS session keys (IAM user guide, "unique identifiers"). */
function keyType(key: string): string {
  if (key.startsWith('AKIA')) return 'aws-access-key';
  if (key.startsWith('ASIA')) return 'aws-session';
  return 'aws-credential';
}

function partitionOf(region: string | undefined): string {
  if (region === undefined) return 'aws';
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/**
 * STS `credentials.expiration` is written like "Oct 2, 2019, 11:12:29 PM" (UTC, no zone) in CloudTrail;
 * Date.parse would read that as local time, so the zone is added.
 */
function awsTime(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length === 0 || v.length > 64) return isoTime(v);
  const c = v.charCodeAt(0);
  const isLetter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  return isLetter ? isoTime(`${v} UTC`) : isoTime(v);
}

/** "i-0abc1234" or "i-0123456789abcdef0": EC2 instance ids, 8 or 17 lowercase hex digits. */
function isInstanceId(s: string): boolean {
  if ((s.length !== 10 && s.length !== 19) || !s.startsWith('i-')) return false;
  for (let i = 2; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** A dotted-quad IPv4 address, or an IPv6 address; service names and "AWS Internal" are not. */
function isIp(s: string): boolean {
  if (s.length > 45) return false;
  if (s.includes(':')) return isIPv6(s);
  let parts = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0) return false;
      parts++;
      digits = 0;
      value = 0;
    } else if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return false;
    } else return false;
  }
  return parts === 3 && digits > 0;
}
