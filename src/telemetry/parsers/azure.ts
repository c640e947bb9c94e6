/**
 * Azure and Microsoft Entra ID logs → IdentityEvent. Four formats, each with its own source name:
 *
 * - `azure-activity`: the Azure Activity Log, as diagnostic settings export it (`time`, `operationName`,
 *   `category`, `resultType`, `callerIpAddress`, `identity.claims`, `properties`) and as the REST API and
 *   Event Hub/Log Analytics exports write it (`caller`, `claims`, `httpRequest.clientIpAddress`,
 *   `operationName.value`, `status.value`, `eventTimestamp`).
 *   https://learn.microsoft.com/azure/azure-monitor/essentials/activity-log-schema
 * - `entra-signin`: sign-in logs (interactive, non-interactive, service principal and managed identity),
 *   as a diagnostic record (`category` …SignInLogs, fields under `properties`) or as Microsoft Graph
 *   returns them (`createdDateTime`, `appId`, `servicePrincipalId`, `servicePrincipalCredentialKeyId`,
 *   `ipAddress`, `location`, `status.errorCode`).
 *   https://learn.microsoft.com/graph/api/resources/signin
 * - `entra-audit`: directory audit logs (`activityDisplayName`, `initiatedBy.user|app`, `targetResources`
 *   with `modifiedProperties`), diagnostic (`category: AuditLogs`) or Graph form.
 *   https://learn.microsoft.com/graph/api/resources/directoryaudit
 * - `aks-audit`: AKS control-plane audit records in diagnostic logs (`category: kube-audit` or
 *   `kube-audit-admin`, the Kubernetes audit event as a JSON string in `properties.log`), read by the
 *   Kubernetes audit parser.
 *   https://learn.microsoft.com/azure/aks/monitor-aks-reference
 *
 * Identities: applications and managed identities by their application (client) id, lower-cased, the
 * one value all four logs carry (`appid` claim, `appId`, `initiatedBy.app.appId`), with the service
 * principal object id in `raw.extra.servicePrincipalId`; people by UPN. Credentials: the key id of the
 * secret or certificate (`servicePrincipalCredentialKeyId`, the `KeyIdentifier` an audit record names).
 */
import type { IdentityEvent } from '../../model/identity-event.js';
import type { EventParser, EventParserFactory, RecordOrigin } from '../types.js';
import { createK8sAuditParser } from './k8s-audit.js';
import { isoTime, obj, put, stableId, str } from './util.js';

type Rec = Record<string, unknown>;
type Result = IdentityEvent[] | { reject: string; detail?: string };
type Identity = IdentityEvent['identity'];

const SIGNIN_CATEGORIES = new Set([
  'SignInLogs',
  'NonInteractiveUserSignInLogs',
  'ServicePrincipalSignInLogs',
  'ManagedIdentitySignInLogs',
]);
const AKS_CATEGORIES = new Set(['kube-audit', 'kube-audit-admin']);
/** Largest `properties.log` string read as a Kubernetes audit event. */
const MAX_AKS_LOG = 1024 * 1024;

