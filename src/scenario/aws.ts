/**
 * AWS identities as CloudTrail records them: application roles (EKS IRSA or ECS task roles) reading
 * their own bucket, table and secrets from a few private addresses with rotating ASIA session keys; CI
 * deploy roles assumed through GitHub Actions OIDC at deploy times; IAM users with a long-term AKIA
 * key running batch jobs or polling; and the Lambda that rotates those keys.
 *
 * Record shapes follow the CloudTrail record contents and userIdentity references
 * (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html)
 * and the samples in src/telemetry/parsers/cloudtrail.samples.ts.
 */
import { BASE32, type Rng } from './random.js';
import type { Activity, Actor, DayContext, Emit, IdentityProfile } from './types.js';
import { DAY, HOUR, MINUTE } from './types.js';
import {
  ACCOUNTS,
  awsExpiration,
  CLUSTERS,
  type Cluster,
  ctTime,
  dailyCount,
  type Env,
  egressIp,
  ORG,
  REGIONS,
  spread,
  weekday,
} from './world.js';

type Rec = Record<string, unknown>;

export const akia = (rng: Rng) => `AKIA${rng.chars(BASE32, 16)}`;
export const asia = (rng: Rng) => `ASIA${rng.chars(BASE32, 16)}`;
const uniqueId = (rng: Rng, prefix: string) => `${prefix}${rng.chars(BASE32, 17)}`;

/** SDK user agents: one per identity, the same on every call (a version bump keeps the family). */
export const SDK_AGENTS = {
  boto3: (v: number) =>
    `Boto3/1.34.${v} md/Botocore#1.34.${v} ua/2.0 os/linux#5.10.213-201.855.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.2 cfg/retry-mode#legacy Botocore/1.34.${v}`,
  java: (v: number) =>
    `aws-sdk-java/2.25.${v} Linux/5.10.213-201.855.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy`,
  go: (v: number) => `aws-sdk-go-v2/1.25.${v} os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/dynamodb#1.30.0`,
  js: (v: number) => `aws-sdk-js/3.5${v}.0 ua/2.0 os/linux#5.10.213 lang/js md/nodejs#20.12.0 api/s3#3.540.0`,
} as const;
export type SdkName = keyof typeof SDK_AGENTS;
const cliAgent = (command: string) =>
  `aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79-99.167.amzn2023.x86_64 exe/x86_64.amzn.2023 prompt/off command/${command}`;

export interface AwsRole {
  account: string;
  name: string;
  path: string;
  id: string;
  arn: string;
}

export interface AwsUser {
  account: string;
  name: string;
  principalId: string;
  arn: string;
}

export function makeRole(rng: Rng, account: string, name: string, path = '/'): AwsRole {
  return { account, name, path, id: uniqueId(rng, 'AROA'), arn: `arn:aws:iam::${account}:role${path}${name}` };
}

/** userIdentity of an assumed-role session (the identity the parser names is the role's ARN). */
export function assumedRole(role: AwsRole, session: string, key: string, created: number): Rec {
  return {
    type: 'AssumedRole',
    principalId: `${role.id}:${session}`,
    arn: `arn:aws:sts::${role.account}:assumed-role/${role.name}/${session}`,
    accountId: role.account,
    accessKeyId: key,
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: role.id, arn: role.arn, accountId: role.account, userName: role.name },
      webIdFederationData: {},
      attributes: { creationDate: ctTime(created), mfaAuthenticated: 'false' },
    },
  };
}

/** userIdentity of an IAM user calling with its access key. */
export function iamUser(user: AwsUser, key: string): Rec {
  return {
    type: 'IAMUser',
    principalId: user.principalId,
    arn: user.arn,
    accountId: user.account,
    accessKeyId: key,
    userName: user.name,
  };
}

export interface CtCall {
  t: number;
  userIdentity: Rec;
  service: string;
  name: string;
  region: string;
  ip: string;
  ua: string;
  account: string;
  params?: Rec | null;
  response?: Rec | null;
  error?: { code: string; message: string };
  resources?: Rec[];
  readOnly: boolean;
  /** An S3 or DynamoDB data event rather than a management event. */
  data?: boolean;
  extra?: Rec;
  eventType?: string;
}

