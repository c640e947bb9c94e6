/**
 * Pure evaluation of AWS IAM policy documents, shared by the terraform, cloudformation and iam-json
 * analyzers. Parsers hand over plain JSON-like values (CloudFormation intrinsics as `{ "Fn::X": … }`
 * or `{ Ref }`, Terraform references as `"${…}"` strings); this module normalises the statements and
 * returns issues naming the rule, short evidence and where in the document the offending text is.
 *
 * Grammar: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
 * Escalation methods: Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation"
 * (Spencer Gietzen), as catalogued in salesforce/cloudsplaining.
 */

import { wildcardMatch } from '../../model/wildcard.js';

/** Rule ids this module and the IAM analyzers report; their metadata is rules/posture/iam.yaml. */
export const IAM_RULES = {
  wildcardAction: 'posture.iam.wildcard-action',
  adminEquivalent: 'posture.iam.admin-equivalent',
  serviceWildcard: 'posture.iam.service-wildcard-scoped',
  wildcardResource: 'posture.iam.wildcard-resource-sensitive',
  notAction: 'posture.iam.allow-not-action',
  notResource: 'posture.iam.allow-not-resource',
  privilegeEscalation: 'posture.iam.privilege-escalation',
  assumeAnyRole: 'posture.iam.assume-any-role',
  trustAnyPrincipal: 'posture.iam.trust-any-principal',
  trustAccount: 'posture.iam.trust-account-without-external-id',
  githubAnyRepo: 'posture.iam.github-oidc-any-repository',
  githubNoAudience: 'posture.iam.github-oidc-no-audience',
  accessKey: 'posture.iam.long-lived-access-key',
  terraformProviderKeys: 'posture.terraform.static-provider-credentials',
} as const;
/** One of the rule ids in `IAM_RULES`. */
export type IamRuleId = (typeof IAM_RULES)[keyof typeof IAM_RULES];

/** A statement field an issue points into, so analyzers can place the finding on its line. */
export type StatementField = 'Action' | 'NotAction' | 'Resource' | 'NotResource' | 'Principal' | 'NotPrincipal' | 'Condition';

/** One condition entry: `"StringEquals": { "aws:PrincipalOrgID": ["o-1"] }` becomes one of these. */
export interface Condition {
  readonly operator: string;
  readonly key: string;
  readonly values: readonly string[];
}

/** A Principal (or NotPrincipal) element by type; `any` for "*" or {"AWS": "*"}. */
export interface Principals {
  readonly any: boolean;
  readonly aws: readonly string[];
  readonly service: readonly string[];
  readonly federated: readonly string[];
}

/** A normalised statement: every list element is an array of strings, absent elements are undefined. */
export interface Statement {
  readonly effect: 'Allow' | 'Deny' | 'Unknown';
  readonly actions?: readonly string[] | undefined;
  readonly notActions?: readonly string[] | undefined;
  readonly resources?: readonly string[] | undefined;
  readonly notResources?: readonly string[] | undefined;
  readonly principal?: Principals | undefined;
  readonly notPrincipal?: Principals | undefined;
  readonly conditions: readonly Condition[];
  /** The statement as the parser gave it, for analyzers that map issues back to positions. */
  readonly source: unknown;
}

/** A normalised policy document: its statements in order (Fn::If branches expanded). */
export interface PolicyDocument {
  readonly statements: readonly Statement[];
}

/** One problem found in a policy document. */
export interface IamIssue {
  readonly ruleId: IamRuleId;
  /** Short offending text, e.g. `Action: "*"` or `iam:PassRole + ec2:RunInstances`. */
  readonly evidence: string;
  readonly message: string;
  /** Index into `PolicyDocument.statements`. */
  readonly statement: number;
  readonly field?: StatementField | undefined;
  /** The offending value inside `field`, to find its line. */
  readonly value?: string | undefined;
}

// Caps: hostile or generated documents must not make a scan quadratic.
const MAX_STATEMENTS = 500;
const MAX_VALUES = 1000;

