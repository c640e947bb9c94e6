import { createRandom, randomChars } from '../../model/random.js';

/**
 * Synthetic Azure Activity Log, Entra ID sign-in and audit, and AKS kube-audit records, shaped as
 * diagnostic settings and Microsoft Graph write them. Documentation IPs (RFC 5737), made-up GUIDs,
 * no secrets.
 * @example for (const r of azureActivity.sampleRecords(7)) parser.push(r, { line: 1 })
 */
export const azureActivity = { sampleRecords: activitySamples };
export const entraSignIn = { sampleRecords: signInSamples };
export const entraAudit = { sampleRecords: auditSamples };
export const aksAudit = { sampleRecords: aksSamples };

const HEX = '0123456789abcdef';

/** A random GUID (lower case). */
export function guid(rnd: () => number): string {
  const h = (n: number) => randomChars(HEX, n, rnd);
  return `${h(8)}-${h(4)}-4${h(3)}-a${h(3)}-${h(12)}`;
}

const OWNER = '8e3af657-a8ff-443c-a75c-2fe8c4bcd635';

/** An Activity Log record as diagnostic settings export it. */
export function activityRecord(
  rnd: () => number,
  o: {
    time: string;
    subscription: string;
    operation: string;
    resourceId: string;
    appId?: string;
    objectId?: string;
    upn?: string;
    result?: string;
    ip?: string;
    tenant: string;
    requestbody?: unknown;
    managedIdentity?: string;
  },
): Record<string, unknown> {
  const claims: Record<string, unknown> = {
    aud: 'https://management.core.windows.net/',
    iss: `https://sts.windows.net/${o.tenant}/`,
    'http://schemas.microsoft.com/identity/claims/tenantid': o.tenant,
  };
  if (o.appId !== undefined) claims.appid = o.appId;
  if (o.objectId !== undefined) claims['http://schemas.microsoft.com/identity/claims/objectidentifier'] = o.objectId;
  if (o.upn !== undefined) claims['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn'] = o.upn;
  else claims.idtyp = 'app';
  if (o.managedIdentity !== undefined) claims.xms_mirid = o.managedIdentity;
  const properties: Record<string, unknown> = {
    statusCode: o.result === 'Failure' ? 'Forbidden' : 'OK',
    eventCategory: 'Administrative',
  };
  if (o.requestbody !== undefined) properties.requestbody = JSON.stringify(o.requestbody);
  return {
    time: o.time,
    resourceId: o.resourceId.toUpperCase(),
    operationName: o.operation.toUpperCase(),
    category: 'Administrative',
    resultType: o.result ?? 'Success',
    resultSignature: o.result === 'Failure' ? 'Forbidden.AuthorizationFailed' : 'Succeeded.OK',
    durationMs: '512',
    callerIpAddress: o.ip ?? '203.0.113.77',
    correlationId: guid(rnd),
    identity: {
      authorization: {
        scope: o.resourceId,
        action: o.operation,
        evidence: { role: 'Contributor', principalType: 'ServicePrincipal' },
      },
      claims,
    },
    level: 'Information',
    location: 'global',
    properties,
  };
}

