/**
 * Synthetic CloudTrail event records, shaped exactly as CloudTrail writes them (one element of a log
 * file's `Records` array), for the parser tests, the fuzz test and the benchmarks.
 *
 * Every value is made up: account ids are documentation ones (123456789012, 111122223333, 444455556666),
 * IPs come from the documentation ranges (RFC 5737), and access key ids are built at run time from a
 * seeded PRNG ('AKIA'/'ASIA' + 16 base32 characters), so no real key is ever written down.
 * Shapes follow https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
 * and the IAM/STS examples in https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html.
 */
import { createRandom, randomChars } from '../../model/random.js';

const ACCOUNT = '123456789012';
const OTHER_ACCOUNT = '111122223333';
const SAML_ACCOUNT = '444455556666';
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const HEX = '0123456789abcdef';

/**
 * A realistic mix of CloudTrail records covering every mapping case: IAM user and assumed-role calls
 * (two sessions of one role), EC2 instance-profile and Lambda roles, AWS service calls ("AWS Internal"
 * and service-name source addresses), root and IAM console sign-ins (success, failure, masked user name),
 * STS issuance (AssumeRole, AssumeRoleWithWebIdentity from GitHub Actions OIDC, AssumeRoleWithSAML,
 * GetSessionToken, GetFederationToken, cross-account AWSAccount), access key create/deactivate/delete,
 * privilege changes (one denied), secret reads (Secrets Manager, SSM with decryption, KMS), an
 * AwsServiceEvent and an IAM Identity Center user. All records parse to events.
 *
 * @example
 * for (const r of sampleRecords(7)) parser.push(r, {});
 */