// ---------------------------------------------------------------------------------------------
// Values

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The text of a scalar policy value. CloudFormation intrinsics become the text they would produce
 * where that is knowable (Fn::Sub, Fn::Join) and a `${…}` placeholder otherwise, so a reference is
 * never mistaken for a wildcard.
 * @example toText({ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::b/*' }) // 'arn:${AWS::Partition}:s3:::b/*'
 */
export function toText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (!isObj(v)) return undefined;
  const keys = Object.keys(v);
  if (keys.length !== 1) return undefined;
  const k = keys[0]!;
  const inner = v[k];
  if (k === 'Ref') return `\${${toText(inner) ?? '?'}}`;
  if (k === 'Fn::Sub') return toText(Array.isArray(inner) ? inner[0] : inner);
  if (k === 'Fn::Join' && Array.isArray(inner) && inner.length === 2 && Array.isArray(inner[1])) {
    const sep = toText(inner[0]) ?? '';
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal placeholder for a part we cannot resolve
    return inner[1].map((p) => toText(p) ?? '${?}').join(sep);
  }
  return `\${${k}}`;
}

/**
 * Every string a list-valued element can take: arrays are flattened, both branches of Fn::If are
 * kept (either may be deployed) and `Ref: AWS::NoValue` disappears.
 */
export function toTexts(v: unknown, depth = 0): string[] {
  if (v === undefined || v === null || depth > 8) return [];
  if (Array.isArray(v)) return v.slice(0, MAX_VALUES).flatMap((x) => toTexts(x, depth + 1));
  if (isObj(v)) {
    if (v.Ref === 'AWS::NoValue') return [];
    const cond = v['Fn::If'];
    if (Array.isArray(cond) && cond.length === 3) return [...toTexts(cond[1], depth + 1), ...toTexts(cond[2], depth + 1)];
  }
  const t = toText(v);
  return t === undefined ? [] : [t];
}

/** Objects a list may hold, looking through Fn::If branches (CloudFormation statements, policies). */
export function toObjects(v: unknown, depth = 0): Obj[] {
  if (v === undefined || v === null || depth > 8) return [];
  if (Array.isArray(v)) return v.slice(0, MAX_STATEMENTS).flatMap((x) => toObjects(x, depth + 1));
  if (!isObj(v)) return [];
  const cond = v['Fn::If'];
  if (Array.isArray(cond) && cond.length === 3) return [...toObjects(cond[1], depth + 1), ...toObjects(cond[2], depth + 1)];
  if (v.Ref === 'AWS::NoValue') return [];
  return [v];
}

/** Element lookup: IAM names are case-sensitive, but hand-written policies sometimes lower-case them. */
function field(o: Obj, name: string): unknown {
  return name in o ? o[name] : o[name.toLowerCase()];
}

/** Replaces `${…}` references with a neutral token so ARN shapes can be inspected. */
function neutral(s: string): string {
  return s.replace(/\$\{[^}]*\}/g, 'X');
}

// ---------------------------------------------------------------------------------------------
// Normalisation

function normalizePrincipal(v: unknown): Principals | undefined {
  if (v === undefined || v === null) return undefined;
  if (v === '*') return { any: true, aws: ['*'], service: [], federated: [] };
  if (!isObj(v)) {
    const texts = toTexts(v);
    return { any: texts.includes('*'), aws: texts, service: [], federated: [] };
  }
  const aws = toTexts(v.AWS);
  return {
    any: aws.includes('*'),
    aws,
    service: toTexts(v.Service),
    federated: toTexts(v.Federated),
  };
}

function normalizeConditions(v: unknown): Condition[] {
  const out: Condition[] = [];
  if (!isObj(v)) return out;
  for (const [operator, block] of Object.entries(v)) {
    if (!isObj(block)) continue;
    for (const [key, values] of Object.entries(block)) out.push({ operator, key, values: toTexts(values) });
  }
  return out;
}

function normalizeEffect(v: unknown): Statement['effect'] {
  if (typeof v !== 'string') return 'Unknown';
  const e = v.toLowerCase();
  return e === 'allow' ? 'Allow' : e === 'deny' ? 'Deny' : 'Unknown';
}

function list(o: Obj, name: string): string[] | undefined {
  const v = field(o, name);
  return v === undefined ? undefined : toTexts(v);
}

/** Normalises one statement object; undefined when it is not an object. */
export function normalizeStatement(raw: unknown): Statement | undefined {
  if (!isObj(raw)) return undefined;
  return {
    effect: normalizeEffect(field(raw, 'Effect')),
    actions: list(raw, 'Action'),
    notActions: list(raw, 'NotAction'),
    resources: list(raw, 'Resource'),
    notResources: list(raw, 'NotResource'),
    principal: normalizePrincipal(field(raw, 'Principal')),
    notPrincipal: normalizePrincipal(field(raw, 'NotPrincipal')),
    conditions: normalizeConditions(field(raw, 'Condition')),
    source: raw,
  };
}

/**
 * Normalises a policy document (an object with `Statement`, one statement or a list); undefined when
 * the value is not a policy document.
 * @example normalizePolicy({ Statement: { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' } })
 */