function activitySamples(seed = 1): unknown[] {
  const rnd = createRandom(seed);
  const tenant = guid(rnd);
  const sub = guid(rnd);
  const time = '2026-11-03T08:30:00.000Z';
  const app = guid(rnd);
  const appOid = guid(rnd);
  const sp = { appId: app, objectId: appOid, tenant, time, subscription: sub };
  const rg = `/subscriptions/${sub}/resourceGroups/rg-app`;
  return [
    activityRecord(rnd, {
      ...sp,
      operation: 'Microsoft.Authorization/roleAssignments/write',
      resourceId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleAssignments/${guid(rnd)}`,
      requestbody: {
        Id: guid(rnd),
        Properties: {
          PrincipalId: guid(rnd),
          PrincipalType: 'ServicePrincipal',
          RoleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${OWNER}`,
          Scope: `/subscriptions/${sub}`,
        },
      },
    }),
    activityRecord(rnd, {
      ...sp,
      operation: 'Microsoft.Storage/storageAccounts/listKeys/action',
      resourceId: `${rg}/providers/Microsoft.Storage/storageAccounts/acmeprodlogs`,
    }),
    activityRecord(rnd, {
      ...sp,
      operation: 'Microsoft.Compute/virtualMachines/write',
      resourceId: `${rg}/providers/Microsoft.Compute/virtualMachines/web-1`,
    }),
    activityRecord(rnd, {
      tenant,
      time,
      subscription: sub,
      upn: 'ops@example.com',
      objectId: guid(rnd),
      appId: '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
      operation: 'Microsoft.Storage/storageAccounts/regenerateKey/action',
      resourceId: `${rg}/providers/Microsoft.Storage/storageAccounts/acmeprodlogs`,
    }),
    activityRecord(rnd, {
      ...sp,
      operation: 'Microsoft.KeyVault/vaults/write',
      resourceId: `${rg}/providers/Microsoft.KeyVault/vaults/kv-app`,
      result: 'Failure',
    }),
    // REST API shape.
    {
      authorization: { action: 'Microsoft.Web/sites/config/list/action', scope: `${rg}/providers/Microsoft.Web/sites/api` },
      caller: app,
      claims: { appid: app, idtyp: 'app', oid: appOid, tid: tenant },
      correlationId: guid(rnd),
      eventDataId: guid(rnd),
      eventName: { value: 'EndRequest', localizedValue: 'End request' },
      category: { value: 'Administrative', localizedValue: 'Administrative' },
      eventTimestamp: time,
      httpRequest: { clientRequestId: guid(rnd), clientIpAddress: '198.51.100.14', method: 'POST' },
      level: 'Informational',
      operationName: {
        value: 'Microsoft.Web/sites/config/list/action',
        localizedValue: 'List Web App Security Sensitive Settings',
      },
      resourceGroupName: 'rg-app',
      resourceId: `${rg}/providers/Microsoft.Web/sites/api`,
      status: { value: 'Succeeded', localizedValue: 'Succeeded' },
      subStatus: { value: 'OK' },
      submissionTimestamp: time,
      subscriptionId: sub,
      tenantId: tenant,
    },
  ];
}

/** A sign-in as a diagnostic record (`properties` holds the Graph signIn fields). */
export function signInRecord(
  rnd: () => number,
  o: {
    time: string;
    tenant: string;
    category: 'ServicePrincipalSignInLogs' | 'ManagedIdentitySignInLogs' | 'SignInLogs';
    appId: string;
    spId?: string;
    name: string;
    keyId?: string;
    ip?: string;
    errorCode?: number;
    country?: string;
    upn?: string;
  },
): Record<string, unknown> {
  const props: Record<string, unknown> = {
    id: guid(rnd),
    createdDateTime: o.time,
    appId: o.appId,
    appDisplayName: o.name,
    ipAddress: o.ip ?? '203.0.113.10',
    location: { city: 'Amsterdam', state: 'Noord-Holland', countryOrRegion: o.country ?? 'NL' },
    resourceDisplayName: 'Microsoft Graph',
    resourceId: '00000003-0000-0000-c000-000000000000',
    status: o.errorCode ? { errorCode: o.errorCode, failureReason: 'Invalid client secret provided.' } : { errorCode: 0 },
    correlationId: guid(rnd),
    conditionalAccessStatus: 'notApplied',
  };
  if (o.category === 'SignInLogs') {
    props.userPrincipalName = o.upn;
    props.userId = guid(rnd);
    props.userAgent = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)';
  } else {
    props.servicePrincipalId = o.spId ?? guid(rnd);
    props.servicePrincipalName = o.name;
    if (o.keyId !== undefined) {
      props.servicePrincipalCredentialKeyId = o.keyId;
      props.clientCredentialType = 'clientSecret';
    } else if (o.category === 'ManagedIdentitySignInLogs') {
      props.clientCredentialType = 'managedIdentity';
      props.managedIdentityType = 'userAssigned';
    }
  }
  return {
    time: o.time,
    resourceId: `/tenants/${o.tenant}/providers/Microsoft.aadiam`,
    operationName: 'Sign-in activity',
    operationVersion: '1.0',
    category: o.category,
    tenantId: o.tenant,
    resultType: String(o.errorCode ?? 0),
    callerIpAddress: o.ip ?? '203.0.113.10',
    correlationId: props.correlationId,
    properties: props,
  };
}