/** One CloudTrail record, field order as CloudTrail writes it. */
export function ctRecord(rng: Rng, c: CtCall): Rec {
  const r: Rec = {
    eventVersion: c.data ? '1.10' : '1.09',
    userIdentity: c.userIdentity,
    eventTime: ctTime(c.t),
    eventSource: `${c.service}.amazonaws.com`,
    eventName: c.name,
    awsRegion: c.region,
    sourceIPAddress: c.ip,
    // S3 writes the agent in brackets.
    userAgent: c.service === 's3' ? `[${c.ua}]` : c.ua,
  };
  if (c.error !== undefined) {
    r.errorCode = c.error.code;
    r.errorMessage = c.error.message;
  }
  r.requestParameters = c.params ?? null;
  r.responseElements = c.response ?? null;
  if (c.extra !== undefined) r.additionalEventData = c.extra;
  r.requestID = c.service === 's3' ? rng.chars('0123456789ABCDEF', 16) : rng.uuid();
  r.eventID = rng.uuid();
  r.readOnly = c.readOnly;
  if (c.resources !== undefined) r.resources = c.resources;
  r.eventType = c.eventType ?? 'AwsApiCall';
  r.managementEvent = !c.data;
  r.recipientAccountId = c.account;
  r.eventCategory = c.data ? 'Data' : 'Management';
  if (!c.data && c.eventType === undefined) {
    r.tlsDetails = {
      tlsVersion: 'TLSv1.3',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      clientProvidedHostHeader: `${c.service}.${c.service === 'iam' ? '' : `${c.region}.`}amazonaws.com`,
    };
  }
  return r;
}

// ---------------------------------------------------------------- common calls

interface Caller {
  userIdentity: Rec;
  account: string;
  region: string;
  ip: string;
  ua: string;
}

export function s3Call(
  rng: Rng,
  t: number,
  by: Caller,
  name: 'GetObject' | 'PutObject',
  bucket: string,
  key: string,
  error?: CtCall['error'],
): Rec {
  const c: CtCall = {
    t,
    ...by,
    service: 's3',
    name,
    params: { bucketName: bucket, Host: `${bucket}.s3.${by.region}.amazonaws.com`, key },
    extra: {
      SignatureVersion: 'SigV4',
      CipherSuite: 'TLS_AES_128_GCM_SHA256',
      bytesTransferredIn: name === 'PutObject' ? rng.int(200, 90_000) : 0,
      AuthenticationMethod: 'AuthHeader',
      'x-amz-id-2': rng.hex(32),
      bytesTransferredOut: name === 'GetObject' ? rng.int(200, 900_000) : 0,
    },
    resources: [
      { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/${key}` },
      { accountId: by.account, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` },
    ],
    readOnly: name === 'GetObject',
    data: true,
  };
  if (error !== undefined) c.error = error;
  return ctRecord(rng, c);
}

export function dynamoCall(rng: Rng, t: number, by: Caller, name: string, table: string, error?: CtCall['error']): Rec {
  const c: CtCall = {
    t,
    ...by,
    service: 'dynamodb',
    name,
    params: { tableName: table, key: { pk: 'HIDDEN_DUE_TO_SECURITY_REASONS' } },
    resources: [
      { accountId: by.account, type: 'AWS::DynamoDB::Table', ARN: `arn:aws:dynamodb:${by.region}:${by.account}:table/${table}` },
    ],
    readOnly: name !== 'PutItem' && name !== 'UpdateItem',
    data: true,
  };
  if (error !== undefined) c.error = error;
  return ctRecord(rng, c);
}

export function getSecretValue(rng: Rng, t: number, by: Caller, secretArn: string, error?: CtCall['error']): Rec {
  const c: CtCall = {
    t,
    ...by,
    service: 'secretsmanager',
    name: 'GetSecretValue',
    params: { secretId: secretArn },
    readOnly: true,
  };
  if (error !== undefined) c.error = error;
  return ctRecord(rng, c);
}

/** A simple management call with no parameters worth naming (Describe*, List*, GetCallerIdentity). */
export function mgmtCall(
  rng: Rng,
  t: number,
  by: Caller,
  service: string,
  name: string,
  params?: Rec,
  error?: CtCall['error'],
): Rec {
  const c: CtCall = {
    t,
    ...by,
    service,
    name,
    params: params ?? null,
    readOnly: /^(Describe|List|Get|BatchGet|Head)/.test(name),
  };
  if (error !== undefined) c.error = error;
  return ctRecord(rng, c);
}

export function secretArn(rng: Rng, account: string, region: string, name: string): string {
  return `arn:aws:secretsmanager:${region}:${account}:secret:${name}-${rng.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 6)}`;
}

// ---------------------------------------------------------------- application roles

/** An application's role: EKS IRSA (one-hour web-identity sessions) or an ECS task role (six-hour sessions). */
export class AppRoleActor implements Actor {
  readonly profile: IdentityProfile;
  readonly role: AwsRole;
  readonly region: string;
  readonly tz: number;
  readonly mode: 'irsa' | 'ecs';
  readonly cluster: Cluster;
  readonly namespace: string;
  readonly bucket: string;
  readonly table: string;
  readonly secrets: string[];
  /** The private addresses it calls from (pods or tasks in one VPC). */
  readonly ips: string[];
  readonly vpcB: number;
  readonly sdk: SdkName;
  sdkVersion: number;
  readonly mean: number;
  readonly shape: 'always' | 'business';
  /** The live STS session: key, name, when it started and ends. */
  session: { key: string; name: string; start: number; end: number } | undefined;
  readonly oidcProvider: string;
  /** A benign change: from `from`, a share of calls come from a second region's VPC (a rollout). */
  rollout: { from: number; region: string; ips: string[]; share: number } | undefined;
  /** A benign change: from `from`, the daily volume is multiplied (a sale, a launch). */
  growth: { from: number; factor: number } | undefined;