export function normalizePolicy(doc: unknown): PolicyDocument | undefined {
  if (!isObj(doc)) return undefined;
  const raw = field(doc, 'Statement');
  if (raw === undefined) return undefined;
  const statements: Statement[] = [];
  for (const s of toObjects(raw)) {
    const n = normalizeStatement(s);
    if (n) statements.push(n);
  }
  return { statements };
}

// ---------------------------------------------------------------------------------------------
// Matching

/** IAM action globbing: `*` any run, `?` one character, case-insensitive; linear time (policies come from the scanned tree). */
const glob = (pattern: string, value: string) => wildcardMatch(pattern, value, true);

function matchesAny(patterns: readonly string[], action: string): boolean {
  return patterns.some((p) => glob(p, action));
}

/** The pattern of a statement that allows `action`, or undefined. NotAction allows what it does not list. */
function allowingPattern(s: Statement, action: string): string | undefined {
  if (s.actions) return s.actions.find((p) => glob(p, action));
  if (s.notActions) return matchesAny(s.notActions, action) ? undefined : `NotAction`;
  return undefined;
}

const isAllActions = (a: string): boolean => a === '*' || a === '*:*';
/** `s3:*`: every action of one service. */
const SERVICE_WILDCARD = /^([a-z0-9-]+):\*$/i;

/**
 * Whether a resource covers everything of its kind: `*`, `arn:aws:s3:::*`, `arn:aws:iam::123:role/*`,
 * `arn:aws:lambda:*:*:function:*`. A path or name prefix (`role/app-*`) counts as scoped.
 */
export function isUnscopedResource(r: string): boolean {
  if (r === '*') return true;
  const s = neutral(r);
  if (!s.startsWith('arn:')) return false;
  const parts = s.split(':');
  if (parts.length < 6) return false;
  const rest = parts.slice(5).join(':');
  if (rest === '*' || rest === '*/*') return true;
  // S3 ARNs carry no resource type: arn:aws:s3:::bucket/* is one bucket's objects, not every bucket.
  return parts[2] !== 's3' && /^[\w-]+[/:]\*$/.test(rest);
}

function resourceUnscoped(s: Statement): string | undefined {
  if (s.notResources) return 'NotResource';
  return s.resources?.find(isUnscopedResource);
}

/**
 * Condition keys that do not narrow which resources or callers a statement applies to; any other
 * condition is taken as a deliberate restriction (we cannot evaluate it, so we do not second-guess it).
 */
const NON_RESTRICTING_KEYS = new Set([
  'aws:securetransport',
  'aws:requestedregion',
  'aws:multifactorauthpresent',
  'aws:multifactorauthage',
  'aws:currenttime',
  'aws:epochtime',
  'aws:viaawsservice',
  'aws:calledvia',
  'iam:passedtoservice',
]);
const restricted = (s: Statement): boolean => s.conditions.some((c) => !NON_RESTRICTING_KEYS.has(c.key.toLowerCase()));

// ---------------------------------------------------------------------------------------------
// Identity-policy checks

/** Services whose `service:*` is high even on one resource: they administer identities themselves. */
const IDENTITY_SERVICES = new Set(['iam', 'sts', 'organizations', 'account', 'sso', 'sso-directory', 'identitystore']);

/**
 * Actions that matter on Resource "*": reading secrets and data, writing or deleting data, changing
 * resource policies and turning off audit. Actions AWS only allows on "*" (logs:CreateLogGroup,
 * cloudwatch:PutMetricData, xray:PutTraceSegments, ec2:CreateNetworkInterface, ecr:GetAuthorizationToken…)
 * are deliberately absent, or every Lambda execution role would be flagged; so are the grants that
 * widely vendored controller policies make on "*" by design (external-dns's
 * route53:ChangeResourceRecordSets, the AWS Load Balancer Controller's security-group rules).
 */