/** `category` as a string (diagnostic) or `{value}` (REST). */
function categoryOf(o: Rec): string | undefined {
  return str(o.category) ?? str(obj(o.category)?.value);
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CLAIM_OID = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
const CLAIM_UPN = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn';
const CLAIM_NAME = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name';
const CLAIM_TENANT = 'http://schemas.microsoft.com/identity/claims/tenantid';

/** Built-in role definition ids → names, for role assignments (Azure built-in roles reference). */
const ROLE_NAMES: Record<string, string> = {
  '8e3af657-a8ff-443c-a75c-2fe8c4bcd635': 'Owner',
  'b24988ac-6180-42a0-ab88-20f7382dd24c': 'Contributor',
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9': 'User Access Administrator',
  'f58310d9-a9f6-439a-9e8d-f62e7b41a168': 'Role Based Access Control Administrator',
  'acdd72a7-3385-48ef-bd42-f606fba81ae7': 'Reader',
  '00482a5a-887f-4fb3-b363-3b7fe8e74483': 'Key Vault Administrator',
  '4633458b-17de-408a-b874-0445c86b69e6': 'Key Vault Secrets User',
  'b86a8fe4-44ce-4948-aee5-eccb2c155cd7': 'Key Vault Secrets Officer',
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor',
  '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1': 'Storage Blob Data Reader',
  'b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b': 'Azure Kubernetes Service RBAC Cluster Admin',
  '0ab0b1a8-8aac-4efd-b8c2-3ee1fb270be8': 'Azure Kubernetes Service Cluster Admin Role',
};

/** A JSON-string field (`properties.requestbody`), parsed when small, else undefined. */
function jsonField(v: unknown, max = 64 * 1024): Rec | undefined {
  if (typeof v !== 'string' || v.length > max || !v.trimStart().startsWith('{')) return obj(v);
  try {
    return obj(JSON.parse(v));
  } catch {
    return undefined;
  }
}

function appIdentity(appId: string, name: string | undefined, tenant: string | undefined): Identity {
  const identity: Identity = { id: appId.toLowerCase(), type: 'app' };
  if (name !== undefined) identity.name = name;
  if (tenant !== undefined) identity.scope = tenant;
  return identity;
}

function userIdentity(upn: string | undefined, oid: string | undefined, tenant: string | undefined): Identity {
  const id = (upn ?? oid ?? 'azure:unknown').toLowerCase();
  const identity: Identity = { id, type: upn === undefined && oid === undefined ? 'unknown' : 'user' };
  if (upn !== undefined) identity.name = upn;
  if (tenant !== undefined) identity.scope = tenant;
  return identity;
}

function withOrigin(event: IdentityEvent, origin: RecordOrigin): IdentityEvent {
  if (origin.file !== undefined) event.raw.file = origin.file;
  if (origin.line !== undefined) event.raw.line = origin.line;
  return event;
}

// ---------------------------------------------------------------------------------------------
// Activity Log

/** Operations whose success hands out or reads a secret: storage keys, publishing profiles, kubeconfigs. */
const SECRET_READ =
  /\/(?:listKeys|listkeys|listAccountSas|listServiceSas|listConnectionStrings|listCredentials|listClusterAdminCredential|listClusterUserCredential|listSecrets|publishxml|listPublishingCredentials)\/action$|\/config\/list\/action$|\/secrets\/(?:read|getSecret\/action)$/i;
const KEY_ROTATION = /\/regenerateKey\/action$|\/regenerateAccessKey\/action$/i;
const PRIVILEGE =
  /^Microsoft\.Authorization\/(?:roleAssignments|roleDefinitions|roleAssignmentScheduleRequests|roleEligibilityScheduleRequests)\/write$|^Microsoft\.Authorization\/elevateAccess\/action$|\/federatedIdentityCredentials\/write$|^Microsoft\.KeyVault\/vaults\/accessPolicies\/write$/i;

function isActivity(o: Rec): boolean {
  const op = o.operationName;
  if (str(op) === undefined && str(obj(op)?.value) === undefined) return false;
  const category = categoryOf(o);
  if (category !== undefined && (SIGNIN_CATEGORIES.has(category) || AKS_CATEGORIES.has(category) || category === 'AuditLogs')) {
    return false;
  }
  if (str(o.eventDataId) !== undefined || str(o.eventTimestamp) !== undefined) return true;
  return (
    str(o.resourceId) !== undefined &&
    (str(o.time) !== undefined || str(o.TimeGenerated) !== undefined) &&
    (str(o.resultType) !== undefined || obj(o.identity) !== undefined || str(o.callerIpAddress) !== undefined)
  );
}

/** Azure Activity Log parser factory: stateless, one event per record. */
export const createAzureActivityParser = ((): EventParser => {
  function detect(record: unknown): boolean {
    const o = obj(record);
    return o !== undefined && isActivity(o);
  }

  function push(record: unknown, origin: RecordOrigin): Result {
    const o = obj(record);
    if (o === undefined || !isActivity(o)) return { reject: 'not-azure-activity' };
    const time = isoTime(o.time) ?? isoTime(o.eventTimestamp) ?? isoTime(o.TimeGenerated);
    if (time === undefined) return { reject: 'missing-time' };
    // Diagnostic exports upper-case the operation; the REST API writes it as registered. One spelling.
    const operationName = str(o.operationName) ?? str(obj(o.operationName)?.value);
    if (operationName === undefined) return { reject: 'missing-operation' };
    const operation = operationName.toLowerCase();
    const claims = obj(o.claims) ?? obj(obj(o.identity)?.claims) ?? jsonField(o.Claims) ?? {};
    const appId = str(claims.appid) ?? str(claims.azp);
    const oid = str(claims[CLAIM_OID]) ?? str(claims.oid);
    const upn = str(claims[CLAIM_UPN]) ?? str(claims.upn) ?? str(claims.unique_name);
    const tenant = str(claims[CLAIM_TENANT]) ?? str(claims.tid);
    const caller = str(o.caller) ?? str(o.Caller);
    // Applications and managed identities: `idtyp: app`, or an app id with no user principal name.
    const isApp =
      claims.idtyp === 'app' || (appId !== undefined && upn === undefined && (caller === undefined || GUID.test(caller)));
    let identity: Identity;
    if (isApp && appId !== undefined) {
      identity = appIdentity(appId, str(claims.name) ?? str(claims[CLAIM_NAME]), tenant);
      // A managed identity's resource id (`xms_mirid`) names it better than its app id.
      const mirid = str(claims.xms_mirid);
      if (mirid !== undefined) identity.name = mirid.split('/').pop() ?? identity.name;
    } else if (upn !== undefined || caller?.includes('@') === true) {
      identity = userIdentity(upn ?? caller, oid, tenant);
    } else if (caller !== undefined && GUID.test(caller)) {
      identity = appIdentity(caller, undefined, tenant);
    } else {
      identity = userIdentity(undefined, oid, tenant);
    }

    const statusText = str(o.resultType) ?? str(obj(o.status)?.value) ?? str(o.ActivityStatusValue) ?? str(o.status) ?? 'unknown';
    const outcome: IdentityEvent['outcome'] = /^(?:Success|Succeeded|Accept|Accepted)$/i.test(statusText)
      ? 'success'
      : /^(?:Failure|Failed)$/i.test(statusText)
        ? 'failure'
        : 'unknown';
    const props = obj(o.properties) ?? {};
    const tags: string[] = [];
    let grantedRoles: string[] | undefined;
    if (PRIVILEGE.test(operation)) {
      tags.push('privilege.change');
      const body =
        jsonField(props.requestbody) ??
        jsonField(props.requestBody) ??
        jsonField(props.responseBody) ??
        jsonField(props.responsebody);
      const bodyProps = obj(body?.properties) ?? obj(body?.Properties);
      const roleDef = str(bodyProps?.roleDefinitionId) ?? str(bodyProps?.RoleDefinitionId);
      const guid = roleDef?.split('/').pop()?.toLowerCase();
      if (guid !== undefined) grantedRoles = [ROLE_NAMES[guid] ?? guid];
      if (/elevateAccess/i.test(operation)) grantedRoles = ['User Access Administrator'];
    }
    if (SECRET_READ.test(operation) && outcome !== 'failure') tags.push('secret.read');
    let lifecycle: 'rotated' | undefined;
    if (KEY_ROTATION.test(operation) && outcome === 'success') {
      lifecycle = 'rotated';
      tags.push('credential.rotated');
    }

    const event: IdentityEvent = {
      id: str(o.eventDataId) ?? stableId('azure-activity', o),
      time,
      source: 'azure-activity',
      identity,
      action: `azure:${operation}`,
      outcome,
      client: {},
      tags,
      raw: {},
    };
    const resourceId = str(o.resourceId) ?? str(o.ResourceId) ?? str(obj(o.authorization)?.scope);
    if (resourceId !== undefined) event.resource = { type: resourceTypeOf(resourceId), id: resourceId };
    if (lifecycle !== undefined && resourceId !== undefined) {
      event.credential = { key: resourceId, type: 'azure-account-key', lifecycle, subject: resourceId };
    }
    if (outcome === 'failure') {
      event.reason = str(o.resultSignature) ?? str(obj(o.subStatus)?.value) ?? str(props.statusCode) ?? statusText;
    }
    const ip = str(o.callerIpAddress) ?? str(obj(o.httpRequest)?.clientIpAddress) ?? str(o.CallerIpAddress);
    if (ip !== undefined) event.client.ip = ip;
    const region = str(o.location);
    if (region !== undefined && region !== 'global') event.client.region = region;
    let extra: Rec | undefined;
    if (appId !== undefined) extra = put(extra, 'appId', appId);
    if (oid !== undefined) extra = put(extra, 'servicePrincipalId', oid);
    const category = categoryOf(o);
    if (category !== undefined) extra = put(extra, 'category', category);
    if (grantedRoles !== undefined) extra = put(extra, 'grantedRoles', grantedRoles);
    const correlation = str(o.correlationId);
    if (correlation !== undefined) extra = put(extra, 'correlationId', correlation);
    if (extra !== undefined) event.raw.extra = extra;
    return [withOrigin(event, origin)];
  }

  return { source: 'azure-activity', detect, push, flush: () => [] };
}) satisfies EventParserFactory;

/** `Microsoft.Storage/storageAccounts` from an ARM resource id. */
function resourceTypeOf(id: string): string {
  const m = /\/providers\/([^/]+)\/([^/]+)/i.exec(id);
  if (m) return `${m[1]}/${m[2]}`;
  if (/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/?$/i.test(id)) return 'resourceGroup';
  if (/^\/subscriptions\/[^/]+\/?$/i.test(id)) return 'subscription';
  return 'azure-resource';
}

// ---------------------------------------------------------------------------------------------
// Entra ID sign-in logs

/** The record's fields: under `properties` in a diagnostic record, at the top in Graph's form. */
function signInBody(o: Rec): Rec | undefined {
  const category = categoryOf(o);
  const props = obj(o.properties);
  if (category !== undefined && SIGNIN_CATEGORIES.has(category) && props !== undefined) return props;
  if (
    str(o.createdDateTime) !== undefined &&
    obj(o.status) !== undefined &&
    (str(o.appId) !== undefined || str(o.userPrincipalName) !== undefined)
  ) {
    return o;
  }
  return undefined;
}

/** Entra ID sign-in log parser factory: stateless, one event per sign-in. */
export const createEntraSignInParser = ((): EventParser => {
  function detect(record: unknown): boolean {
    const o = obj(record);
    return o !== undefined && signInBody(o) !== undefined;
  }

  function push(record: unknown, origin: RecordOrigin): Result {
    const o = obj(record);
    const b = o === undefined ? undefined : signInBody(o);
    if (o === undefined || b === undefined) return { reject: 'not-entra-signin' };
    const time = isoTime(b.createdDateTime) ?? isoTime(o.time);
    if (time === undefined) return { reject: 'missing-time' };
    const category = categoryOf(o);
    const appId = str(b.appId);
    const spId = str(b.servicePrincipalId);
    const tenant = str(b.resourceTenantId) ?? str(b.homeTenantId) ?? str(o.tenantId);
    const upn = str(b.userPrincipalName);
    const signInTypes = Array.isArray(b.signInEventTypes) ? b.signInEventTypes.filter((x) => typeof x === 'string') : [];
    const workload =
      category === 'ServicePrincipalSignInLogs' ||
      category === 'ManagedIdentitySignInLogs' ||
      signInTypes.some((t) => t === 'servicePrincipal' || t === 'managedIdentity') ||
      (upn === undefined && spId !== undefined && GUID.test(spId));
    const managed =
      category === 'ManagedIdentitySignInLogs' ||
      signInTypes.includes('managedIdentity') ||
      str(b.managedIdentityType) !== undefined;
    const identity =
      workload && appId !== undefined
        ? appIdentity(appId, str(b.servicePrincipalName) ?? str(b.appDisplayName), tenant)
        : userIdentity(upn, str(b.userId), tenant);

    const status = obj(b.status);
    const code = status?.errorCode;
    const codeText = typeof code === 'number' ? String(code) : (str(code) ?? '0');
    const outcome: IdentityEvent['outcome'] = codeText === '0' ? 'success' : 'failure';
    const tags = ['auth.login'];
    // AADSTS7000222: the client secret presented has expired. A copy of a credential that should be
    // dead is still in use somewhere, which is what a revoked-token reuse report means too.
    if (codeText === '7000222') tags.push('credential.reuse-detected');
    const event: IdentityEvent = {
      id: str(b.id) ?? str(o.correlationId) ?? stableId('entra-signin', o),
      time,
      source: 'entra-signin',
      identity,
      action: managed ? 'entra:managed-identity-sign-in' : workload ? 'entra:service-principal-sign-in' : 'entra:sign-in',
      outcome,
      client: {},
      tags,
      raw: {},
    };
    const keyId = str(b.servicePrincipalCredentialKeyId);
    const thumbprint = str(b.servicePrincipalCredentialThumbprint);
    const credType = str(b.clientCredentialType);
    if (keyId !== undefined || thumbprint !== undefined) {
      event.credential = {
        key: (keyId ?? thumbprint)!.toLowerCase(),
        type:
          credType === 'certificate' || (keyId === undefined && thumbprint !== undefined)
            ? 'entra-certificate'
            : 'entra-client-secret',
        lifecycle: 'used',
      };
    }
    const resource = str(b.resourceDisplayName) ?? str(b.resourceId);
    if (resource !== undefined) event.resource = { type: 'entra-resource', id: resource };
    if (outcome === 'failure')
      event.reason = str(status?.failureReason) ? `${codeText}: ${str(status?.failureReason)}` : codeText;
    const ip = str(b.ipAddress) ?? str(o.callerIpAddress);
    if (ip !== undefined) event.client.ip = ip;
    const loc = obj(b.location);
    const where = [str(loc?.city), str(loc?.countryOrRegion)].filter((x) => x !== undefined).join(', ');
    if (where !== '') event.client.location = where;
    else if (typeof b.location === 'string' && b.location !== '') event.client.location = b.location;
    const ua = str(b.userAgent);
    if (ua !== undefined) event.client.userAgent = ua;
    const msi = str(b.msiResourceId) ?? str(b.managedIdentityResourceId);
    if (msi !== undefined) event.client.workload = msi;
    let extra: Rec | undefined;
    if (spId !== undefined) extra = put(extra, 'servicePrincipalId', spId);
    if (appId !== undefined) extra = put(extra, 'appId', appId);
    if (credType !== undefined) extra = put(extra, 'clientCredentialType', credType);
    if (category !== undefined) extra = put(extra, 'category', category);
    if (str(b.riskLevelDuringSignIn) !== undefined) extra = put(extra, 'riskLevel', b.riskLevelDuringSignIn);
    if (str(b.conditionalAccessStatus) !== undefined) extra = put(extra, 'conditionalAccessStatus', b.conditionalAccessStatus);
    if (extra !== undefined) event.raw.extra = extra;
    return [withOrigin(event, origin)];
  }

  return { source: 'entra-signin', detect, push, flush: () => [] };
}) satisfies EventParserFactory;

// ---------------------------------------------------------------------------------------------
// Entra ID audit logs

function auditBody(o: Rec): Rec | undefined {
  const props = obj(o.properties);
  if (categoryOf(o) === 'AuditLogs' && props !== undefined && str(props.activityDisplayName) !== undefined) return props;
  if (str(o.activityDisplayName) !== undefined && obj(o.initiatedBy) !== undefined) return o;
  return undefined;
}

/** Activities that add a secret, certificate or federated credential to an application or service principal. */
const CREDENTIAL_ADDED =
  /^(?:Add service principal credentials|Update application . Certificates and secrets management|Add application credentials|Add federated identity credential)/i;
const CREDENTIAL_REMOVED =
  /^(?:Remove service principal credentials|Remove application credentials|Remove federated identity credential)/i;
const PRIVILEGE_ACTIVITY =
  /^(?:Add member to role|Add eligible member to role|Add scoped member to role|Add app role assignment to service principal|Add app role assignment grant to user|Add delegated permission grant|Consent to application|Add owner to application|Add owner to service principal|Add role assignment|Update role|Add member to group)/i;

/** Each `modifiedProperties` entry of the targets: its display name and the chosen side's value. */
function* modified(targets: unknown, which: 'newValue' | 'oldValue'): Generator<[name: string, value: string]> {
  if (!Array.isArray(targets)) return;
  for (const t of targets.slice(0, 20)) {
    const mods = obj(t)?.modifiedProperties;
    if (!Array.isArray(mods)) continue;
    for (const m of mods.slice(0, 50)) {
      const v = str(obj(m)?.[which]);
      if (v !== undefined) yield [str(obj(m)?.displayName) ?? '', v.slice(0, 20_000)];
    }
  }
}

/** KeyIdentifier values in `modifiedProperties` (`[KeyIdentifier=<guid>,KeyType=Password,…]`). */
function keyIds(targets: unknown, which: 'newValue' | 'oldValue'): string[] {
  const out = new Set<string>();
  for (const [, v] of modified(targets, which)) {
    for (const k of v.matchAll(/KeyIdentifier=([0-9a-fA-F-]{36})/g)) out.add(k[1]!.toLowerCase());
  }
  return [...out];
}

const GRANT_PROPERTY =
  /^(?:Role\.DisplayName|AppRole\.Value|DelegatedPermissionGrant\.Scope|Role\.TemplateId|RoleDefinition\.DisplayName)$/;

/** Role, app role or permission names an audit record grants (`Role.DisplayName`, `AppRole.Value`, scopes). */
function grantedOf(targets: unknown): string[] {
  const out = new Set<string>();
  for (const [name, v] of modified(targets, 'newValue')) {
    if (!GRANT_PROPERTY.test(name)) continue;
    for (const part of v.split(',').slice(0, 20)) {
      const role = part.replace(/^[\s"[\]]+|[\s"[\]]+$/g, '');
      if (role !== '') out.add(role);
    }
  }
  return [...out];
}

/** Entra ID audit log parser factory: stateless, one event per audit record. */
export const createEntraAuditParser = ((): EventParser => {
  function detect(record: unknown): boolean {
    const o = obj(record);
    return o !== undefined && auditBody(o) !== undefined;
  }

  function push(record: unknown, origin: RecordOrigin): Result {
    const o = obj(record);
    const b = o === undefined ? undefined : auditBody(o);
    if (o === undefined || b === undefined) return { reject: 'not-entra-audit' };
    const time = isoTime(b.activityDateTime) ?? isoTime(o.time);
    if (time === undefined) return { reject: 'missing-time' };
    const activity = str(b.activityDisplayName)!;
    const by = obj(b.initiatedBy) ?? {};
    const app = obj(by.app);
    const user = obj(by.user);
    const tenant = str(o.tenantId) ?? str(b.tenantId);
    let identity: Identity;
    const appId = str(app?.appId);
    if (user !== undefined && (str(user.userPrincipalName) !== undefined || str(user.id) !== undefined)) {
      identity = userIdentity(str(user.userPrincipalName), str(user.id), tenant);
    } else if (appId !== undefined) {
      identity = appIdentity(appId, str(app?.displayName) ?? str(app?.servicePrincipalName), tenant);
    } else if (str(app?.servicePrincipalId) !== undefined) {
      identity = { id: str(app?.servicePrincipalId)!.toLowerCase(), type: 'app', name: str(app?.displayName) ?? 'app' };
    } else {
      identity = { id: 'entra:unknown', type: 'unknown' };
    }
    const result = str(b.result) ?? str(o.resultType) ?? 'success';
    const outcome: IdentityEvent['outcome'] = /^success/i.test(result)
      ? 'success'
      : /^fail/i.test(result)
        ? 'failure'
        : 'unknown';
    const targets = b.targetResources;
    const target = Array.isArray(targets) ? obj(targets[0]) : undefined;
    const tags: string[] = [];
    let lifecycle: 'issued' | 'revoked' | undefined;
    let subject: string | undefined;
    if (outcome !== 'failure' && CREDENTIAL_ADDED.test(activity)) {
      lifecycle = 'issued';
      // The new key: in newValue and not in oldValue (an update lists every key the app holds).
      const before = new Set(keyIds(targets, 'oldValue'));
      subject = keyIds(targets, 'newValue').find((k) => !before.has(k)) ?? str(target?.id);
    } else if (outcome !== 'failure' && CREDENTIAL_REMOVED.test(activity)) {
      lifecycle = 'revoked';
      const after = new Set(keyIds(targets, 'newValue'));
      subject = keyIds(targets, 'oldValue').find((k) => !after.has(k)) ?? str(target?.id);
    }
    if (lifecycle !== undefined) tags.push(`credential.${lifecycle}`);
    let granted: string[] | undefined;
    if (PRIVILEGE_ACTIVITY.test(activity)) {
      tags.push('privilege.change');
      granted = grantedOf(targets);
    }
    const event: IdentityEvent = {
      id: str(b.id) ?? stableId('entra-audit', o),
      time,
      source: 'entra-audit',
      identity,
      action: `entra:${activity}`,
      outcome,
      client: {},
      tags,
      raw: {},
    };
    if (lifecycle !== undefined && subject !== undefined) {
      event.credential = {
        key: subject,
        type: /federated/i.test(activity) ? 'entra-federated-credential' : 'entra-client-secret',
        lifecycle,
        subject,
      };
    }
    if (target !== undefined) {
      const id = str(target.id) ?? str(target.displayName);
      if (id !== undefined) {
        event.resource = { id, type: str(target.type) ?? 'entra-object' };
      }
    }
    if (outcome === 'failure') event.reason = str(b.resultReason) ?? result;
    const ip = str(user?.ipAddress) ?? str(o.callerIpAddress);
    if (ip !== undefined) event.client.ip = ip;
    let extra: Rec | undefined;
    const spId = str(app?.servicePrincipalId);
    if (spId !== undefined) extra = put(extra, 'servicePrincipalId', spId);
    if (target !== undefined && str(target.displayName) !== undefined) extra = put(extra, 'targetName', target.displayName);
    if (granted !== undefined && granted.length > 0) extra = put(extra, 'grantedRoles', granted);
    const category = str(b.category);
    if (category !== undefined) extra = put(extra, 'category', category);
    if (extra !== undefined) event.raw.extra = extra;
    return [withOrigin(event, origin)];
  }

  return { source: 'entra-audit', detect, push, flush: () => [] };
}) satisfies EventParserFactory;

// ---------------------------------------------------------------------------------------------
// AKS audit in Azure diagnostic logs

/** AKS kube-audit parser factory: the embedded Kubernetes audit event through the Kubernetes parser. */
export const createAksAuditParser = ((): EventParser => {
  const k8s = createK8sAuditParser();
  function detect(record: unknown): boolean {
    const o = obj(record);
    const c = o === undefined ? undefined : categoryOf(o);
    return c !== undefined && AKS_CATEGORIES.has(c) && obj(o!.properties) !== undefined;
  }
  function push(record: unknown, origin: RecordOrigin): Result {
    const o = obj(record);
    const props = o === undefined ? undefined : obj(o.properties);
    if (o === undefined || props === undefined) return { reject: 'not-aks-audit' };
    const log = props.log;
    let inner: unknown;
    if (typeof log === 'string') {
      if (log.length > MAX_AKS_LOG) return { reject: 'log-too-large', detail: `${log.length} characters` };
      try {
        inner = JSON.parse(log);
      } catch {
        return { reject: 'invalid-embedded-json', detail: 'properties.log is not JSON' };
      }
    } else inner = obj(log);
    if (obj(inner) === undefined) return { reject: 'missing-log', detail: 'no properties.log' };
    const out = k8s.push(inner, origin);
    if (!Array.isArray(out)) return out;
    const cluster = str(o.resourceId);
    const roleRef = str(obj(obj(obj(inner)?.requestObject)?.roleRef)?.name);
    for (const e of out) {
      e.source = 'aks-audit';
      if (roleRef !== undefined) e.raw.extra = put(e.raw.extra, 'grantedRoles', [roleRef]);
      if (cluster !== undefined) e.raw.extra = put(e.raw.extra, 'cluster', cluster.split('/').pop()?.toLowerCase() ?? cluster);
    }
    return out;
  }
  return { source: 'aks-audit', detect, push, flush: () => [] };
}) satisfies EventParserFactory;