  constructor(rng: Rng, name: string, app: string, env: Env, shape: 'always' | 'business') {
    const home = rng.pick(REGIONS);
    this.region = home.region;
    this.tz = home.tz;
    const account = ACCOUNTS[env];
    this.mode = rng.chance(0.6) ? 'irsa' : 'ecs';
    this.cluster = CLUSTERS.find((c) => c.env === env && c.region === home.region) ?? CLUSTERS.find((c) => c.env === env)!;
    this.namespace = app;
    this.role = makeRole(rng, account, `${name}-${this.mode === 'irsa' ? 'irsa' : 'task'}`, '/service-role/');
    this.bucket = `${ORG}-${app}-${env}-${rng.hex(4)}`;
    this.table = `${app}-${env}-${rng.pick(['items', 'events', 'state', 'sessions', 'ledger'])}`;
    this.secrets = Array.from({ length: rng.int(1, 3) }, (_, i) =>
      secretArn(rng, account, this.region, `${env}/${app}/${['db', 'api-keys', 'signing-key'][i]}`),
    );
    this.vpcB = rng.int(16, 63);
    this.ips = Array.from({ length: rng.int(2, 4) }, () => `10.${this.vpcB}.${rng.int(0, 63)}.${rng.int(4, 250)}`);
    this.sdk = rng.pick(['boto3', 'java', 'go', 'js'] as const);
    this.sdkVersion = rng.int(10, 40);
    this.mean = shape === 'always' ? 44 : 36;
    this.shape = shape;
    this.oidcProvider = `arn:aws:iam::${account}:oidc-provider/oidc.eks.${this.cluster.region}.amazonaws.com/id/${this.cluster.oidcId}`;
    this.profile = {
      id: this.role.arn,
      kind: 'aws-app-role',
      source: 'cloudtrail',
      name: this.role.name,
      schedule: shape,
      tzOffsetHours: this.tz,
      environment: env,
    };
  }

  get ua(): string {
    return SDK_AGENTS[this.sdk](this.sdkVersion);
  }

  /** The web-identity subject IRSA presents: the pod's service account. */
  get oidcSubject(): string {
    return `system:serviceaccount:${this.namespace}:${this.role.name.replace(/-irsa$/, '')}`;
  }

  caller(ip: string): Caller {
    const s = this.session!;
    return {
      userIdentity: assumedRole(this.role, s.name, s.key, s.start),
      account: this.role.account,
      region: this.region,
      ip,
      ua: this.ua,
    };
  }

  /** Starts a new STS session at `t`, logging its issuance as CloudTrail does for the mode. */
  startSession(rng: Rng, emit: Emit, t: number, ip: string): void {
    const key = asia(rng);
    const ttl = this.mode === 'irsa' ? HOUR : 6 * HOUR;
    const name = this.mode === 'irsa' ? `botocore-session-${Math.floor(t / 1000)}` : rng.hex(32);
    this.session = { key, name, start: t, end: t + ttl - rng.int(2, 8) * MINUTE };
    const assumed = {
      assumedRoleId: `${this.role.id}:${name}`,
      arn: `arn:aws:sts::${this.role.account}:assumed-role/${this.role.name}/${name}`,
    };
    // The credentials are fetched a moment before the first call that needs them.
    const issuedAt = t - rng.int(50, 900);
    if (this.mode === 'irsa') {
      emit(
        'cloudtrail',
        issuedAt,
        ctRecord(rng, {
          t: issuedAt,
          userIdentity: {
            type: 'WebIdentityUser',
            principalId: `${this.oidcProvider}:sts.amazonaws.com:${this.oidcSubject}`,
            userName: this.oidcSubject,
            identityProvider: this.oidcProvider,
          },
          service: 'sts',
          name: 'AssumeRoleWithWebIdentity',
          region: this.region,
          ip,
          ua: this.ua,
          account: this.role.account,
          params: { roleArn: this.role.arn, roleSessionName: name },
          response: {
            credentials: { accessKeyId: key, expiration: awsExpiration(t + ttl) },
            subjectFromWebIdentityToken: this.oidcSubject,
            assumedRoleUser: assumed,
            provider: this.oidcProvider,
            audience: 'sts.amazonaws.com',
          },
          resources: [{ accountId: this.role.account, type: 'AWS::IAM::Role', ARN: this.role.arn }],
          readOnly: true,
        }),
      );
    } else {
      // ECS fetches task-role credentials itself: an AWSService AssumeRole from ecs-tasks.amazonaws.com.
      const svc = 'ecs-tasks.amazonaws.com';
      emit(
        'cloudtrail',
        issuedAt,
        ctRecord(rng, {
          t: issuedAt,
          userIdentity: { type: 'AWSService', invokedBy: svc },
          service: 'sts',
          name: 'AssumeRole',
          region: this.region,
          ip: svc,
          ua: svc,
          account: this.role.account,
          params: { roleArn: this.role.arn, roleSessionName: name },
          response: { credentials: { accessKeyId: key, expiration: awsExpiration(t + ttl) }, assumedRoleUser: assumed },
          resources: [{ accountId: this.role.account, type: 'AWS::IAM::Role', ARN: this.role.arn }],
          readOnly: true,
        }),
      );
    }
  }