const SENSITIVE_ON_ANY_RESOURCE = [
  's3:GetObject',
  's3:PutObject',
  's3:DeleteObject',
  's3:DeleteBucket',
  's3:PutBucketPolicy',
  's3:DeleteBucketPolicy',
  's3:PutBucketAcl',
  's3:PutObjectAcl',
  's3:PutBucketPublicAccessBlock',
  'secretsmanager:GetSecretValue',
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecret',
  'secretsmanager:DeleteSecret',
  'secretsmanager:PutResourcePolicy',
  'ssm:GetParameter',
  'ssm:GetParameters',
  'ssm:GetParametersByPath',
  'ssm:PutParameter',
  'ssm:DeleteParameter',
  'ssm:SendCommand',
  'ssm:StartSession',
  'kms:Decrypt',
  'kms:CreateGrant',
  'kms:PutKeyPolicy',
  'kms:ScheduleKeyDeletion',
  'kms:DisableKey',
  'dynamodb:GetItem',
  'dynamodb:Scan',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteTable',
  'rds:DeleteDBInstance',
  'rds:DeleteDBCluster',
  'rds:ModifyDBInstance',
  'rds-db:connect',
  'ec2:TerminateInstances',
  'ec2:DeleteVolume',
  'ec2:DeleteSnapshot',
  'ec2:ModifySnapshotAttribute',
  'ec2:ModifyInstanceAttribute',
  'ec2:GetPasswordData',
  'lambda:UpdateFunctionConfiguration',
  'lambda:DeleteFunction',
  'lambda:AddPermission',
  'iam:CreateUser',
  'iam:DeleteRole',
  'iam:DeleteRolePermissionsBoundary',
  'iam:DetachRolePolicy',
  'ecr:PutImage',
  'ecr:BatchDeleteImage',
  'ecr:SetRepositoryPolicy',
  'eks:AssociateAccessPolicy',
  'eks:CreateAccessEntry',
  'sqs:DeleteQueue',
  'sqs:SetQueueAttributes',
  'sns:SetTopicAttributes',
  'logs:DeleteLogGroup',
  'cloudtrail:StopLogging',
  'cloudtrail:DeleteTrail',
  'cloudtrail:UpdateTrail',
  'cloudtrail:PutEventSelectors',
  'guardduty:DeleteDetector',
  'config:StopConfigurationRecorder',
  'config:DeleteConfigurationRecorder',
];

const quote = (s: string): string => JSON.stringify(s);
const shortList = (xs: readonly string[]): string =>
  xs.length <= 3 ? xs.map(quote).join(', ') : `${xs.slice(0, 3).map(quote).join(', ')}, …`;

function checkIdentityStatement(s: Statement, i: number, out: IamIssue[]): boolean {
  const actions = s.actions ?? [];
  const starResource = s.notResources !== undefined || (s.resources ?? []).includes('*');
  const unscoped = resourceUnscoped(s);
  let admin = false;
  let broad = false;

  const all = actions.find(isAllActions);
  if (all !== undefined) {
    if (starResource) {
      admin = true;
      out.push({
        ruleId: IAM_RULES.adminEquivalent,
        evidence: `Action: "*" on ${s.notResources ? 'NotResource' : 'Resource: "*"'}`,
        message: 'Allows every action on every resource: administrator access',
        statement: i,
        field: 'Action',
        value: all,
      });
    } else {
      broad = true;
      out.push({
        ruleId: IAM_RULES.wildcardAction,
        evidence: `Action: "${all}"`,
        message: 'Allows every action of every service on the listed resources',
        statement: i,
        field: 'Action',
        value: all,
      });
    }
  }
  for (const a of actions) {
    const m = SERVICE_WILDCARD.exec(a);
    if (!m || isAllActions(a)) continue;
    const service = m[1]!.toLowerCase();
    if (starResource || IDENTITY_SERVICES.has(service)) {
      broad = true;
      out.push({
        ruleId: IAM_RULES.wildcardAction,
        evidence: starResource ? `Action: "${a}" on Resource: "*"` : `Action: "${a}"`,
        message: `Allows every ${service} action${starResource ? ' on every resource' : ''}`,
        statement: i,
        field: 'Action',
        value: a,
      });
    } else {
      out.push({
        ruleId: IAM_RULES.serviceWildcard,
        evidence: `Action: "${a}"${unscoped ? ` on Resource: ${quote(unscoped)}` : ''}`,
        message: `Allows every ${service} action on its resources; list the actions the workload needs`,
        statement: i,
        field: 'Action',
        value: a,
      });
    }
  }
  if (s.notActions) {
    out.push({
      ruleId: IAM_RULES.notAction,
      evidence: `Allow NotAction: [${shortList(s.notActions)}]`,
      message: 'Allow with NotAction grants every action not listed, including future ones',
      statement: i,
      field: 'NotAction',
      value: s.notActions[0],
    });
  }
  if (s.notResources) {
    out.push({
      ruleId: IAM_RULES.notResource,
      evidence: `Allow NotResource: [${shortList(s.notResources)}]`,
      message: 'Allow with NotResource applies to every resource not listed, including future ones',
      statement: i,
      field: 'NotResource',
      value: s.notResources[0],
    });
  }
  // The remaining checks look at specific (non-wildcard) actions: a statement already reported as
  // admin or service-wide says the same thing more strongly.
  // NotAction / NotResource statements were reported above; what they imply follows from that.
  if (admin || broad || !unscoped || restricted(s) || s.notActions || s.notResources) return admin;
  const specific = actions.filter((a) => !isAllActions(a) && !SERVICE_WILDCARD.test(a));
  for (const target of SENSITIVE_ON_ANY_RESOURCE) {
    const p = specific.find((a) => glob(a, target));
    if (p === undefined) continue;
    out.push({
      ruleId: IAM_RULES.wildcardResource,
      evidence: `${p === target ? p : `${p} (${target})`} on Resource: ${quote(unscoped)}`,
      message: `Allows ${target} on every resource of its kind`,
      statement: i,
      field: 'Action',
      value: p,
    });
    break;
  }
  const assume = specific.find((a) => glob(a, 'sts:AssumeRole'));
  if (assume !== undefined) {
    out.push({
      ruleId: IAM_RULES.assumeAnyRole,
      evidence: `${assume} on Resource: ${quote(unscoped)}`,
      message: 'May assume every role that trusts this account',
      statement: i,
      field: 'Action',
      value: assume,
    });
  }
  return admin;
}