function signInSamples(seed = 1): unknown[] {
  const rnd = createRandom(seed);
  const tenant = guid(rnd);
  const time = '2026-11-03T07:00:00.000Z';
  const app = guid(rnd);
  const key = guid(rnd);
  return [
    signInRecord(rnd, { time, tenant, category: 'ServicePrincipalSignInLogs', appId: app, name: 'billing-sync', keyId: key }),
    signInRecord(rnd, {
      time,
      tenant,
      category: 'ServicePrincipalSignInLogs',
      appId: app,
      name: 'billing-sync',
      keyId: key,
      errorCode: 7000215,
      ip: '192.0.2.200',
    }),
    signInRecord(rnd, { time, tenant, category: 'ManagedIdentitySignInLogs', appId: guid(rnd), name: 'mi-app' }),
    signInRecord(rnd, { time, tenant, category: 'SignInLogs', appId: guid(rnd), name: 'Azure Portal', upn: 'ops@example.com' }),
    // Graph API shape.
    {
      id: guid(rnd),
      createdDateTime: time,
      appId: app,
      appDisplayName: 'billing-sync',
      servicePrincipalId: guid(rnd),
      servicePrincipalName: 'billing-sync',
      servicePrincipalCredentialKeyId: key,
      ipAddress: '198.51.100.3',
      location: { city: 'Dublin', countryOrRegion: 'IE' },
      status: { errorCode: 0 },
      signInEventTypes: ['servicePrincipal'],
      resourceDisplayName: 'Azure Key Vault',
    },
  ];
}

/** A directory audit record as a diagnostic record. */
export function auditRecord(
  rnd: () => number,
  o: {
    time: string;
    tenant: string;
    activity: string;
    by: { app?: { appId: string; displayName: string; servicePrincipalId: string }; user?: { upn: string } };
    target: { id: string; displayName: string; type: string };
    modified?: Array<{ displayName: string; oldValue: string; newValue: string }>;
    result?: string;
  },
): Record<string, unknown> {
  const initiatedBy: Record<string, unknown> = {};
  if (o.by.app !== undefined) initiatedBy.app = { ...o.by.app, servicePrincipalName: null };
  if (o.by.user !== undefined) initiatedBy.user = { id: guid(rnd), userPrincipalName: o.by.user.upn, ipAddress: '203.0.113.5' };
  return {
    time: o.time,
    resourceId: `/tenants/${o.tenant}/providers/Microsoft.aadiam`,
    operationName: o.activity,
    operationVersion: '1.0',
    category: 'AuditLogs',
    tenantId: o.tenant,
    resultSignature: 'None',
    durationMs: 0,
    correlationId: guid(rnd),
    Level: 4,
    properties: {
      id: `Directory_${guid(rnd)}`,
      category: 'ApplicationManagement',
      correlationId: guid(rnd),
      result: o.result ?? 'success',
      resultReason: '',
      activityDisplayName: o.activity,
      activityDateTime: o.time,
      loggedByService: 'Core Directory',
      operationType: 'Update',
      initiatedBy,
      targetResources: [{ ...o.target, modifiedProperties: o.modified ?? [] }],
      additionalDetails: [],
    },
  };
}

/** `[KeyIdentifier=…,KeyType=Password,…]` as Entra writes a credential list in modifiedProperties. */
export function keyDescription(keyIds: string[]): string {
  return JSON.stringify(keyIds.map((k) => `[KeyIdentifier=${k},KeyType=Password,KeyUsage=Verify,DisplayName=ci]`));
}

function auditSamples(seed = 1): unknown[] {
  const rnd = createRandom(seed);
  const tenant = guid(rnd);
  const time = '2026-11-03T07:30:00.000Z';
  const app = { appId: guid(rnd), displayName: 'deploy-automation', servicePrincipalId: guid(rnd) };
  const spTarget = { id: guid(rnd), displayName: 'billing-sync', type: 'ServicePrincipal' };
  const oldKey = guid(rnd);
  const newKey = guid(rnd);
  return [
    auditRecord(rnd, {
      time,
      tenant,
      activity: 'Add service principal credentials',
      by: { app },
      target: spTarget,
      modified: [
        { displayName: 'KeyDescription', oldValue: keyDescription([oldKey]), newValue: keyDescription([oldKey, newKey]) },
      ],
    }),
    auditRecord(rnd, {
      time,
      tenant,
      activity: 'Remove service principal credentials',
      by: { user: { upn: 'ops@example.com' } },
      target: spTarget,
      modified: [
        { displayName: 'KeyDescription', oldValue: keyDescription([oldKey, newKey]), newValue: keyDescription([newKey]) },
      ],
    }),
    auditRecord(rnd, {
      time,
      tenant,
      activity: 'Add app role assignment to service principal',
      by: { app },
      target: spTarget,
      modified: [{ displayName: 'AppRole.Value', oldValue: '', newValue: '"RoleManagement.ReadWrite.Directory"' }],
    }),
    auditRecord(rnd, {
      time,
      tenant,
      activity: 'Add member to role',
      by: { app },
      target: { id: guid(rnd), displayName: null as unknown as string, type: 'ServicePrincipal' },
      modified: [{ displayName: 'Role.DisplayName', oldValue: '', newValue: '"Global Administrator"' }],
    }),
    auditRecord(rnd, {
      time,
      tenant,
      activity: 'Update user',
      by: { user: { upn: 'helpdesk@example.com' } },
      target: { id: guid(rnd), displayName: 'lee@example.com', type: 'User' },
    }),
    // Graph API shape.
    {
      id: `Directory_${guid(rnd)}`,
      category: 'ApplicationManagement',
      correlationId: guid(rnd),
      result: 'success',
      resultReason: '',
      activityDisplayName: 'Update application – Certificates and secrets management ',
      activityDateTime: time,
      loggedByService: 'Core Directory',
      operationType: 'Update',
      initiatedBy: { user: { id: guid(rnd), userPrincipalName: 'dev@example.com', ipAddress: '198.51.100.9' } },
      targetResources: [
        {
          id: guid(rnd),
          displayName: 'billing-sync',
          type: 'Application',
          modifiedProperties: [{ displayName: 'KeyDescription', oldValue: '[]', newValue: keyDescription([guid(rnd)]) }],
        },
      ],
      additionalDetails: [],
    },
  ];
}