  /** One ordinary call of this application. */
  call(rng: Rng, emit: Emit, t: number, fail: boolean): void {
    const rolled =
      this.rollout !== undefined && t >= this.rollout.from && rng.chance(this.rollout.share) ? this.rollout : undefined;
    const ip = rng.pick(rolled?.ips ?? this.ips);
    if (this.session === undefined || t >= this.session.end) this.startSession(rng, emit, t, ip);
    const by = rolled === undefined ? this.caller(ip) : { ...this.caller(ip), region: rolled.region };
    const op = rng.weighted([
      ['get', 35],
      ['put', 10],
      ['getItem', 20],
      ['query', 15],
      ['putItem', 10],
      ['secret', 6],
      ['whoami', 4],
    ] as const);
    const objectKey = () =>
      `${rng.pick(['in', 'out', 'cache', 'exports'])}/${new Date(t).toISOString().slice(0, 10)}/${rng.hex(12)}.json`;
    let rec: Rec;
    switch (op) {
      case 'get':
        rec = s3Call(
          rng,
          t,
          by,
          'GetObject',
          this.bucket,
          objectKey(),
          fail ? { code: 'NoSuchKey', message: 'The specified key does not exist.' } : undefined,
        );
        break;
      case 'put':
        rec = s3Call(rng, t, by, 'PutObject', this.bucket, objectKey());
        break;
      case 'getItem':
        rec = dynamoCall(
          rng,
          t,
          by,
          'GetItem',
          this.table,
          fail ? { code: 'ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' } : undefined,
        );
        break;
      case 'query':
        rec = dynamoCall(rng, t, by, 'Query', this.table);
        break;
      case 'putItem':
        rec = dynamoCall(
          rng,
          t,
          by,
          'PutItem',
          this.table,
          fail ? { code: 'ConditionalCheckFailedException', message: 'The conditional request failed' } : undefined,
        );
        break;
      case 'secret':
        rec = getSecretValue(rng, t, by, rng.pick(this.secrets));
        break;
      default:
        rec = mgmtCall(rng, t, by, 'sts', 'GetCallerIdentity');
    }
    emit('cloudtrail', t, rec);
  }

  plan(ctx: DayContext): Activity[] {
    const { rng } = ctx;
    // A pod rescheduled onto another node: a new address inside the same /16 (must not alert).
    if (rng.chance(0.1)) this.ips[rng.int(0, this.ips.length - 1)] = `10.${this.vpcB}.${rng.int(0, 63)}.${rng.int(4, 250)}`;
    // An SDK upgrade: same family, new version.
    if (rng.chance(0.02)) this.sdkVersion++;
    const grown = this.growth !== undefined && ctx.dayStart >= this.growth.from ? this.growth.factor : 1;
    const n = dailyCount(ctx, rng, this.mean * ctx.scale * grown, this.shape);
    const times = spread(ctx, rng, this.tz, n, this.shape);
    const failAt = rng.chance(0.05) && times.length > 0 ? rng.int(0, times.length - 1) : -1;
    return times.map((t, i) => ({ t, run: () => this.call(rng, ctx.emit, t, i === failAt) }));
  }

  /** The supporting identity that logs the web-identity calls (IRSA only). */
  supportProfile(): IdentityProfile | undefined {
    if (this.mode !== 'irsa') return undefined;
    return {
      id: `${this.oidcProvider}:${this.oidcSubject}`,
      kind: 'aws-oidc-session',
      source: 'cloudtrail',
      name: this.oidcSubject,
      schedule: this.shape,
      tzOffsetHours: this.tz,
      support: true,
    };
  }
}

// ---------------------------------------------------------------- CI deploy roles

/** A deploy role assumed by GitHub Actions through OIDC from self-hosted runners, at deploy times. */
export class CiRoleActor implements Actor {
  readonly profile: IdentityProfile;
  readonly role: AwsRole;
  readonly region: string;
  readonly tz: number;
  readonly repo: string;
  readonly runnerIps: string[];
  readonly artifacts: string;
  readonly cluster: string;
  readonly service: string;
  readonly oidcProvider: string;
  readonly subject: string;
  /** Weekly clean-up job: weekday and local hour, or undefined. */
  readonly weekly: { day: number; hour: number } | undefined;