// ---------------------------------------------------------------------------------------------
// Privilege escalation (Rhino Security Labs' methods, as listed by salesforce/cloudsplaining)

interface EscalationMethod {
  readonly name: string;
  /** Each group must be allowed; any action of a group suffices. */
  readonly needs: readonly (readonly string[])[];
  /** The method passes an existing role to this service (the first need is iam:PassRole). */
  readonly passTo?: string;
}

const ESCALATION_METHODS: readonly EscalationMethod[] = [
  { name: 'CreateNewPolicyVersion', needs: [['iam:CreatePolicyVersion']] },
  { name: 'SetExistingDefaultPolicyVersion', needs: [['iam:SetDefaultPolicyVersion']] },
  { name: 'AttachUserPolicy', needs: [['iam:AttachUserPolicy']] },
  { name: 'AttachGroupPolicy', needs: [['iam:AttachGroupPolicy']] },
  { name: 'AttachRolePolicy', needs: [['iam:AttachRolePolicy']] },
  { name: 'PutUserPolicy', needs: [['iam:PutUserPolicy']] },
  { name: 'PutGroupPolicy', needs: [['iam:PutGroupPolicy']] },
  { name: 'PutRolePolicy', needs: [['iam:PutRolePolicy']] },
  { name: 'AddUserToGroup', needs: [['iam:AddUserToGroup']] },
  { name: 'UpdateRolePolicyToAssumeIt', needs: [['iam:UpdateAssumeRolePolicy']] },
  { name: 'CreateAccessKey', needs: [['iam:CreateAccessKey']] },
  { name: 'CreateLoginProfile', needs: [['iam:CreateLoginProfile']] },
  { name: 'UpdateLoginProfile', needs: [['iam:UpdateLoginProfile']] },
  { name: 'CreateEC2WithExistingIP', needs: [['iam:PassRole'], ['ec2:RunInstances']], passTo: 'ec2' },
  {
    name: 'PassExistingRoleToNewLambdaThenInvoke',
    needs: [['iam:PassRole'], ['lambda:CreateFunction'], ['lambda:InvokeFunction']],
    passTo: 'lambda',
  },
  {
    name: 'PassExistingRoleToNewLambdaThenTrigger',
    needs: [['iam:PassRole'], ['lambda:CreateFunction'], ['lambda:CreateEventSourceMapping']],
    passTo: 'lambda',
  },
  { name: 'PassExistingRoleToNewGlueDevEndpoint', needs: [['iam:PassRole'], ['glue:CreateDevEndpoint']], passTo: 'glue' },
  {
    name: 'PassExistingRoleToCloudFormation',
    needs: [['iam:PassRole'], ['cloudformation:CreateStack']],
    passTo: 'cloudformation',
  },
  {
    name: 'PassExistingRoleToNewDataPipeline',
    needs: [['iam:PassRole'], ['datapipeline:CreatePipeline'], ['datapipeline:PutPipelineDefinition']],
    passTo: 'datapipeline',
  },
  // Later public research (Bishop Fox, pathfinding.cloud) adds the same pattern for CodeBuild.
  {
    name: 'PassExistingRoleToNewCodeBuildProject',
    needs: [['iam:PassRole'], ['codebuild:CreateProject'], ['codebuild:StartBuild', 'codebuild:StartBuildBatch']],
    passTo: 'codebuild',
  },
  { name: 'UpdateExistingGlueDevEndpoint', needs: [['glue:UpdateDevEndpoint']] },
  { name: 'EditExistingLambdaFunctionWithRole', needs: [['lambda:UpdateFunctionCode']] },
];

interface Grant {
  statement: number;
  pattern: string;
}

