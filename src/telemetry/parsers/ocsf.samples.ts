import { createRandom, randomChars } from '../../model/random.js';

/**
 * Synthetic OCSF 1.1 events as producers write them (Amazon Security Lake's CloudTrail mapping,
 * an identity provider's OCSF export, a Windows and a Kubernetes converter): Authentication (3002)
 * and API Activity (6003). Documentation IP ranges, example AWS account ids and key ids, no secrets.
 * Cases: IdP logon success and failure, service-account logoff (no metadata.uid), console login,
 * S3 data access by an assumed role with an STS key, an AccessDenied call, an IAM policy
 * attachment by an IAM user's access key, a Kubernetes service account, an app-only actor.
 * Classes Warden does not read (4001, 2004) are left to the tests: every record here is an event.
 * @example for (const r of sampleRecords(5)) parser.push(r, { line: 1 })
 */
export function sampleRecords(seed = 1): unknown[] {
  const g = gen(seed);
  const account = `1111${String(2222_3333 + (seed % 1000)).padStart(8, '0')}`;
  const region = g.pick(['us-east-1', 'eu-west-1', 'eu-central-1']);
  const oktaProduct = { name: 'Okta System Log', vendor_name: 'Okta', version: '0' };
  const cloudtrail = { name: 'CloudTrail', vendor_name: 'AWS', version: '1.09', feature: { name: 'Management' } };
  const dana = {
    uid: g.id('00u'),
    name: `dana.admin@example${seed % 7}.com`,
    type: 'User',
    type_id: 1,
    email_addr: `dana.admin@example${seed % 7}.com`,
  };
  const role = `arn:aws:iam::${account}:role/ci-deployer`;
  const sessionName = `gha-${g.digits(10)}`;
  const stsKey = `ASIA${g.upper(16)}`;
  const iamKey = `AKIA${g.upper(16)}`;

  return [
    {
      activity_id: 1,
      activity_name: 'Logon',
      auth_protocol: 'SAML',
      auth_protocol_id: 5,
      category_name: 'Identity & Access Management',
      category_uid: 3,
      class_name: 'Authentication',
      class_uid: 3002,
      is_mfa: true,
      is_remote: true,
      logon_type: 'Network',
      logon_type_id: 3,
      message: 'User login to Okta',
      metadata: {
        version: '1.1.0',
        uid: g.uuid(),
        product: oktaProduct,
        event_code: 'user.session.start',
        original_time: g.isoNow(),
      },
      service: { name: 'Okta Dashboard', uid: g.id('0oa') },
      session: { uid: `102${g.alnum(22)}`, is_remote: true },
      severity: 'Informational',
      severity_id: 1,
      src_endpoint: { ip: g.ip('198.51.100.'), location: { city: 'Ashburn', country: 'US', region: 'VA' } },
      http_request: {
        user_agent:
          'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36',
      },
      status: 'Success',
      status_id: 1,
      time: g.ms(),
      type_name: 'Authentication: Logon',
      type_uid: 300201,
      user: dana,
      unmapped: { securityContext: { asOrg: 'example transit', isProxy: false } },
    },
    {
      activity_id: 1,
      activity_name: 'Logon',
      category_uid: 3,
      class_uid: 3002,
      is_mfa: false,
      metadata: { version: '1.1.0', uid: g.uuid(), product: oktaProduct, event_code: 'user.session.start' },
      severity_id: 3,
      severity: 'Medium',
      src_endpoint: { ip: g.ip('203.0.113.'), location: { city: 'Frankfurt', country: 'DE', region: 'HE' } },
      http_request: { user_agent: 'python-requests/2.32.3' },
      status: 'Failure',
      status_id: 2,
      status_detail: 'INVALID_CREDENTIALS',
      time: g.ms(),
      type_uid: 300201,
      user: { uid: g.id('00u'), name: `lee.dev@example${seed % 7}.com`, type: 'User', type_id: 1 },
    },
    // Windows 4634 through a converter: a service account logs off; no event id in metadata.
    {
      activity_id: 2,
      activity_name: 'Logoff',
      auth_protocol: 'Kerberos',
      auth_protocol_id: 2,
      category_uid: 3,
      class_uid: 3002,
      device: { hostname: 'FS01.corp.example.com', type_id: 1 },
      dst_endpoint: { hostname: 'FS01.corp.example.com' },
      logon_type: 'Service',
      logon_type_id: 5,
      metadata: { version: '1.1.0', product: { name: 'Microsoft Windows', vendor_name: 'Microsoft' }, event_code: '4634' },
      session: { uid: `0x${g.hex(8)}` },
      severity_id: 1,
      status_id: 1,
      time: g.ms(),
      type_uid: 300202,
      user: {
        name: 'svc_backup',
        domain: 'CORP',
        uid: `S-1-5-21-${g.digits(10)}-${g.digits(10)}-${g.digits(10)}-1${g.digits(3)}`,
        type_id: 4,
      },
    },
    // CloudTrail ConsoleLogin as Security Lake maps it.
    {
      activity_id: 1,
      activity_name: 'Logon',
      category_uid: 3,
      class_uid: 3002,
      cloud: { provider: 'AWS', region },
      dst_endpoint: { svc_name: 'https://console.aws.amazon.com/console/home' },
      http_request: { user_agent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0' },
      is_mfa: false,
      metadata: {
        version: '1.1.0',
        uid: g.uuid(),
        product: cloudtrail,
        profiles: ['cloud', 'datetime'],
        event_code: 'AwsConsoleSignIn',
      },
      severity_id: 1,
      src_endpoint: { ip: g.ip('192.0.2.') },
      status: 'Success',
      status_id: 1,
      time: g.ms(),
      type_uid: 300201,
      user: {
        type: 'IAMUser',
        name: 'ops-breakglass',
        uid: `arn:aws:iam::${account}:user/ops-breakglass`,
        uid_alt: `AIDA${g.upper(17)}`,
        account: { uid: account, type: 'AWS Account', type_id: 10 },
      },
      unmapped: { additionalEventData: { MobileVersion: 'No', MFAUsed: 'No' } },
    },
    // S3 data event: an assumed-role session reads an object with an STS key.
    {
      activity_id: 2,
      activity_name: 'Read',
      actor: {
        user: {
          type: 'AssumedRole',
          name: 'ci-deployer',
          uid: `arn:aws:sts::${account}:assumed-role/ci-deployer/${sessionName}`,
          uid_alt: `AROA${g.upper(17)}:${sessionName}`,
          account: { uid: account },
          credential_uid: stsKey,
        },
        session: { created_time: g.ms() - 600_000, is_mfa: false, issuer: role },
      },
      api: { operation: 'GetObject', request: { uid: g.upper(16) }, response: {}, service: { name: 's3.amazonaws.com' } },
      category_uid: 6,
      class_uid: 6003,
      cloud: { provider: 'AWS', region },
      http_request: { user_agent: '[aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.58.3]' },
      metadata: {
        version: '1.1.0',
        uid: g.uuid(),
        product: { ...cloudtrail, feature: { name: 'Data' } },
        profiles: ['cloud', 'datetime'],
        event_code: 'AwsApiCall',
      },
      resources: [
        { uid: `arn:aws:s3:::deploy-artifacts-${account}`, type: 'AWS::S3::Bucket', owner: { account: { uid: account } } },
        { uid: `arn:aws:s3:::deploy-artifacts-${account}/releases/app-${g.digits(4)}.tar.gz`, type: 'AWS::S3::Object' },
      ],
      severity_id: 1,
      src_endpoint: { ip: g.ip('198.51.100.') },
      status: 'Success',
      status_id: 1,
      time: g.ms(),
      type_uid: 600302,
      unmapped: { additionalEventData: { bytesTransferredOut: String(1024 + g.int(1_000_000)) } },
    },
    // The same session denied an IAM call.
    {
      activity_id: 1,
      activity_name: 'Create',
      actor: {
        user: {
          type: 'AssumedRole',
          name: 'ci-deployer',
          uid: `arn:aws:sts::${account}:assumed-role/ci-deployer/${sessionName}`,
          account: { uid: account },
          credential_uid: stsKey,
        },
        session: { is_mfa: false, issuer: role },
      },
      api: {
        operation: 'CreateUser',
        request: { uid: g.uuid() },
        response: {
          error: 'AccessDenied',
          message: `User: arn:aws:sts::${account}:assumed-role/ci-deployer/${sessionName} is not authorized to perform: iam:CreateUser`,
        },
        service: { name: 'iam.amazonaws.com' },
      },
      category_uid: 6,
      class_uid: 6003,
      cloud: { provider: 'AWS', region: 'us-east-1' },
      http_request: { user_agent: 'aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.9' },
      metadata: {
        version: '1.1.0',
        uid: g.uuid(),
        product: cloudtrail,
        profiles: ['cloud', 'datetime'],
        event_code: 'AwsApiCall',
      },
      severity_id: 1,
      src_endpoint: { ip: g.ip('203.0.113.') },
      status: 'Failure',
      status_id: 2,
      time: g.ms(),
      type_uid: 600301,
    },
    // An IAM user's long-term key attaches an admin policy to a role: a privilege change.
    {
      activity_id: 3,
      activity_name: 'Update',
      actor: {
        user: {
          type: 'IAMUser',
          name: 'terraform',
          uid: `arn:aws:iam::${account}:user/terraform`,
          uid_alt: `AIDA${g.upper(17)}`,
          account: { uid: account },
          credential_uid: iamKey,
        },
      },
      api: { operation: 'AttachRolePolicy', request: { uid: g.uuid() }, service: { name: 'iam.amazonaws.com' } },
      category_uid: 6,
      class_uid: 6003,
      cloud: { provider: 'AWS', region: 'us-east-1' },
      http_request: {
        user_agent: 'APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) terraform-provider-aws/5.62.0',
      },
      metadata: {
        version: '1.1.0',
        uid: g.uuid(),
        product: cloudtrail,
        profiles: ['cloud', 'datetime'],
        event_code: 'AwsApiCall',
      },
      resources: [{ uid: role, type: 'AWS::IAM::Role' }],
      severity_id: 1,
      src_endpoint: { ip: g.ip('192.0.2.') },
      status: 'Success',
      status_id: 1,
      time: g.ms(),
      type_uid: 600303,
      unmapped: { requestParameters: { roleName: 'ci-deployer', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } },
    },
    // A Kubernetes service account through an audit-to-OCSF converter.
    {
      activity_id: 1,
      activity_name: 'Create',
      actor: {
        user: {
          name: 'system:serviceaccount:ci:deployer',
          uid: g.uuid(),
          type: 'ServiceAccount',
          type_id: 4,
          groups: [{ name: 'system:serviceaccounts' }],
        },
      },
      api: { operation: 'create', request: { uid: g.uuid() }, service: { name: 'kubernetes' }, version: 'apps/v1' },
      category_uid: 6,
      class_uid: 6003,
      http_request: { user_agent: 'kubectl/v1.30.3 (linux/amd64) kubernetes/6fc0a69' },
      metadata: { version: '1.1.0', uid: g.uuid(), product: { name: 'Kubernetes Audit', vendor_name: 'Kubernetes' } },
      resources: [{ name: 'payments-api', type: 'deployments', namespace: 'payments' }],
      severity_id: 1,
      src_endpoint: { ip: g.ip('192.0.2.') },
      status_id: 1,
      time: g.ms(),
      type_uid: 600301,
    },
    // Only an application acts (no user): a CI integration updating a workspace variable.
    {
      activity_id: 3,
      activity_name: 'Update',
      actor: { app_name: 'terraform-cloud-agent', app_uid: `agent-${g.alnum(16)}` },
      api: { operation: 'UpdateWorkspaceVariable', service: { name: 'app.terraform.io' } },
      category_uid: 6,
      class_uid: 6003,
      metadata: { version: '1.1.0', uid: g.uuid(), product: { name: 'HCP Terraform', vendor_name: 'HashiCorp' } },
      resources: [{ uid: `var-${g.alnum(16)}`, name: 'DEPLOY_ROLE_ARN', type: 'workspace-variable' }],
      severity_id: 1,
      src_endpoint: { ip: g.ip('198.51.100.') },
      status_id: 1,
      time: g.ms(),
      type_uid: 600303,
    },
  ];
}

function gen(seed: number) {
  const next = createRandom(seed);
  const chars = (set: string, n: number): string => randomChars(set, n, next);
  const int = (n: number): number => Math.floor(next() * n);
  const hex = (n: number): string => chars('0123456789abcdef', n);
  const alnum = (n: number): string => chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', n);
  let clock = Date.UTC(2026, 2, 2, 7, 0, 0) + (seed % 1000) * 86_400_000 + int(3_600_000);
  return {
    int,
    hex,
    alnum,
    upper: (n: number): string => chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', n),
    digits: (n: number): string => chars('0123456789', n),
    id: (prefix: string): string => prefix + alnum(17),
    ip: (net: string): string => net + (1 + int(250)),
    pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]!,
    uuid: (): string => `${hex(8)}-${hex(4)}-4${hex(3)}-8${hex(3)}-${hex(12)}`,
    /** OCSF `time`: milliseconds since the epoch. */
    ms: (): number => {
      clock += 500 + int(120_000);
      return clock;
    },
    isoNow: (): string => new Date(clock).toISOString(),
  };
}