  constructor(rng: Rng, name: string, app: string, env: Env, site: number) {
    const home = rng.pick(REGIONS);
    this.region = home.region;
    this.tz = home.tz;
    const account = ACCOUNTS[env];
    this.role = makeRole(rng, account, `gha-${name}-deploy`);
    this.repo = `${ORG}/${name}`;
    this.runnerIps = [egressIp(site, rng.int(0, 99)), egressIp(site, rng.int(100, 199))];
    this.artifacts = `${ORG}-${app}-artifacts-${rng.hex(4)}`;
    this.cluster = `${env}-${app}`;
    this.service = name;
    this.oidcProvider = `arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com`;
    this.subject = `repo:${this.repo}:ref:refs/heads/main`;
    this.weekly = rng.chance(0.5) ? { day: 1, hour: rng.int(5, 7) } : undefined;
    this.profile = {
      id: this.role.arn,
      kind: 'aws-ci-role',
      source: 'cloudtrail',
      name: this.role.name,
      schedule: 'deploy',
      tzOffsetHours: this.tz,
      environment: env,
    };
  }

  /** A benign change: the runner pool moves to another egress range (same hosts, new /24). */
  movePool(site: number): void {
    this.runnerIps.splice(0, this.runnerIps.length, ...this.runnerIps.map((ip) => egressIp(site, Number(ip.split('.')[3]) - 10)));
  }

  /** An extra deploy at `t` (an on-call fix at the weekend), from the usual runners. */
  deployAt(rng: Rng, emit: Emit, t: number): void {
    this.deploy(rng, emit, t, false);
  }

  /** Assumes the role as a workflow run does; returns the session's caller. */
  assume(rng: Rng, emit: Emit, t: number, ip: string): { caller: (command: string) => Caller; key: string } {
    const key = asia(rng);
    const session = `GitHubActions-${rng.int(1e9, 9e9)}`;
    emit(
      'cloudtrail',
      t,
      ctRecord(rng, {
        t,
        userIdentity: {
          type: 'WebIdentityUser',
          principalId: `${this.oidcProvider}:sts.amazonaws.com:${this.subject}`,
          userName: this.subject,
          identityProvider: this.oidcProvider,
        },
        service: 'sts',
        name: 'AssumeRoleWithWebIdentity',
        region: this.region,
        ip,
        ua: 'aws-sdk-nodejs/2.1563.0 linux/v20.11.1 configure-aws-credentials-for-github-actions promise',
        account: this.role.account,
        params: { roleArn: this.role.arn, roleSessionName: session, durationSeconds: 3600 },
        response: {
          credentials: { accessKeyId: key, expiration: awsExpiration(t + HOUR) },
          subjectFromWebIdentityToken: this.subject,
          assumedRoleUser: {
            assumedRoleId: `${this.role.id}:${session}`,
            arn: `arn:aws:sts::${this.role.account}:assumed-role/${this.role.name}/${session}`,
          },
          provider: this.oidcProvider,
          audience: 'sts.amazonaws.com',
        },
        resources: [{ accountId: this.role.account, type: 'AWS::IAM::Role', ARN: this.role.arn }],
        readOnly: true,
      }),
    );
    const identity = assumedRole(this.role, session, key, t);
    return {
      key,
      caller: (command) => ({
        userIdentity: identity,
        account: this.role.account,
        region: this.region,
        ip,
        ua: cliAgent(command),
      }),
    };
  }

  private deploy(rng: Rng, emit: Emit, t0: number, failing: boolean): void {
    const ip = rng.pick(this.runnerIps);
    const { caller } = this.assume(rng, emit, t0, ip);
    let t = t0 + rng.int(5, 40) * 1000;
    const step = () => {
      t += rng.int(2, 30) * 1000;
      return t;
    };
    emit('cloudtrail', step(), mgmtCall(rng, t, caller('ecr.get-login-password'), 'ecr', 'GetAuthorizationToken'));
    emit('cloudtrail', step(), s3Call(rng, t, caller('s3.cp'), 'PutObject', this.artifacts, `builds/${rng.hex(12)}/app.tar.gz`));
    emit(
      'cloudtrail',
      step(),
      mgmtCall(rng, t, caller('ecs.describe-task-definition'), 'ecs', 'DescribeTaskDefinition', { taskDefinition: this.service }),
    );
    emit(
      'cloudtrail',
      step(),
      mgmtCall(rng, t, caller('ecs.register-task-definition'), 'ecs', 'RegisterTaskDefinition', { family: this.service }),
    );
    emit(
      'cloudtrail',
      step(),
      mgmtCall(
        rng,
        t,
        caller('ecs.update-service'),
        'ecs',
        'UpdateService',
        { cluster: this.cluster, service: this.service, forceNewDeployment: false },
        failing ? { code: 'InvalidParameterException', message: 'The container image could not be found.' } : undefined,
      ),
    );
    if (failing) return;
    for (let i = rng.int(3, 8); i > 0; i--) {
      t += rng.int(15, 40) * 1000;
      emit(
        'cloudtrail',
        t,
        mgmtCall(rng, t, caller('ecs.wait'), 'ecs', 'DescribeServices', { cluster: this.cluster, services: [this.service] }),
      );
    }
    emit(
      'cloudtrail',
      step(),
      mgmtCall(rng, t, caller('cloudformation.describe-stacks'), 'cloudformation', 'DescribeStacks', {
        stackName: `${this.service}-infra`,
      }),
    );
  }

