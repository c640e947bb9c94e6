import {
  DeleteAccessKeyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  IAMClient,
  NoSuchEntityException,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { ProviderError, retryAfterMs } from '../http.js';
import type { Action, ActionRuntime, Incident, PlannedCall, Subject } from '../types.js';
import { alertCredentials, alertIdentities, call, missing, opt } from './common.js';

/*
 * AWS IAM through @aws-sdk/client-iam (the IAM Query API, version 2010-05-08). Credentials come from
 * the SDK's default chain (environment, shared files, SSO, instance roles). The SDK reads
 * AWS_ENDPOINT_URL_IAM itself, but only from process.env; Warden passes the endpoint from its own
 * environment (which the CLI takes from the process, and tests set) so both agree. SDK retries are
 * off: Warden's own retry honours Retry-After and the step's time limit.
 */

const API_VERSION = '2010-05-08';

function endpoint(env: ActionRuntime['env']): string | undefined {
  return env.AWS_ENDPOINT_URL_IAM ?? env.AWS_ENDPOINT_URL;
}

function client(env: ActionRuntime['env']): IAMClient {
  const url = endpoint(env);
  const key = env.AWS_ACCESS_KEY_ID;
  const secret = env.AWS_SECRET_ACCESS_KEY;
  return new IAMClient({
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    maxAttempts: 1,
    ...(url ? { endpoint: url } : {}),
    // The chain's first link, from Warden's environment; without it the SDK walks the rest of its chain.
    ...(key && secret
      ? {
          credentials: {
            accessKeyId: key,
            secretAccessKey: secret,
            ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
          },
        }
      : {}),
  });
}

/** IAM errors as ProviderError, with the status and Retry-After the raw response carried. */
async function send<T>(rt: ActionRuntime, run: (iam: IAMClient, signal: AbortSignal) => Promise<T>): Promise<T> {
  const iam = client(rt.env);
  try {
    return await call(rt, async (signal) => {
      try {
        return await run(iam, signal);
      } catch (error) {
        const e = error as {
          $metadata?: { httpStatusCode?: number };
          $response?: { headers?: Record<string, string> };
          name?: string;
          message?: string;
        };
        const status = e.$metadata?.httpStatusCode;
        if (status === undefined || error instanceof NoSuchEntityException) throw error;
        throw new ProviderError(
          `IAM answered ${status}: ${e.name}: ${e.message}`,
          status,
          e.message ?? '',
          retryAfterMs(e.$response?.headers?.['retry-after']),
        );
      }
    });
  } finally {
    iam.destroy();
  }
}

const USER_ARN = /^arn:aws[\w-]*:iam::\d{12}:user\/(?:.*\/)?([\w+=,.@-]+)$/;
const ROLE_ARN = /^arn:aws[\w-]*:iam::\d{12}:role\/(?:.*\/)?([\w+=,.@-]+)$/;
const KEY_ID = /^(AKIA|ASIA)[A-Z0-9]{16}$/;

/** The IAM user an access key belongs to: the alert's identity, or the one the graph ties the key to. */
function userOf(incident: Incident): string | undefined {
  for (const id of alertIdentities(incident)) {
    const m = USER_ARN.exec(id);
    if (m) return m[1];
  }
  return undefined;
}

async function keySubjects(incident: Incident): Promise<Subject[] | { missing: string }> {
  const keys = alertCredentials(incident).filter((c) => KEY_ID.test(c.key));
  if (keys.length === 0) return missing('the alert names no AWS access key id');
  const longTerm = keys.filter((k) => k.key.startsWith('AKIA'));
  if (longTerm.length === 0)
    return missing(
      'the alert names only temporary (ASIA) credentials, which IAM cannot deactivate: revoke the role sessions instead',
    );
  const user = userOf(incident);
  if (user === undefined) return missing(`no IAM user owns access key ${longTerm[0]!.key} in the alert or the identity graph`);
  return longTerm.map((k) => ({ key: `${k.key} of ${user}`, fields: { AccessKeyId: k.key, UserName: user }, revokes: k.key }));
}

function query(env: ActionRuntime['env'], params: Record<string, string>): PlannedCall {
  return { method: 'POST', url: endpoint(env) ?? 'https://iam.amazonaws.com/', body: { ...params, Version: API_VERSION } };
}

/** UpdateAccessKey Status=Inactive: the key stops working at once and can be turned back on (the undo). */
export const awsDeactivateAccessKey: Action = {
  name: 'aws.deactivate-access-key',
  describe: 'deactivate an IAM access key (UpdateAccessKey Status=Inactive)',
  subjects: keySubjects,
  calls: (s, _o, env) => [
    query(env, {
      Action: 'UpdateAccessKey',
      AccessKeyId: s.fields.AccessKeyId!,
      UserName: s.fields.UserName!,
      Status: 'Inactive',
    }),
  ],
  async run(s, _o, rt) {
    const { AccessKeyId, UserName } = s.fields as { AccessKeyId: string; UserName: string };
    const out = await send(rt, (iam, abortSignal) =>
      iam.send(new UpdateAccessKeyCommand({ AccessKeyId, UserName, Status: 'Inactive' }), { abortSignal }),
    );
    return {
      outcome: 'done',
      answer: { status: out.$metadata.httpStatusCode, requestId: out.$metadata.requestId },
      undo: [query(rt.env, { Action: 'UpdateAccessKey', AccessKeyId, UserName, Status: 'Active' })],
    };
  },
};

/** DeleteAccessKey: final. A key already gone (NoSuchEntity) is left as it is. */
export const awsDeleteAccessKey: Action = {
  name: 'aws.delete-access-key',
  describe: 'delete an IAM access key (DeleteAccessKey); no undo: issue a new key',
  subjects: keySubjects,
  calls: (s, _o, env) => [
    query(env, { Action: 'DeleteAccessKey', AccessKeyId: s.fields.AccessKeyId!, UserName: s.fields.UserName! }),
  ],
  async run(s, _o, rt) {
    const { AccessKeyId, UserName } = s.fields as { AccessKeyId: string; UserName: string };
    try {
      const out = await send(rt, (iam, abortSignal) =>
        iam.send(new DeleteAccessKeyCommand({ AccessKeyId, UserName }), { abortSignal }),
      );
      return { outcome: 'done', answer: { status: out.$metadata.httpStatusCode, requestId: out.$metadata.requestId } };
    } catch (error) {
      if (error instanceof NoSuchEntityException)
        return { outcome: 'unchanged', answer: { status: 404, reason: 'no such access key: already deleted' } };
      throw error;
    }
  },
};

/** DetachUserPolicy / DetachRolePolicy of the managed policies the graph attaches to the identity (or `with.policyArn`). */
export const awsDetachPolicy: Action = {
  name: 'aws.detach-policy',
  describe: 'detach a managed policy from an IAM user or role (DetachUserPolicy / DetachRolePolicy)',
  async subjects(incident, options) {
    let principal: { kind: 'User' | 'Role'; name: string } | undefined;
    for (const id of alertIdentities(incident)) {
      const u = USER_ARN.exec(id);
      const r = ROLE_ARN.exec(id);
      if (u) principal = { kind: 'User', name: u[1]! };
      else if (r) principal = { kind: 'Role', name: r[1]! };
      if (principal) break;
    }
    if (principal === undefined) return missing('the alert names no IAM user or role');
    const given = opt(options, 'policyArn');
    const arns = given ? [given] : incident.policies.filter((p) => /^arn:aws[\w-]*:iam::(\d{12}|aws):policy\//.test(p));
    if (arns.length === 0)
      return missing(`the identity graph attaches no managed policy to ${principal.name} (name one with with.policyArn)`);
    return arns.map((arn) => ({
      key: `${arn} from ${principal.kind.toLowerCase()} ${principal.name}`,
      fields: { PolicyArn: arn, [`${principal.kind}Name`]: principal.name },
    }));
  },
  calls: (s, _o, env) => [
    s.fields.UserName
      ? query(env, { Action: 'DetachUserPolicy', UserName: s.fields.UserName, PolicyArn: s.fields.PolicyArn! })
      : query(env, { Action: 'DetachRolePolicy', RoleName: s.fields.RoleName!, PolicyArn: s.fields.PolicyArn! }),
  ],
  async run(s, _o, rt) {
    const { PolicyArn, UserName, RoleName } = s.fields as { PolicyArn: string; UserName?: string; RoleName?: string };
    try {
      const out = await send(rt, (iam, abortSignal) =>
        UserName
          ? iam.send(new DetachUserPolicyCommand({ UserName, PolicyArn }), { abortSignal })
          : iam.send(new DetachRolePolicyCommand({ RoleName: RoleName!, PolicyArn }), { abortSignal }),
      );
      return {
        outcome: 'done',
        answer: { status: out.$metadata.httpStatusCode, requestId: out.$metadata.requestId },
        undo: [
          UserName
            ? query(rt.env, { Action: 'AttachUserPolicy', UserName, PolicyArn })
            : query(rt.env, { Action: 'AttachRolePolicy', RoleName: RoleName!, PolicyArn }),
        ],
      };
    } catch (error) {
      if (error instanceof NoSuchEntityException)
        return { outcome: 'unchanged', answer: { status: 404, reason: 'policy not attached' } };
      throw error;
    }
  },
};
