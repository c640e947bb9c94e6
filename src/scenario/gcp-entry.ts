import { randomChars } from '../model/random.js';

/*
 * Cloud Audit Logs entries as Cloud Logging writes them, for the synthetic estate (the demo and the
 * benches) and the parser's samples. Here, not beside the samples: the demo is part of the package and
 * the samples are not.
 */

const HEX = '0123456789abcdef';

/** A user-managed key id as GCP writes it (40 hex, a key file's private_key_id). */
export function gcpKeyId(rnd: () => number): string {
  return randomChars(HEX, 40, rnd);
}

/** One audit LogEntry: the shape every GCP sample (and the demo scenario) uses. */
export function gcpEntry(
  rnd: () => number,
  opts: {
    project: string;
    time: string;
    principal: string;
    keyId?: string | undefined;
    service: string;
    method: string;
    resourceName: string;
    resourceType?: string;
    ip?: string;
    userAgent?: string;
    code?: number;
    request?: Record<string, unknown>;
    response?: Record<string, unknown>;
    serviceData?: Record<string, unknown>;
    delegation?: string[];
    permission?: string;
    log?: 'activity' | 'data_access';
  },
): Record<string, unknown> {
  const auth: Record<string, unknown> = { principalEmail: opts.principal };
  if (opts.keyId !== undefined) {
    auth.serviceAccountKeyName = `//iam.googleapis.com/projects/${opts.project}/serviceAccounts/${opts.principal}/keys/${opts.keyId}`;
  }
  if (opts.delegation !== undefined) {
    auth.serviceAccountDelegationInfo = opts.delegation.map((p) => ({ firstPartyPrincipal: { principalEmail: p } }));
  }
  const payload: Record<string, unknown> = {
    '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
    status: opts.code === undefined || opts.code === 0 ? {} : { code: opts.code, message: 'Permission denied.' },
    authenticationInfo: auth,
    requestMetadata: {
      callerIp: opts.ip ?? '198.51.100.23',
      callerSuppliedUserAgent:
        opts.userAgent ?? 'google-cloud-sdk gcloud/489.0.0 command/gcloud.iam.service-accounts.keys.create',
      requestAttributes: { time: opts.time, auth: {} },
      destinationAttributes: {},
    },
    serviceName: opts.service,
    methodName: opts.method,
    authorizationInfo: [
      {
        resource: opts.resourceName,
        permission: opts.permission ?? 'iam.serviceAccountKeys.create',
        granted: opts.code === undefined || opts.code === 0,
        resourceAttributes: {},
      },
    ],
    resourceName: opts.resourceName,
  };
  if (opts.request !== undefined) payload.request = opts.request;
  if (opts.response !== undefined) payload.response = opts.response;
  if (opts.serviceData !== undefined) payload.serviceData = opts.serviceData;
  return {
    protoPayload: payload,
    insertId: randomChars('abcdefghijklmnopqrstuvwxyz0123456789', 12, rnd),
    resource: { type: opts.resourceType ?? 'service_account', labels: { project_id: opts.project } },
    timestamp: opts.time,
    severity: opts.code ? 'ERROR' : 'NOTICE',
    logName: `projects/${opts.project}/logs/cloudaudit.googleapis.com%2F${opts.log ?? 'activity'}`,
    receiveTimestamp: opts.time,
  };
}