  private cleanup(rng: Rng, emit: Emit, t0: number): void {
    const { caller } = this.assume(rng, emit, t0, this.runnerIps[0]!);
    const t1 = t0 + 20_000;
    const t2 = t1 + 5_000;
    const t3 = t2 + 5_000;
    emit('cloudtrail', t1, mgmtCall(rng, t1, caller('ecr.list-images'), 'ecr', 'ListImages', { repositoryName: this.service }));
    emit(
      'cloudtrail',
      t2,
      mgmtCall(rng, t2, caller('ecr.batch-delete-image'), 'ecr', 'BatchDeleteImage', { repositoryName: this.service }),
    );
    emit('cloudtrail', t3, mgmtCall(rng, t3, caller('s3.ls'), 's3', 'ListObjects', { bucketName: this.artifacts }));
  }

  plan(ctx: DayContext): Activity[] {
    const { rng } = ctx;
    const wd = weekday(ctx);
    const weekend = wd === 0 || wd === 6;
    const deploys = weekend
      ? rng.chance(0.08)
        ? 1
        : 0
      : rng.weighted([
          [0, 1],
          [1, 3],
          [2, 3],
          [3, 2],
          [4, 1],
        ] as const);
    const out: Activity[] = [];
    for (const t of spread(
      ctx,
      rng,
      this.tz,
      Math.max(0, Math.round(deploys * Math.min(2, ctx.scale))),
      weekend ? 'always' : 'business',
    )) {
      const failing = rng.chance(0.05);
      out.push({ t, run: () => this.deploy(rng, ctx.emit, t, failing) });
    }
    if (this.weekly !== undefined && wd === this.weekly.day) {
      const t = ctx.dayStart - this.tz * HOUR + this.weekly.hour * HOUR + rng.int(0, 3) * MINUTE;
      out.push({ t, run: () => this.cleanup(rng, ctx.emit, t) });
    }
    return out;
  }

  supportProfile(): IdentityProfile {
    return {
      id: `${this.oidcProvider}:${this.subject}`,
      kind: 'aws-oidc-session',
      source: 'cloudtrail',
      name: this.subject,
      schedule: 'deploy',
      tzOffsetHours: this.tz,
      support: true,
    };
  }
}

// ---------------------------------------------------------------- IAM users with access keys

/** A planned key rotation: create the new key, switch to it, deactivate and delete the old one. */
export interface Rotation {
  user: IamUserActor;
  oldKey: string;
  newKey: string;
  createAt: number;
  /** When the workload starts using the new key. */
  switchAt: number;
  deactivateAt: number;
  deleteAt: number;
  /** Event ids of the rotation's own calls, filled in as they are logged. */
  eventIds: string[];
}

export type IamFlavour = 'batch' | 'business' | 'ci';

/** An IAM user of a legacy integration: a long-term AKIA key from a fixed egress address. */
export class IamUserActor implements Actor {
  readonly profile: IdentityProfile;
  readonly user: AwsUser;
  readonly region: string;
  readonly tz: number;
  readonly flavour: IamFlavour;
  readonly ip: string;
  readonly sdk: SdkName;
  readonly sdkVersion: number;
  readonly batch: { hour: number; minute: number; calls: number };
  readonly bucket: string;
  readonly weekly: { day: number; hour: number } | undefined;
  key: string;
  rotation: Rotation | undefined;