function denied(doc: PolicyDocument, action: string): boolean {
  return doc.statements.some(
    (s) =>
      s.effect === 'Deny' &&
      s.conditions.length === 0 &&
      (s.resources ?? []).includes('*') &&
      (s.actions ? matchesAny(s.actions, action) : s.notActions ? !matchesAny(s.notActions, action) : false),
  );
}

/**
 * Where `action` is allowed. `unscoped`: only on every resource of its kind and without a
 * restricting condition (an escalation through a named role or the caller's own user is bounded).
 */
function grant(doc: PolicyDocument, action: string, unscoped: boolean, passTo?: string): Grant | undefined {
  if (denied(doc, action)) return undefined;
  for (let i = 0; i < doc.statements.length; i++) {
    const s = doc.statements[i]!;
    if (s.effect !== 'Allow' || s.principal || s.notPrincipal) continue;
    const pattern = allowingPattern(s, action);
    if (pattern === undefined) continue;
    if (unscoped && (!resourceUnscoped(s) || restricted(s))) continue;
    if (passTo) {
      // iam:PassedToService narrows which service may receive the role (not which role).
      const c = s.conditions.find((x) => x.key.toLowerCase() === 'iam:passedtoservice');
      if (c && !c.values.some((v) => glob(v, `${passTo}.amazonaws.com`))) continue;
    }
    return { statement: i, pattern };
  }
  return undefined;
}

function checkEscalation(doc: PolicyDocument, out: IamIssue[]): void {
  const found: { method: EscalationMethod; combo: string[]; first: Grant }[] = [];
  for (const m of ESCALATION_METHODS) {
    const combo: string[] = [];
    let first: Grant | undefined;
    for (const [n, group] of m.needs.entries()) {
      // The escalating permission (the IAM action, or the single-action method) must be unscoped;
      // the compute service that receives a passed role can be anything the policy allows.
      const mustBeUnscoped = n === 0;
      let hit: Grant | undefined;
      let name = '';
      for (const a of group) {
        hit = grant(doc, a, mustBeUnscoped, n === 0 ? m.passTo : undefined);
        if (hit) {
          name = a;
          break;
        }
      }
      if (!hit) {
        first = undefined;
        break;
      }
      combo.push(name);
      first ??= hit;
    }
    if (first) found.push({ method: m, combo, first });
  }
  if (found.length === 0) return;
  const head = found[0]!;
  const names = found.map((f) => f.method.name);
  out.push({
    ruleId: IAM_RULES.privilegeEscalation,
    evidence: head.combo.join(' + '),
    message: `Can escalate privileges: ${names.slice(0, 4).join(', ')}${names.length > 4 ? ` and ${names.length - 4} more` : ''} (published AWS IAM escalation methods, after Rhino Security Labs)`,
    statement: head.first.statement,
    field: head.first.pattern === 'NotAction' ? 'NotAction' : 'Action',
    value: head.first.pattern === 'NotAction' ? undefined : head.first.pattern,
  });
}

// ---------------------------------------------------------------------------------------------
// Trust-policy checks

const ASSUME_ACTIONS = ['sts:AssumeRole', 'sts:AssumeRoleWithWebIdentity', 'sts:AssumeRoleWithSAML'];
const GITHUB_ISSUER = 'token.actions.githubusercontent.com';

/** Whether a statement grants role assumption to principals (a trust policy statement). */
export function isTrustStatement(s: Statement): boolean {
  if (!s.principal && !s.notPrincipal) return false;
  return (s.actions ?? []).some((a) => ASSUME_ACTIONS.some((x) => glob(a, x)));
}

/** Keys that pin who may call: an organisation, account, principal, source or external ID. */
const CALLER_KEYS =
  /^(aws:principalorgid|aws:principalorgpaths|aws:principalaccount|aws:principalarn|aws:sourceaccount|aws:sourcearn|aws:sourceorgid|aws:sourceorgpaths|aws:sourceip|aws:sourcevpce?|aws:userid|aws:username|sts:externalid|aws:principaltag\/.+|.+:sub)$/i;

const meaningful = (c: Condition): boolean => c.values.length > 0 && !c.values.every((v) => v === '*');
const ROOT_ARN = /^arn:aws[\w-]*:iam::(\d{12}):root$/;

/** Keys that bound a whole-account trust to a party or a person (external ID, named principal, MFA). */
const ACCOUNT_TRUST_KEYS =
  /^(sts:externalid|aws:principalarn|aws:userid|aws:principaltag\/.+|aws:multifactorauthpresent|aws:multifactorauthage|aws:sourceidentity|sts:sourceidentity)$/i;