export function sampleRecords(seed = 1): unknown[] {
  const rnd = createRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const chars = (alphabet: string, n: number): string => randomChars(alphabet, n, rnd);
  const akia = () => `AKIA${chars(BASE32, 16)}`;
  const asia = () => `ASIA${chars(BASE32, 16)}`;
  const uuid = () =>
    `${chars(HEX, 8)}-${chars(HEX, 4)}-4${chars(HEX, 3)}-${pick(['8', '9', 'a', 'b'])}${chars(HEX, 3)}-${chars(HEX, 12)}`;
  const ip = () => `${pick(['192.0.2', '198.51.100', '203.0.113'])}.${1 + Math.floor(rnd() * 254)}`;
  const uniqueId = (prefix: string) => `${prefix}${chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 17)}`;
  let clock = Date.UTC(2024, 4, 14, 9, 0, 0) + Math.floor(rnd() * 3_600_000);
  const at = () => {
    clock += 1000 + Math.floor(rnd() * 90_000);
    return new Date(clock).toISOString().slice(0, 19) + 'Z';
  };
  /** STS expiration as CloudTrail writes it: "May 14, 2024, 10:12:29 AM" (UTC). */
  const expiration = (fromIso: string, seconds: number) => {
    const d = new Date(Date.parse(fromIso) + seconds * 1000);
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    const h = d.getUTCHours();
    const pad = (n: number) => String(n).padStart(2, '0');
    return `${months[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ${h % 12 || 12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
  };
  const cli = () =>
    pick([
      'aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79-99.167.amzn2023.x86_64 exe/x86_64.amzn.2023 prompt/off command/s3.cp',
      'aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/s3#1.51.1',
      'Boto3/1.34.61 md/Botocore#1.34.61 ua/2.0 os/linux#5.10.213-201.855.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.2 cfg/retry-mode#legacy Botocore/1.34.61',
    ]);
  const tls = () => ({
    tlsVersion: 'TLSv1.3',
    cipherSuite: 'TLS_AES_128_GCM_SHA256',
    clientProvidedHostHeader: 'sts.amazonaws.com',
  });

  const region = 'us-east-1';
  const userKey = akia();
  const user = {
    type: 'IAMUser',
    principalId: uniqueId('AIDA'),
    arn: `arn:aws:iam::${ACCOUNT}:user/ci-deployer`,
    accountId: ACCOUNT,
    accessKeyId: userKey,
    userName: 'ci-deployer',
  };
  const roleId = uniqueId('AROA');
  const role = (session: string, key: string, extra: Record<string, unknown> = {}) => ({
    type: 'AssumedRole',
    principalId: `${roleId}:${session}`,
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/app-deploy/${session}`,
    accountId: ACCOUNT,
    accessKeyId: key,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: roleId,
        arn: `arn:aws:iam::${ACCOUNT}:role/service/app-deploy`,
        accountId: ACCOUNT,
        userName: 'app-deploy',
      },
      webIdFederationData: {},
      attributes: { creationDate: at(), mfaAuthenticated: 'false' },
      ...extra,
    },
  });
  const instance = `i-0${chars(HEX, 16)}`;
  const instanceRoleId = uniqueId('AROA');
  const lambdaRoleId = uniqueId('AROA');
  const records: unknown[] = [];

  // IAM user reads an object (data event: resources list the object, then the bucket).
  records.push({
    eventVersion: '1.10',
    userIdentity: user,
    eventTime: at(),
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    awsRegion: region,
    sourceIPAddress: ip(),
    userAgent: `[${cli()}]`,
    requestParameters: {
      bucketName: 'example-artifacts',
      Host: 'example-artifacts.s3.us-east-1.amazonaws.com',
      key: 'releases/app-1.4.2.tar.gz',
    },
    responseElements: null,
    additionalEventData: {
      SignatureVersion: 'SigV4',
      CipherSuite: 'TLS_AES_128_GCM_SHA256',
      bytesTransferredIn: 0,
      AuthenticationMethod: 'AuthHeader',
      'x-amz-id-2': chars(HEX, 32),
      bytesTransferredOut: 48213,
    },
    requestID: chars('0123456789ABCDEF', 16),
    eventID: uuid(),
    readOnly: true,
    resources: [
      { type: 'AWS::S3::Object', ARN: 'arn:aws:s3:::example-artifacts/releases/app-1.4.2.tar.gz' },
      { accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::example-artifacts' },
    ],
    eventType: 'AwsApiCall',
    managementEvent: false,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Data',
    tlsDetails: {
      tlsVersion: 'TLSv1.3',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      clientProvidedHostHeader: 'example-artifacts.s3.us-east-1.amazonaws.com',
    },
  });

  // The IAM user assumes the deploy role: credential issuance (ASIA key and expiration in the response).
  const assumeTime = at();
  const sessionKeyA = asia();
  records.push({
    eventVersion: '1.08',
    userIdentity: user,
    eventTime: assumeTime,
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRole',
    awsRegion: region,
    sourceIPAddress: ip(),
    userAgent: cli(),
    requestParameters: {
      roleArn: `arn:aws:iam::${ACCOUNT}:role/service/app-deploy`,
      roleSessionName: 'deploy-1715677200',
      durationSeconds: 3600,
    },
    responseElements: {
      credentials: { accessKeyId: sessionKeyA, expiration: expiration(assumeTime, 3600) },
      assumedRoleUser: {
        assumedRoleId: `${roleId}:deploy-1715677200`,
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/app-deploy/deploy-1715677200`,
      },
    },
    requestID: uuid(),
    eventID: uuid(),
    readOnly: true,
    resources: [{ accountId: ACCOUNT, type: 'AWS::IAM::Role', ARN: `arn:aws:iam::${ACCOUNT}:role/service/app-deploy` }],
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
    tlsDetails: tls(),
  });

  // Two sessions of the same role: one identity, two session names and keys.
  for (const [session, key] of [
    ['deploy-1715677200', sessionKeyA],
    ['deploy-1715680800', asia()],
  ] as const) {
    records.push({
      eventVersion: '1.09',
      userIdentity: role(session, key),
      eventTime: at(),
      eventSource: 'ecs.amazonaws.com',
      eventName: 'UpdateService',
      awsRegion: region,
      sourceIPAddress: ip(),
      userAgent: cli(),
      requestParameters: { cluster: 'prod', service: 'api', taskDefinition: 'api:42', forceNewDeployment: false },
      responseElements: { service: { serviceName: 'api', status: 'ACTIVE' } },
      requestID: uuid(),
      eventID: uuid(),
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: ACCOUNT,
      eventCategory: 'Management',
    });
  }

  // EC2 instance profile (session named after the instance, ec2RoleDelivery) reads a SecureString.
  records.push({
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: `${instanceRoleId}:${instance}`,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/web-instance/${instance}`,
      accountId: ACCOUNT,
      accessKeyId: asia(),
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: instanceRoleId,
          arn: `arn:aws:iam::${ACCOUNT}:role/web-instance`,
          accountId: ACCOUNT,
          userName: 'web-instance',
        },
        webIdFederationData: {},
        attributes: { creationDate: at(), mfaAuthenticated: 'false' },
        ec2RoleDelivery: '2.0',
      },
    },
    eventTime: at(),
    eventSource: 'ssm.amazonaws.com',
    eventName: 'GetParameter',
    awsRegion: region,
    sourceIPAddress: ip(),
    userAgent:
      'aws-sdk-java/2.25.6 Linux/5.10.213-201.855.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy',
    requestParameters: { name: '/prod/web/db-password', withDecryption: true },
    responseElements: null,
    requestID: uuid(),
    eventID: uuid(),
    readOnly: true,
    resources: [{ accountId: ACCOUNT, ARN: `arn:aws:ssm:${region}:${ACCOUNT}:parameter/prod/web/db-password` }],
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
  });

  // Lambda execution role reads a secret (no resources list: resource from requestParameters.secretId).
  const lambdaUser = {
    type: 'AssumedRole',
    principalId: `${lambdaRoleId}:rotate-tokens`,
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/rotate-tokens-role/rotate-tokens`,
    accountId: ACCOUNT,
    accessKeyId: asia(),
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: lambdaRoleId,
        arn: `arn:aws:iam::${ACCOUNT}:role/rotate-tokens-role`,
        accountId: ACCOUNT,
        userName: 'rotate-tokens-role',
      },
      webIdFederationData: {},
      attributes: { creationDate: at(), mfaAuthenticated: 'false' },
    },
  };
  records.push({
    eventVersion: '1.09',
    userIdentity: lambdaUser,
    eventTime: at(),
    eventSource: 'secretsmanager.amazonaws.com',
    eventName: 'GetSecretValue',
    awsRegion: region,
    sourceIPAddress: ip(),
    userAgent:
      'Boto3/1.34.42 md/Botocore#1.34.42 ua/2.0 os/linux#5.10.214-223.807.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.2 exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.42',
    requestParameters: {
      secretId: `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:prod/github-app-key-${chars('abcdefghijklmnopqrstuvwxyz0123456789', 6)}`,
    },
    responseElements: null,
    requestID: uuid(),
    eventID: uuid(),
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
  });

  // The same role, batch read; then SSM by path with decryption.
  records.push({
    eventVersion: '1.09',
    userIdentity: lambdaUser,
    eventTime: at(),
    eventSource: 'secretsmanager.amazonaws.com',
    eventName: 'BatchGetSecretValue',
    awsRegion: region,
    sourceIPAddress: ip(),
    userAgent: cli(),
    requestParameters: { secretIdList: ['prod/stripe-key', 'prod/slack-webhook'] },
    responseElements: null,
    requestID: uuid(),
    eventID: uuid(),
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
  });
  records.push({
    eventVersion: '1.09',
    userIdentity: role('deploy-1715680800', asia()),
    eventTime: at(),
    eventSource: 'ssm.amazonaws.com',
    eventName: 'GetParametersByPath',
    awsRegion: region,
    sourceIPAddress: ip(),
    userAgent: cli(),
    requestParameters: { path: '/prod/', recursive: true, withDecryption: true },
    responseElements: null,
    requestID: uuid(),
    eventID: uuid(),
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
  });

  // Direct KMS Decrypt by the IAM user; then a Decrypt S3 makes on the role's behalf (service source).
  records.push({
    eventVersion: '1.09',
    userIdentity: user,
    eventTime: at(),
    eventSource: 'kms.amazonaws.com',
    eventName: 'Decrypt',
    awsRegion: region,
    sourceIPAddress: ip(),
    userAgent: cli(),
    requestParameters: { encryptionAlgorithm: 'SYMMETRIC_DEFAULT' },
    responseElements: null,
    requestID: uuid(),
    eventID: uuid(),
    readOnly: true,
    resources: [{ accountId: ACCOUNT, type: 'AWS::KMS::Key', ARN: `arn:aws:kms:${region}:${ACCOUNT}:key/${uuid()}` }],
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
  });
  records.push({
    eventVersion: '1.09',
    userIdentity: { ...role('deploy-1715680800', asia()), invokedBy: 's3.amazonaws.com' },
    eventTime: at(),
    eventSource: 'kms.amazonaws.com',
    eventName: 'Decrypt',
    awsRegion: region,
    sourceIPAddress: 's3.amazonaws.com',
    userAgent: 's3.amazonaws.com',
    requestParameters: {
      encryptionContext: { 'aws:s3:arn': 'arn:aws:s3:::example-artifacts' },
      encryptionAlgorithm: 'SYMMETRIC_DEFAULT',
    },
    responseElements: null,
    requestID: uuid(),
    eventID: uuid(),
    readOnly: true,
    resources: [{ accountId: ACCOUNT, type: 'AWS::KMS::Key', ARN: `arn:aws:kms:${region}:${ACCOUNT}:key/${uuid()}` }],
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
  });

  // Lambda service assumes the execution role: AWSService identity, service name as source address.
  const lambdaAssume = at();
  records.push({
    eventVersion: '1.08',
    userIdentity: { type: 'AWSService', invokedBy: 'lambda.amazonaws.com' },
    eventTime: lambdaAssume,
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRole',
    awsRegion: region,
    sourceIPAddress: 'lambda.amazonaws.com',
    userAgent: 'lambda.amazonaws.com',
    requestParameters: { roleArn: `arn:aws:iam::${ACCOUNT}:role/rotate-tokens-role`, roleSessionName: 'rotate-tokens' },
    responseElements: {
      credentials: {
        accessKeyId: asia(),
        sessionToken: '<encoded session token blob>',
        expiration: expiration(lambdaAssume, 43200),
      },
    },
    requestID: uuid(),
    eventID: uuid(),
    readOnly: true,
    resources: [{ accountId: ACCOUNT, type: 'AWS::IAM::Role', ARN: `arn:aws:iam::${ACCOUNT}:role/rotate-tokens-role` }],
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    sharedEventID: uuid(),
    eventCategory: 'Management',
  });

  // "AWS Internal" source: CloudTrail itself checking its bucket policy.
  records.push({
    eventVersion: '1.09',
    userIdentity: { type: 'AWSService', invokedBy: 'cloudtrail.amazonaws.com' },
    eventTime: at(),
    eventSource: 's3.amazonaws.com',
    eventName: 'GetBucketAcl',
    awsRegion: region,
    sourceIPAddress: 'AWS Internal',
    userAgent: 'AWS Internal',
    requestParameters: {
      bucketName: 'example-cloudtrail-logs',
      Host: 'example-cloudtrail-logs.s3.us-east-1.amazonaws.com',
      acl: '',
    },
    responseElements: null,
    requestID: chars('0123456789ABCDEF', 16),
    eventID: uuid(),
    readOnly: true,
    resources: [{ accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::example-cloudtrail-logs' }],
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    sharedEventID: uuid(),
    eventCategory: 'Management',
  });

  // Console sign-ins: root with MFA, an IAM user failing, and a mistyped (masked) user name.
  const browser = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
  records.push({
    eventVersion: '1.09',
    userIdentity: {
      type: 'Root',
      principalId: ACCOUNT,
      arn: `arn:aws:iam::${ACCOUNT}:root`,
      accountId: ACCOUNT,
      accessKeyId: '',
    },
    eventTime: at(),
    eventSource: 'signin.amazonaws.com',
    eventName: 'ConsoleLogin',
    awsRegion: region,
    sourceIPAddress: ip(),
    userAgent: browser,
    requestParameters: null,
    responseElements: { ConsoleLogin: 'Success' },
    additionalEventData: {
      LoginTo: 'https://console.aws.amazon.com/console/home',
      MobileVersion: 'No',
      MFAIdentifier: `arn:aws:iam::${ACCOUNT}:mfa/root-account-mfa-device`,
      MFAUsed: 'Yes',
    },
    eventID: uuid(),
    readOnly: false,
    eventType: 'AwsConsoleSignIn',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
  });
  records.push({
    eventVersion: '1.09',
    userIdentity: { type: 'IAMUser', principalId: user.principalId, arn: user.arn, accountId: ACCOUNT, userName: 'ci-deployer' },
    eventTime: at(),
    eventSource: 'signin.amazonaws.com',
    eventName: 'ConsoleLogin',
    awsRegion: region,
    sourceIPAddress: ip(),
    userAgent: browser,
    errorMessage: 'Failed authentication',
    requestParameters: null,
    responseElements: { ConsoleLogin: 'Failure' },
    additionalEventData: { LoginTo: 'https://console.aws.amazon.com/console/home', MobileVersion: 'No', MFAUsed: 'No' },
    eventID: uuid(),
    readOnly: false,
    eventType: 'AwsConsoleSignIn',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
  });
  records.push({
    eventVersion: '1.09',
    userIdentity: { type: 'IAMUser', accountId: ACCOUNT, accessKeyId: '', userName: 'HIDDEN_DUE_TO_SECURITY_REASONS' },
    eventTime: at(),
    eventSource: 'signin.amazonaws.com',
    eventName: 'ConsoleLogin',
    awsRegion: region,
    sourceIPAddress: ip(),
    userAgent: browser,
    errorMessage: 'No username found in supplied account',
    requestParameters: null,
    responseElements: { ConsoleLogin: 'Failure' },
    additionalEventData: { LoginTo: 'https://console.aws.amazon.com/console/home', MobileVersion: 'No', MFAUsed: 'No' },
    eventID: uuid(),
    readOnly: false,
    eventType: 'AwsConsoleSignIn',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
  });

  // GitHub Actions OIDC: AssumeRoleWithWebIdentity, then the role session it produced.
  const oidc = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
  const subject = 'repo:example-org/payments:ref:refs/heads/main';
  const webTime = at();
  const ghaRoleId = uniqueId('AROA');
  const ghaSession = `GitHubActions-${Math.floor(rnd() * 1e10)}`;
  records.push({
    eventVersion: '1.08',
    userIdentity: {
      type: 'WebIdentityUser',
      principalId: `${oidc}:sts.amazonaws.com:${subject}`,
      userName: subject,
      identityProvider: oidc,
    },
    eventTime: webTime,
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRoleWithWebIdentity',
    awsRegion: region,
    sourceIPAddress: ip(),
    userAgent: 'aws-sdk-nodejs/2.1563.0 linux/v20.11.1 configure-aws-credentials-for-github-actions promise',
    requestParameters: {
      roleArn: `arn:aws:iam::${ACCOUNT}:role/gha-payments-deploy`,
      roleSessionName: ghaSession,
      durationSeconds: 3600,
    },
    responseElements: {
      subjectFromWebIdentityToken: subject,
      assumedRoleUser: {
        assumedRoleId: `${ghaRoleId}:${ghaSession}`,
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/gha-payments-deploy/${ghaSession}`,
      },
      provider: oidc,
      credentials: { accessKeyId: asia(), sessionToken: '<encoded session token blob>', expiration: expiration(webTime, 3600) },
      audience: 'sts.amazonaws.com',
    },
    requestID: uuid(),
    eventID: uuid(),
    readOnly: true,
    resources: [{ accountId: ACCOUNT, type: 'AWS::IAM::Role', ARN: `arn:aws:iam::${ACCOUNT}:role/gha-payments-deploy` }],
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
    tlsDetails: tls(),
  });
  records.push({
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: `${ghaRoleId}:${ghaSession}`,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/gha-payments-deploy/${ghaSession}`,
      accountId: ACCOUNT,
      accessKeyId: asia(),
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: ghaRoleId,
          arn: `arn:aws:iam::${ACCOUNT}:role/gha-payments-deploy`,
          accountId: ACCOUNT,
          userName: 'gha-payments-deploy',
        },
        webIdFederationData: { federatedProvider: oidc, attributes: {} },
        attributes: { creationDate: webTime, mfaAuthenticated: 'false' },
      },
    },
    eventTime: at(),
    eventSource: 's3.amazonaws.com',
    eventName: 'PutObject',
    awsRegion: region,
    sourceIPAddress: ip(),
    userAgent: '[aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1017-azure exe/x86_64.ubuntu.22 prompt/off command/s3.cp]',
    requestParameters: {
      bucketName: 'example-artifacts',
      Host: 'example-artifacts.s3.us-east-1.amazonaws.com',
      key: 'payments/build-812.zip',
    },
    responseElements: { 'x-amz-server-side-encryption': 'AES256' },
    requestID: chars('0123456789ABCDEF', 16),
    eventID: uuid(),
    readOnly: false,
    resources: [
      { type: 'AWS::S3::Object', ARN: 'arn:aws:s3:::example-artifacts/payments/build-812.zip' },
      { accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::example-artifacts' },
    ],
    eventType: 'AwsApiCall',
    managementEvent: false,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Data',
  });

  // SAML federation (shape of the IAM user guide's AssumeRoleWithSAML example).
  const samlTime = at();
  records.push({
    eventVersion: '1.08',
    userIdentity: {
      type: 'SAMLUser',
      principalId: 'SampleUkh1i4+ExamplexL/jEvs=:jdoe@example.com',
      userName: 'jdoe@example.com',
      identityProvider: 'bdGOnTesti4+ExamplexL/jEvs=',
    },
    eventTime: samlTime,
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRoleWithSAML',
    awsRegion: region,
    sourceIPAddress: ip(),
    userAgent: 'aws-internal/3 aws-sdk-java/1.12.677',
    requestParameters: {
      sAMLAssertionID: `_${chars(HEX, 32)}`,
      roleSessionName: 'jdoe@example.com',
      durationSeconds: 3600,
      roleArn: `arn:aws:iam::${SAML_ACCOUNT}:role/SAMLReadOnly`,
      principalArn: `arn:aws:iam::${SAML_ACCOUNT}:saml-provider/ExampleIdP`,
    },
    responseElements: {
      subjectType: 'persistent',
      issuer: 'https://idp.example.com/saml',
      credentials: { accessKeyId: asia(), expiration: expiration(samlTime, 3600) },
      nameQualifier: 'bdGOnTesti4+ExamplexL/jEvs=',
      assumedRoleUser: {
        assumedRoleId: `${uniqueId('AROA')}:jdoe@example.com`,
        arn: `arn:aws:sts::${SAML_ACCOUNT}:assumed-role/SAMLReadOnly/jdoe@example.com`,
      },
      subject: 'jdoe@example.com',
      audience: 'https://signin.aws.amazon.com/saml',
    },
    requestID: uuid(),
    eventID: uuid(),
    readOnly: true,
    resources: [
      { accountId: SAML_ACCOUNT, type: 'AWS::IAM::Role', ARN: `arn:aws:iam::${SAML_ACCOUNT}:role/SAMLReadOnly` },
      { accountId: SAML_ACCOUNT, type: 'AWS::IAM::SAMLProvider', ARN: `arn:aws:iam::${SAML_ACCOUNT}:saml-provider/ExampleIdP` },
    ],
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: SAML_ACCOUNT,
    eventCategory: 'Management',
  });

  // GetSessionToken and GetFederationToken by the IAM user, then a call as the federated user.
  const gstTime = at();
  records.push({
    eventVersion: '1.08',
    userIdentity: user,
    eventTime: gstTime,
    eventSource: 'sts.amazonaws.com',
    eventName: 'GetSessionToken',
    awsRegion: region,
    sourceIPAddress: ip(),
    userAgent: cli(),
    requestParameters: { durationSeconds: 43200, serialNumber: `arn:aws:iam::${ACCOUNT}:mfa/ci-deployer` },
    responseElements: { credentials: { accessKeyId: asia(), expiration: expiration(gstTime, 43200) } },
    requestID: uuid(),
    eventID: uuid(),
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
  });
  const gftTime = at();
  const fedKey = asia();
  records.push({
    eventVersion: '1.08',
    userIdentity: user,
    eventTime: gftTime,
    eventSource: 'sts.amazonaws.com',
    eventName: 'GetFederationToken',
    awsRegion: region,
    sourceIPAddress: ip(),
    userAgent: cli(),
    requestParameters: { name: 'build-bot', durationSeconds: 3600 },
    responseElements: {
      credentials: { accessKeyId: fedKey, expiration: expiration(gftTime, 3600) },
      federatedUser: { federatedUserId: `${ACCOUNT}:build-bot`, arn: `arn:aws:sts::${ACCOUNT}:federated-user/build-bot` },
      packedPolicySize: 6,
    },
    requestID: uuid(),
    eventID: uuid(),
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
  });
  records.push({
    eventVersion: '1.09',
    userIdentity: {
      type: 'FederatedUser',
      principalId: `${ACCOUNT}:build-bot`,
      arn: `arn:aws:sts::${ACCOUNT}:federated-user/build-bot`,
      accountId: ACCOUNT,
      accessKeyId: fedKey,
      sessionContext: {
        sessionIssuer: {
          type: 'IAMUser',
          principalId: user.principalId,
          arn: user.arn,
          accountId: ACCOUNT,
          userName: 'ci-deployer',
        },
        webIdFederationData: {},
        attributes: { creationDate: gftTime, mfaAuthenticated: 'false' },
      },
    },
    eventTime: at(),
    eventSource: 'ec2.amazonaws.com',
    eventName: 'DescribeInstances',
    awsRegion: region,
    sourceIPAddress: ip(),
    userAgent: cli(),
    requestParameters: { instancesSet: {}, filterSet: {} },
    responseElements: null,
    requestID: uuid(),
    eventID: uuid(),
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
  });

  // Cross-account AssumeRole as the role's account logs it: userIdentity type AWSAccount.
  const xTime = at();
  records.push({
    eventVersion: '1.08',
    userIdentity: { type: 'AWSAccount', principalId: uniqueId('AIDA'), accountId: OTHER_ACCOUNT },
    eventTime: xTime,
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRole',
    awsRegion: region,
    sourceIPAddress: ip(),
    userAgent: cli(),
    requestParameters: {
      roleArn: `arn:aws:iam::${ACCOUNT}:role/audit-readonly`,
      roleSessionName: 'audit-scan',
      externalId: 'example-external-id',
    },
    responseElements: {
      credentials: { accessKeyId: asia(), expiration: expiration(xTime, 3600) },
      assumedRoleUser: {
        assumedRoleId: `${uniqueId('AROA')}:audit-scan`,
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/audit-readonly/audit-scan`,
      },
    },
    requestID: uuid(),
    eventID: uuid(),
    readOnly: true,
    resources: [{ accountId: ACCOUNT, type: 'AWS::IAM::Role', ARN: `arn:aws:iam::${ACCOUNT}:role/audit-readonly` }],
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    sharedEventID: uuid(),
    eventCategory: 'Management',
  });

  // Access key lifecycle for the IAM user: create (a second key: rotation), deactivate, delete.
  const newKey = akia();
  const iamCall = (eventName: string, requestParameters: unknown, responseElements: unknown) => ({
    eventVersion: '1.09',
    userIdentity: role('deploy-1715680800', asia()),
    eventTime: at(),
    eventSource: 'iam.amazonaws.com',
    eventName,
    awsRegion: region,
    sourceIPAddress: ip(),
    userAgent: cli(),
    requestParameters,
    responseElements,
    requestID: uuid(),
    eventID: uuid(),
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
  });
  records.push(
    iamCall(
      'CreateAccessKey',
      { userName: 'ci-deployer' },
      { accessKey: { accessKeyId: newKey, status: 'Active', userName: 'ci-deployer', createDate: 'May 14, 2024, 10:31:07 AM' } },
    ),
  );
  records.push(iamCall('UpdateAccessKey', { accessKeyId: userKey, status: 'Inactive', userName: 'ci-deployer' }, null));
  records.push(iamCall('DeleteAccessKey', { accessKeyId: userKey, userName: 'ci-deployer' }, null));

  // Privilege changes.
  records.push(
    iamCall('AttachRolePolicy', { roleName: 'app-deploy', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }, null),
  );
  records.push(
    iamCall(
      'PutUserPolicy',
      {
        userName: 'ci-deployer',
        policyName: 'inline-s3',
        policyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}',
      },
      null,
    ),
  );
  records.push(
    iamCall(
      'CreatePolicyVersion',
      {
        policyArn: `arn:aws:iam::${ACCOUNT}:policy/deploy`,
        policyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
        setAsDefault: true,
      },
      { policyVersion: { versionId: 'v3', isDefaultVersion: true, createDate: 'May 14, 2024, 10:40:12 AM' } },
    ),
  );
  records.push(iamCall('AddUserToGroup', { groupName: 'admins', userName: 'ci-deployer' }, null));
  records.push(
    iamCall(
      'UpdateAssumeRolePolicy',
      {
        roleName: 'audit-readonly',
        policyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::${OTHER_ACCOUNT}:root"},"Action":"sts:AssumeRole"}]}`,
      },
      null,
    ),
  );
  records.push(
    iamCall(
      'CreateRole',
      { roleName: 'break-glass', assumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[]}' },
      {
        role: {
          path: '/',
          roleName: 'break-glass',
          roleId: uniqueId('AROA'),
          arn: `arn:aws:iam::${ACCOUNT}:role/break-glass`,
          createDate: 'May 14, 2024, 10:42:55 AM',
        },
      },
    ),
  );
  // A denied escalation by the instance role.
  records.push({
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: `${instanceRoleId}:${instance}`,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/web-instance/${instance}`,
      accountId: ACCOUNT,
      accessKeyId: asia(),
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: instanceRoleId,
          arn: `arn:aws:iam::${ACCOUNT}:role/web-instance`,
          accountId: ACCOUNT,
          userName: 'web-instance',
        },
        webIdFederationData: {},
        attributes: { creationDate: at(), mfaAuthenticated: 'false' },
        ec2RoleDelivery: '2.0',
      },
    },
    eventTime: at(),
    eventSource: 'iam.amazonaws.com',
    eventName: 'AttachUserPolicy',
    awsRegion: region,
    sourceIPAddress: ip(),
    userAgent: cli(),
    errorCode: 'AccessDenied',
    errorMessage: `User: arn:aws:sts::${ACCOUNT}:assumed-role/web-instance/${instance} is not authorized to perform: iam:AttachUserPolicy on resource: user ci-deployer because no identity-based policy allows the iam:AttachUserPolicy action`,
    requestParameters: null,
    responseElements: null,
    requestID: uuid(),
    eventID: uuid(),
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
  });

  // A service event: KMS rotating a key (no caller, no source address).
  records.push({
    eventVersion: '1.09',
    userIdentity: { accountId: ACCOUNT, invokedBy: 'kms.amazonaws.com' },
    eventTime: at(),
    eventSource: 'kms.amazonaws.com',
    eventName: 'RotateKey',
    awsRegion: region,
    sourceIPAddress: 'kms.amazonaws.com',
    userAgent: 'kms.amazonaws.com',
    requestParameters: null,
    responseElements: null,
    eventID: uuid(),
    readOnly: false,
    resources: [{ accountId: ACCOUNT, type: 'AWS::KMS::Key', ARN: `arn:aws:kms:${region}:${ACCOUNT}:key/${uuid()}` }],
    eventType: 'AwsServiceEvent',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    serviceEventDetails: { keyId: uuid() },
    eventCategory: 'Management',
  });

  // An IAM Identity Center user acting on their own behalf.
  records.push({
    eventVersion: '1.10',
    userIdentity: {
      type: 'IdentityCenterUser',
      accountId: ACCOUNT,
      onBehalfOf: { userId: uuid(), identityStoreArn: `arn:aws:identitystore::${ACCOUNT}:identitystore/d-9067642ac7` },
      credentialId: chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 60),
    },
    eventTime: at(),
    eventSource: 'sso.amazonaws.com',
    eventName: 'ListAccountRoles',
    awsRegion: region,
    sourceIPAddress: ip(),
    userAgent: cli(),
    requestParameters: { accountId: ACCOUNT },
    responseElements: null,
    requestID: uuid(),
    eventID: uuid(),
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
  });

  return records;
}