  constructor(rng: Rng, name: string, app: string, env: Env, flavour: IamFlavour, site: number) {
    const home = rng.pick(REGIONS);
    this.region = home.region;
    this.tz = home.tz;
    const account = ACCOUNTS[env];
    const userName = `svc-${name}`;
    this.user = { account, name: userName, principalId: uniqueId(rng, 'AIDA'), arn: `arn:aws:iam::${account}:user/${userName}` };
    this.flavour = flavour;
    this.ip = egressIp(site, rng.int(0, 239));
    this.sdk = rng.pick(['boto3', 'java', 'go'] as const);
    this.sdkVersion = rng.int(10, 40);
    this.batch = { hour: rng.pick([1, 2, 2, 3, 4, 5, 22, 23]), minute: rng.int(0, 59), calls: rng.int(10, 30) };
    this.bucket = `${ORG}-${app}-${flavour === 'batch' ? 'backups' : 'exports'}-${rng.hex(4)}`;
    this.weekly = rng.chance(0.3) ? { day: rng.int(1, 5), hour: rng.int(6, 7) } : undefined;
    this.key = akia(rng);
    this.profile = {
      id: this.user.arn,
      kind: 'aws-iam-user',
      source: 'cloudtrail',
      name: userName,
      schedule: flavour === 'batch' ? 'batch' : flavour === 'ci' ? 'deploy' : 'business',
      tzOffsetHours: this.tz,
      environment: env,
    };
  }

  get ua(): string {
    return SDK_AGENTS[this.sdk](this.sdkVersion);
  }

  /** The key the workload presents at `t` (the new one once a rotation has switched). */
  keyAt(t: number): string {
    const r = this.rotation;
    return r !== undefined && t >= r.switchAt ? r.newKey : (r?.oldKey ?? this.key);
  }

  caller(t: number, ip = this.ip, key = this.keyAt(t), ua = this.ua): Caller {
    return { userIdentity: iamUser(this.user, key), account: this.user.account, region: this.region, ip, ua };
  }

  private job(rng: Rng, emit: Emit, t0: number, calls: number): void {
    let t = t0;
    const date = new Date(t0).toISOString().slice(0, 10);
    for (let i = 0; i < calls; i++) {
      t += rng.int(3, 40) * 1000;
      const by = this.caller(t);
      if (this.flavour === 'batch') {
        emit(
          'cloudtrail',
          t,
          i === 0
            ? mgmtCall(rng, t, by, 's3', 'ListObjects', { bucketName: this.bucket, prefix: date })
            : s3Call(rng, t, by, 'PutObject', this.bucket, `${date}/part-${String(i).padStart(4, '0')}.gz`),
        );
      } else if (this.flavour === 'ci') {
        const op = i % 4;
        emit(
          'cloudtrail',
          t,
          op === 0
            ? mgmtCall(rng, t, by, 'lambda', 'GetFunction', { functionName: this.user.name.slice(4) })
            : op === 1
              ? s3Call(rng, t, by, 'PutObject', this.bucket, `releases/${rng.hex(10)}.zip`)
              : op === 2
                ? mgmtCall(rng, t, by, 'lambda', 'UpdateFunctionCode20150331v2', { functionName: this.user.name.slice(4) })
                : mgmtCall(rng, t, by, 'lambda', 'GetFunctionConfiguration', { functionName: this.user.name.slice(4) }),
        );
      } else {
        const [service, name] = rng.pick([
          ['ec2', 'DescribeInstances'],
          ['monitoring', 'GetMetricData'],
          ['rds', 'DescribeDBInstances'],
          ['elasticloadbalancing', 'DescribeLoadBalancers'],
        ] as const);
        emit('cloudtrail', t, mgmtCall(rng, t, by, service, name));
      }
    }
  }

  plan(ctx: DayContext): Activity[] {
    const { rng } = ctx;
    const out: Activity[] = [];
    const midnight = ctx.dayStart - this.tz * HOUR;
    if (this.flavour === 'batch') {
      // The nightly job: the same minute every day, a little longer on some days.
      const t = Math.min(
        midnight + this.batch.hour * HOUR + this.batch.minute * MINUTE + rng.int(0, 90) * 1000,
        midnight + DAY - 1,
      );
      const calls = Math.round(this.batch.calls * ctx.scale * (0.8 + 0.4 * rng.next()));
      out.push({ t, run: () => this.job(rng, ctx.emit, t, calls) });
    } else {
      // Polling or deploys in business hours: a few short bursts.
      const bursts = dailyCount(ctx, rng, (this.flavour === 'ci' ? 4 : 10) * Math.min(ctx.scale, 3), 'business');
      for (const t of spread(ctx, rng, this.tz, bursts, 'business')) {
        const calls = rng.int(2, 5);
        out.push({ t, run: () => this.job(rng, ctx.emit, t, calls) });
      }
    }
    if (this.weekly !== undefined && weekday(ctx) === this.weekly.day) {
      const t = midnight + this.weekly.hour * HOUR + rng.int(0, 20) * MINUTE;
      out.push({
        t,
        run: () => {
          const by = this.caller(t);
          ctx.emit('cloudtrail', t, mgmtCall(rng, t, by, 'ce', 'GetCostAndUsage'));
          ctx.emit('cloudtrail', t + 4000, mgmtCall(rng, t + 4000, by, 'organizations', 'ListAccounts'));
        },
      });
    }
    // A benign single failure now and then: a denied Describe on a resource outside its policy.
    if (rng.chance(0.04) && out.length > 0) {
      const t = Math.min(out[0]!.t + rng.int(1, 20) * MINUTE, midnight + DAY - 1);
      out.push({
        t,
        run: () =>
          ctx.emit(
            'cloudtrail',
            t,
            mgmtCall(rng, t, this.caller(t), 'ec2', 'DescribeSnapshots', undefined, {
              code: 'Client.UnauthorizedOperation',
              message: 'You are not authorized to perform this operation.',
            }),
          ),
      });
    }
    return out;
  }
}