function strip(op: string): string {
  return op.replace(/^for(any|all)value:/i, '').toLowerCase();
}

/** Whether a value of a GitHub claim condition pins one repository (wildcards only matter for *Like). */
function pinsRepository(key: string, operator: string, value: string): boolean {
  const op = strip(operator);
  if (op === 'stringequals' || op === 'stringequalsignorecase') return true;
  if (op !== 'stringlike') return false;
  const v = neutral(value);
  const claim = key.slice(key.lastIndexOf(':') + 1).toLowerCase();
  if (claim === 'sub') {
    if (!v.startsWith('repo:')) return !/^[*?]/.test(v);
    const repo = v.slice(5).split(':')[0]!;
    return !/[*?]/.test(repo);
  }
  if (claim === 'job_workflow_ref') return !/[*?]/.test(v.split('/.github/')[0]!.split('@')[0]!);
  return !/[*?]/.test(v);
}

/** GitHub claim keys that identify one repository (sub, or the STS provider-specific claims). */
const GITHUB_PIN_CLAIM = /:(sub|repository|repository_id|job_workflow_ref)$/i;

function checkGithub(s: Statement, i: number, out: IamIssue[]): void {
  const federated = s.principal?.federated ?? [];
  const viaGithub =
    federated.some((f) => f.includes(GITHUB_ISSUER) || /github/i.test(f)) ||
    s.conditions.some((c) => c.key.toLowerCase().startsWith(GITHUB_ISSUER));
  if (!viaGithub) return;
  if (!(s.actions ?? []).some((a) => glob(a, 'sts:AssumeRoleWithWebIdentity'))) return;
  const pins = s.conditions.filter((c) => GITHUB_PIN_CLAIM.test(c.key) && !/not/i.test(c.operator));
  const pinned = pins.some((c) => c.values.length > 0 && c.values.every((v) => pinsRepository(c.key, c.operator, v)));
  if (!pinned) {
    const loose = pins.flatMap((c) => c.values.filter((v) => !pinsRepository(c.key, c.operator, v)))[0];
    out.push({
      ruleId: IAM_RULES.githubAnyRepo,
      evidence: loose !== undefined ? `sub: ${quote(loose)}` : `${GITHUB_ISSUER} trust without a sub condition`,
      message:
        loose !== undefined
          ? `The sub condition ${quote(loose)} matches workflows in more than one repository`
          : 'Any GitHub Actions workflow, in any repository, can assume this role',
      statement: i,
      field: loose !== undefined ? 'Condition' : 'Principal',
      value: loose ?? federated[0],
    });
  }
  if (!s.conditions.some((c) => /:aud$/i.test(c.key) && c.values.length > 0)) {
    out.push({
      ruleId: IAM_RULES.githubNoAudience,
      evidence: `${GITHUB_ISSUER} trust without an aud condition`,
      message: 'The trust policy does not require the token audience sts.amazonaws.com',
      statement: i,
      field: 'Principal',
      value: federated[0],
    });
  }
}

function checkTrustStatement(s: Statement, i: number, out: IamIssue[]): void {
  if (s.effect !== 'Allow') return;
  const anyone = s.principal?.any === true || s.notPrincipal !== undefined;
  if (anyone && !s.conditions.some((c) => CALLER_KEYS.test(c.key) && meaningful(c))) {
    out.push({
      ruleId: IAM_RULES.trustAnyPrincipal,
      evidence: s.notPrincipal ? 'Allow with NotPrincipal' : 'Principal: "*" (any AWS principal)',
      message: 'Any AWS principal in any account can assume this role',
      statement: i,
      field: s.notPrincipal ? 'NotPrincipal' : 'Principal',
      value: s.notPrincipal ? undefined : '*',
    });
  }
  if ((s.actions ?? []).some((a) => glob(a, 'sts:AssumeRole'))) {
    const bounded = s.conditions.some((c) => ACCOUNT_TRUST_KEYS.test(c.key) && meaningful(c));
    const account = (s.principal?.aws ?? []).find((p) => ROOT_ARN.test(p) || /^\d{12}$/.test(p));
    if (account !== undefined && !bounded) {
      out.push({
        ruleId: IAM_RULES.trustAccount,
        evidence: `Principal AWS: ${quote(account)} without sts:ExternalId`,
        message: 'Every principal the trusted account allows can assume this role',
        statement: i,
        field: 'Principal',
        value: account,
      });
    }
  }
  checkGithub(s, i, out);
}

// ---------------------------------------------------------------------------------------------
// Entry points