/** An AKS kube-audit diagnostic record around a Kubernetes audit event. */
export function aksRecord(
  rnd: () => number,
  time: string,
  cluster: string,
  event: Record<string, unknown>,
): Record<string, unknown> {
  return {
    operationName: 'Microsoft.ContainerService/managedClusters/diagnosticLogs/Read',
    category: 'kube-audit',
    ccpNamespace: randomChars(HEX, 24, rnd),
    resourceId: `/SUBSCRIPTIONS/${guid(rnd).toUpperCase()}/RESOURCEGROUPS/RG-AKS/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/${cluster.toUpperCase()}`,
    properties: { log: JSON.stringify(event), stream: 'stdout', pod: `kube-apiserver-${randomChars(HEX, 8, rnd)}` },
    time,
    Cloud: 'AzureCloud',
    Environment: 'prod',
  };
}

/** A Kubernetes audit event (ResponseComplete) for the AKS samples and the demo scenario. */
export function k8sEvent(
  rnd: () => number,
  o: {
    time: string;
    user: string;
    verb: string;
    resource: string;
    namespace?: string;
    name?: string;
    code?: number;
    ip?: string;
  },
): Record<string, unknown> {
  const ref: Record<string, unknown> = { resource: o.resource, apiVersion: 'v1' };
  if (o.namespace !== undefined) ref.namespace = o.namespace;
  if (o.name !== undefined) ref.name = o.name;
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: guid(rnd),
    stage: 'ResponseComplete',
    requestURI: `/api/v1/${o.namespace ? `namespaces/${o.namespace}/` : ''}${o.resource}${o.name ? `/${o.name}` : ''}`,
    verb: o.verb,
    user: { username: o.user, groups: ['system:serviceaccounts', 'system:authenticated'] },
    sourceIPs: [o.ip ?? '10.224.0.15'],
    userAgent: 'kubectl/v1.30.4 (linux/amd64) kubernetes/abc1234',
    objectRef: ref,
    responseStatus: { metadata: {}, code: o.code ?? 200 },
    requestReceivedTimestamp: o.time,
    stageTimestamp: o.time,
    annotations: { 'authorization.k8s.io/decision': (o.code ?? 200) < 400 ? 'allow' : 'forbid' },
  };
}

function aksSamples(seed = 1): unknown[] {
  const rnd = createRandom(seed);
  const time = '2026-11-03T09:00:00.000Z';
  const sa = 'system:serviceaccount:payments:api';
  return [
    aksRecord(
      rnd,
      time,
      'prod-aks',
      k8sEvent(rnd, { time, user: sa, verb: 'get', resource: 'configmaps', namespace: 'payments', name: 'cfg' }),
    ),
    aksRecord(
      rnd,
      time,
      'prod-aks',
      k8sEvent(rnd, { time, user: sa, verb: 'list', resource: 'secrets', namespace: 'kube-system' }),
    ),
    aksRecord(
      rnd,
      time,
      'prod-aks',
      k8sEvent(rnd, {
        time,
        user: 'system:serviceaccount:ci:deployer',
        verb: 'create',
        resource: 'clusterrolebindings',
        name: 'pwn',
      }),
    ),
    aksRecord(
      rnd,
      time,
      'prod-aks',
      k8sEvent(rnd, { time, user: 'masterclient', verb: 'get', resource: 'pods', namespace: 'default', code: 403 }),
    ),
  ];
}