// ---------------------------------------------------------------- the key rotator

/**
 * A Lambda (in a VPC, so one NAT address) that lists IAM users' keys nightly and performs planned
 * rotations: CreateAccessKey, then UpdateAccessKey Inactive and DeleteAccessKey days later.
 */
export class KeyRotatorActor implements Actor {
  readonly profile: IdentityProfile;
  readonly role: AwsRole;
  readonly ip: string;
  readonly rotations: Rotation[] = [];
  readonly users: IamUserActor[] = [];
  private session: { key: string; start: number; name: string } | undefined;

  constructor(rng: Rng, account: string, site: number) {
    this.role = makeRole(rng, account, 'key-rotation-lambda', '/service-role/');
    this.ip = egressIp(site, 230);
    this.profile = {
      id: this.role.arn,
      kind: 'aws-key-rotator',
      source: 'cloudtrail',
      name: this.role.name,
      schedule: 'batch',
      tzOffsetHours: 0,
      support: true,
    };
  }

  /** Plans a rotation of `user` whose new key is created at `createAt` (the nightly run's time). */
  planRotation(rng: Rng, user: IamUserActor, createAt: number, deactivateAfter: number, deleteAfter: number): Rotation {
    const r: Rotation = {
      user,
      oldKey: user.key,
      newKey: akia(rng),
      createAt,
      switchAt: createAt + rng.int(3, 10) * MINUTE,
      deactivateAt: createAt + deactivateAfter,
      deleteAt: createAt + deleteAfter,
      eventIds: [],
    };
    user.rotation = r;
    this.rotations.push(r);
    return r;
  }

  private caller(rng: Rng, t: number): Caller {
    if (this.session === undefined || t - this.session.start > 6 * HOUR) {
      this.session = { key: asia(rng), start: t, name: 'key-rotation' };
    }
    return {
      userIdentity: assumedRole(this.role, this.session.name, this.session.key, this.session.start),
      account: this.role.account,
      region: 'us-east-1',
      ip: this.ip,
      ua: 'Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#5.10.216-225.855.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.3 exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.51',
    };
  }

  plan(ctx: DayContext): Activity[] {
    const { rng, emit } = ctx;
    const out: Activity[] = [];
    const t0 = ctx.dayStart + 30 * MINUTE + rng.int(0, 30) * 1000;
    out.push({
      t: t0,
      run: () => {
        let t = t0;
        emit('cloudtrail', t, mgmtCall(rng, t, this.caller(rng, t), 'iam', 'ListUsers'));
        for (const u of this.users) {
          t += rng.int(200, 900);
          emit('cloudtrail', t, mgmtCall(rng, t, this.caller(rng, t), 'iam', 'ListAccessKeys', { userName: u.user.name }));
        }
      },
    });
    const end = ctx.dayStart + DAY;
    for (const r of this.rotations) {
      const user = r.user.user;
      const step = (t: number, make: () => Rec) => {
        if (t < ctx.dayStart || t >= end) return;
        out.push({
          t,
          run: () => {
            const rec = make();
            r.eventIds.push(rec.eventID as string);
            emit('cloudtrail', t, rec);
          },
        });
      };
      step(r.createAt, () =>
        ctRecord(rng, {
          t: r.createAt,
          ...this.caller(rng, r.createAt),
          service: 'iam',
          name: 'CreateAccessKey',
          params: { userName: user.name },
          response: {
            accessKey: { accessKeyId: r.newKey, status: 'Active', userName: user.name, createDate: awsExpiration(r.createAt) },
          },
          readOnly: false,
        }),
      );
      step(r.deactivateAt, () =>
        ctRecord(rng, {
          t: r.deactivateAt,
          ...this.caller(rng, r.deactivateAt),
          service: 'iam',
          name: 'UpdateAccessKey',
          params: { accessKeyId: r.oldKey, status: 'Inactive', userName: user.name },
          readOnly: false,
        }),
      );
      step(r.deleteAt, () =>
        ctRecord(rng, {
          t: r.deleteAt,
          ...this.caller(rng, r.deleteAt),
          service: 'iam',
          name: 'DeleteAccessKey',
          params: { accessKeyId: r.oldKey, userName: user.name },
          readOnly: false,
        }),
      );
    }
    return out;
  }
}