/**
 * Checks one policy document: identity statements for wildcards and escalation, trust statements
 * (those granting sts:AssumeRole* to a Principal) for who may assume the role. Deny statements never
 * raise findings.
 * @example checkPolicy(normalizePolicy(JSON.parse(text))!) // [{ ruleId: 'posture.iam.wildcard-action', … }]
 */
export function checkPolicy(doc: PolicyDocument): IamIssue[] {
  const out: IamIssue[] = [];
  const statements = doc.statements.slice(0, MAX_STATEMENTS);
  const bounded: PolicyDocument = { statements };
  let admin = false;
  for (const [i, s] of statements.entries()) {
    if (isTrustStatement(s)) {
      checkTrustStatement(s, i, out);
      continue;
    }
    // Resource policies (a Principal on a bucket, key or queue policy) are out of scope: there
    // Resource "*" means the resource the policy is attached to, as in every default KMS key policy.
    if (s.effect !== 'Allow' || s.principal || s.notPrincipal) continue;
    if (checkIdentityStatement(s, i, out)) admin = true;
  }
  // An administrator policy can do everything, escalation included; say it once.
  if (!admin) checkEscalation(bounded, out);
  return out;
}

/** AWS managed policies that are administrator access, or enough IAM write access to obtain it. */
const ADMIN_MANAGED = /(?:^|:iam::aws:policy\/|^policy\/)(AdministratorAccess|IAMFullAccess)$/;

/**
 * Whether a managed policy ARN (or, for SAM, a bare name) is administrator-equivalent; returns the
 * policy name. AWS-managed ReadOnlyAccess, PowerUserAccess and the like are not.
 * @example adminManagedPolicy('arn:aws:iam::aws:policy/AdministratorAccess') // 'AdministratorAccess'
 */
export function adminManagedPolicy(arn: string): string | undefined {
  return ADMIN_MANAGED.exec(arn.trim())?.[1];
}

/** The issue for attaching an administrator-equivalent managed policy. */
export function adminAttachmentIssue(name: string, statement = -1): IamIssue {
  return {
    ruleId: IAM_RULES.adminEquivalent,
    evidence: `managed policy ${name} attached`,
    message: `Attaches the AWS managed ${name} policy: administrator-equivalent access`,
    statement,
    value: name,
  };
}

// ---------------------------------------------------------------------------------------------
// Lenient JSON

/** A parsed JSON text; `exact` is false when Terraform interpolations had to be quoted first. */
export type JsonResult = { ok: true; value: unknown; exact: boolean } | { ok: false; reason: string };

/**
 * Wraps Terraform `${…}` interpolations that stand outside JSON strings (as in a heredoc policy with
 * `"Resource": ${jsonencode(var.arns)}`) in quotes, so the rest of the document can still be read.
 * Returns undefined for template directives (`%{ for … }`) or unbalanced braces.
 */
function quoteInterpolations(text: string): string | undefined {
  let out = '';
  let i = 0;
  let inString = false;
  while (i < text.length) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') {
        out += text[i + 1] ?? '';
        i += 2;
        continue;
      }
      if (c === '"') inString = false;
      i++;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      i++;
      continue;
    }
    if (c === '%' && text[i + 1] === '{') return undefined;
    if (c === '$' && text[i + 1] === '{') {
      let depth = 0;
      let j = i + 1;
      let quoted = false;
      for (; j < text.length; j++) {
        const d = text[j]!;
        if (quoted) {
          if (d === '\\') j++;
          else if (d === '"') quoted = false;
        } else if (d === '"') quoted = true;
        else if (d === '{') depth++;
        else if (d === '}' && --depth === 0) break;
      }
      if (j >= text.length) return undefined;
      out += JSON.stringify(text.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/**
 * JSON.parse with a clear reason on failure, accepting Terraform-templated policy JSON whose
 * interpolations stand outside strings.
 * @example parseLenientJson('{"Statement": ${jsonencode(local.s)}}') // { ok: true, exact: false, … }
 */
export function parseLenientJson(text: string): JsonResult {
  const body = text.replace(/^\uFEFF/, '');
  try {
    return { ok: true, value: JSON.parse(body), exact: true };
  } catch (err) {
    // V8 quotes part of the input in some messages ("…" is not valid JSON): keep file text out of reasons.
    const reason = `invalid JSON: ${(err as Error).message.replace(/, ".*" is not valid JSON$/s, '')}`;
    if (!body.includes('${')) return { ok: false, reason };
    const quoted = quoteInterpolations(body);
    if (quoted === undefined) return { ok: false, reason };
    try {
      return { ok: true, value: JSON.parse(quoted), exact: false };
    } catch {
      return { ok: false, reason };
    }
  }
}
