/**
 * GCP and Azure identity posture in Terraform (`google_*`, `azurerm_*`, `azuread_*`), read from the
 * same hcl2json tree the Terraform analyzer already parsed (one parse per file).
 *
 * - GCP IAM: `google_{project,folder,organization}_iam_{member,binding}`, `_iam_policy` through
 *   `data "google_iam_policy"`, `google_service_account_iam_*`: primitive roles (roles/owner,
 *   roles/editor), public members (allUsers, allAuthenticatedUsers), and impersonation roles
 *   (iam.serviceAccountTokenCreator, serviceAccountUser, workloadIdentityUser, serviceAccountKeyAdmin)
 *   granted across a whole project/folder/organization or to a whole domain.
 *   https://cloud.google.com/iam/docs/understanding-roles#basic and
 *   https://cloud.google.com/iam/docs/service-account-permissions
 * - GCP keys: `google_service_account_key` and `google_storage_hmac_key` (long-lived secrets for a
 *   service account). https://cloud.google.com/iam/docs/best-practices-for-managing-service-account-keys
 * - Workload identity federation: `google_iam_workload_identity_pool_provider` trusting GitHub or GitLab
 *   without an `attribute_condition`, or with one that pins no repository/project.
 *   https://cloud.google.com/iam/docs/workload-identity-federation-with-deployment-pipelines
 * - Azure: application/service principal passwords and certificates without an end date or valid for
 *   more than a year; Owner, Contributor, User Access Administrator or RBAC Administrator at subscription,
 *   management group or root scope for a principal that is not a person or a group; federated identity
 *   credentials whose subject admits pull requests or wildcards.
 */
import type { PostureContext } from './types.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const blocks = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : isObj(v) ? [v] : []);
const labelled = (v: unknown): [string, Obj][] =>
  isObj(v) ? Object.entries(v).flatMap(([name, inst]) => blocks(inst).map((b) => [name, b] as [string, Obj])) : [];
const texts = (v: unknown): string[] =>
  typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export const CLOUD_RULES = {
  gcpPrimitive: 'posture.gcp.primitive-role',
  gcpPublic: 'posture.gcp.public-iam-member',
  gcpImpersonation: 'posture.gcp.broad-service-account-impersonation',
  gcpKey: 'posture.gcp.service-account-key',
  gcpWif: 'posture.gcp.workload-identity-unrestricted',
  azureSecret: 'posture.azure.long-lived-application-credential',
  azureRole: 'posture.azure.privileged-role-broad-scope',
  azureFederated: 'posture.azure.federated-credential-broad-subject',
} as const;

/** Whether a Terraform file names anything these checks read (cheap pre-filter). */
export const CLOUD_RELEVANT =
  /\b(?:google_(?:project|folder|organization|service_account)_iam_\w+|google_iam_policy|google_service_account_key|google_storage_hmac_key|google_iam_workload_identity_pool_provider|azuread_(?:application|service_principal)_(?:password|certificate)|azuread_application|azuread_application_(?:flexible_)?federated_identity_credential|azurerm_federated_identity_credential|azurerm_role_assignment)\b/;

const PRIMITIVE = new Set(['roles/owner', 'roles/editor']);
const IMPERSONATION = new Set([
  'roles/iam.serviceAccountTokenCreator',
  'roles/iam.serviceAccountUser',
  'roles/iam.workloadIdentityUser',
  'roles/iam.serviceAccountKeyAdmin',
  'roles/iam.serviceAccountOpenIdTokenCreator',
]);
const PUBLIC = new Set(['allUsers', 'allAuthenticatedUsers']);

/** Built-in Azure roles that can change anything, or grant themselves anything, in their scope. */
export const AZURE_PRIVILEGED: Record<string, string> = {
  owner: 'Owner',
  contributor: 'Contributor',
  'user access administrator': 'User Access Administrator',
  'role based access control administrator': 'Role Based Access Control Administrator',
  // Role definition ids of the same built-in roles (Azure built-in roles reference).
  '8e3af657-a8ff-443c-a75c-2fe8c4bcd635': 'Owner',
  'b24988ac-6180-42a0-ab88-20f7382dd24c': 'Contributor',
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9': 'User Access Administrator',
  'f58310d9-a9f6-439a-9e8d-f62e7b41a168': 'Role Based Access Control Administrator',
};

interface Range {
  start: number;
  end: number;
}

export interface CloudEnv {
  ctx: PostureContext;
  /** Offsets of top-level block headers, to bound a block's text. */
  headers: number[];
}

function rangeOf(env: CloudEnv, kind: string, type: string, name: string): Range | undefined {
  const m = new RegExp(`^[ \\t]*${kind}[ \\t]+"${escapeRe(type)}"[ \\t]+"${escapeRe(name)}"`, 'm').exec(env.ctx.text);
  if (!m) return undefined;
  return { start: m.index, end: env.headers.find((h) => h > m.index) ?? env.ctx.text.length };
}

/** Line of `needle` inside the block, else the block's header line. */
function lineIn(env: CloudEnv, range: Range | undefined, needle?: string | RegExp): number {
  if (!range) return 1;
  if (needle !== undefined) {
    const body = env.ctx.text.slice(range.start, range.end);
    const at = typeof needle === 'string' ? body.indexOf(needle) : (needle.exec(body)?.index ?? -1);
    if (at >= 0) return env.ctx.lineOf(range.start + at);
  }
  return env.ctx.lineOf(range.start);
}

const IAM_LEVELS = ['project', 'folder', 'organization'] as const;

/** Every GCP and Azure identity check over one parsed Terraform file. */
export function analyzeCloudIdentity(env: CloudEnv, hcl: Obj): void {
  const resource = isObj(hcl.resource) ? hcl.resource : {};
  const data = isObj(hcl.data) ? hcl.data : {};
  gcpIam(env, resource, data);
  gcpKeys(env, resource);
  gcpWorkloadIdentity(env, resource);
  azureCredentials(env, resource);
  azureRoleAssignments(env, resource);
  azureFederated(env, resource);
}

// ---------------------------------------------------------------------------------------------
// GCP

function gcpGrant(
  env: CloudEnv,
  where: { kind: string; type: string; name: string },
  level: 'project' | 'folder' | 'organization' | 'service-account',
  role: string,
  members: string[],
): void {
  const range = rangeOf(env, where.kind, where.type, where.name);
  const address = `${where.kind === 'data' ? 'data.' : ''}${where.type}.${where.name}`;
  const roleLine = lineIn(env, range, JSON.stringify(role));
  const who = members.length > 0 ? members.slice(0, 3).join(', ') + (members.length > 3 ? ', …' : '') : 'its members';
  const publicMembers = members.filter((m) => PUBLIC.has(m));
  if (publicMembers.length > 0) {
    env.ctx.report({
      ruleId: CLOUD_RULES.gcpPublic,
      line: lineIn(env, range, JSON.stringify(publicMembers[0])),
      evidence: `${address}: ${role} to ${publicMembers.join(', ')}`,
      message: `${address} grants ${role} to ${publicMembers.join(' and ')}: anyone (with any Google account) holds it`,
    });
  }
  if (PRIMITIVE.has(role) && level !== 'service-account') {
    env.ctx.report({
      ruleId: CLOUD_RULES.gcpPrimitive,
      line: roleLine,
      evidence: `${address}: ${role} to ${who}`,
      message: `${address} grants the basic role ${role} on the ${level} to ${who}`,
    });
  }
  if (IMPERSONATION.has(role)) {
    const broadMembers = members.filter((m) => m.startsWith('domain:') || PUBLIC.has(m) || m.startsWith('principalSet:'));
    const broad = level !== 'service-account' || broadMembers.length > 0;
    if (broad) {
      const why =
        level !== 'service-account'
          ? `on the whole ${level}, so over every service account in it`
          : `to ${broadMembers.join(', ')}`;
      env.ctx.report({
        ruleId: CLOUD_RULES.gcpImpersonation,
        line: roleLine,
        evidence: `${address}: ${role} ${level !== 'service-account' ? `on the ${level} ` : ''}to ${level !== 'service-account' ? who : broadMembers.join(', ')}`,
        message: `${address} grants ${role} ${why}: the grantee can act as those service accounts`,
      });
    }
  }
}

function gcpIam(env: CloudEnv, resource: Obj, data: Obj): void {
  const levels: Array<[string, 'project' | 'folder' | 'organization' | 'service-account']> = [
    ...IAM_LEVELS.map((l) => [`google_${l}_iam`, l] as [string, 'project' | 'folder' | 'organization']),
    ['google_service_account_iam', 'service-account'],
  ];
  // Policies: `google_project_iam_policy { policy_data = data.google_iam_policy.x.policy_data }`.
  const policyLevel = new Map<string, 'project' | 'folder' | 'organization' | 'service-account'>();
  for (const [prefix, level] of levels) {
    for (const [name, b] of labelled(resource[`${prefix}_member`])) {
      if (typeof b.role === 'string')
        gcpGrant(env, { kind: 'resource', type: `${prefix}_member`, name }, level, b.role, texts(b.member));
    }
    for (const [name, b] of labelled(resource[`${prefix}_binding`])) {
      if (typeof b.role === 'string')
        gcpGrant(env, { kind: 'resource', type: `${prefix}_binding`, name }, level, b.role, texts(b.members));
    }
    for (const [, b] of labelled(resource[`${prefix}_policy`])) {
      const ref = typeof b.policy_data === 'string' ? /data\.google_iam_policy\.([\w-]+)\.policy_data/.exec(b.policy_data) : null;
      if (ref) policyLevel.set(ref[1]!, level);
    }
  }
  for (const [name, b] of labelled(data.google_iam_policy)) {
    // A policy document nobody attaches in this file is judged as a project policy, the common use.
    const level = policyLevel.get(name) ?? 'project';
    for (const binding of blocks(b.binding)) {
      if (typeof binding.role === 'string') {
        gcpGrant(env, { kind: 'data', type: 'google_iam_policy', name }, level, binding.role, texts(binding.members));
      }
    }
  }
}

function gcpKeys(env: CloudEnv, resource: Obj): void {
  for (const type of ['google_service_account_key', 'google_storage_hmac_key']) {
    for (const [name, b] of labelled(resource[type])) {
      if (type === 'google_storage_hmac_key' && typeof b.state === 'string' && b.state.toUpperCase() === 'INACTIVE') continue;
      const sa =
        typeof b.service_account_id === 'string'
          ? b.service_account_id
          : typeof b.service_account_email === 'string'
            ? b.service_account_email
            : '';
      const range = rangeOf(env, 'resource', type, name);
      env.ctx.report({
        ruleId: CLOUD_RULES.gcpKey,
        line: lineIn(env, range),
        evidence: `${type}.${name}${sa ? ` for ${sa}` : ''}`,
        message: `${type}.${name} creates a long-lived ${type === 'google_storage_hmac_key' ? 'HMAC key' : 'service account key'}${sa ? ` for ${sa}` : ''}, and Terraform keeps it in state`,
      });
    }
  }
}

const GITHUB_ISSUER = /token\.actions\.githubusercontent\.com/i;
const GITLAB_ISSUER = /gitlab/i;
/**
 * A condition that pins the federation to repositories or projects: an equality, `in [...]` or
 * `startsWith("owner/…")` on a repository/project claim against a literal that is not empty or a wildcard.
 */
const PINNING_CONDITION =
  /\b(?:assertion|attribute)\.(?:repository|repository_id|repository_owner|repository_owner_id|sub|job_workflow_ref|project_path|project_id|namespace_path|namespace_id)\b\s*(?:==\s*['"][^'"*\s]+['"]|in\s*\[\s*['"][^'"*\s]+|\.startsWith\(\s*['"][^'"*\s/]+\/?)/;

function gcpWorkloadIdentity(env: CloudEnv, resource: Obj): void {
  for (const [name, b] of labelled(resource.google_iam_workload_identity_pool_provider)) {
    const oidc = blocks(b.oidc)[0];
    const issuer = oidc && typeof oidc.issuer_uri === 'string' ? oidc.issuer_uri : '';
    const platform = GITHUB_ISSUER.test(issuer) ? 'GitHub Actions' : GITLAB_ISSUER.test(issuer) ? 'GitLab CI' : undefined;
    if (platform === undefined) continue;
    const condition = typeof b.attribute_condition === 'string' ? b.attribute_condition.trim() : '';
    if (condition !== '' && PINNING_CONDITION.test(condition)) continue;
    const range = rangeOf(env, 'resource', 'google_iam_workload_identity_pool_provider', name);
    const address = `google_iam_workload_identity_pool_provider.${name}`;
    env.ctx.report({
      ruleId: CLOUD_RULES.gcpWif,
      line: lineIn(env, range, condition === '' ? 'issuer_uri' : 'attribute_condition'),
      evidence:
        condition === ''
          ? `${address}: ${platform} issuer, no attribute_condition`
          : `${address}: attribute_condition ${condition}`,
      message:
        condition === ''
          ? `${address} trusts every ${platform} repository's tokens: it has no attribute_condition`
          : `${address} has an attribute_condition that pins no repository or project: ${condition}`,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Azure

const ONE_YEAR_MS = 366 * 86_400_000;

/** `end_date_relative` (Go duration, hours at most: "8760h", "17520h30m") in hours. */
function durationHours(v: string): number | undefined {
  const m = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(v.trim());
  if (!m || (m[1] === undefined && m[2] === undefined && m[3] === undefined)) return undefined;
  return Number(m[1] ?? 0) + Number(m[2] ?? 0) / 60 + Number(m[3] ?? 0) / 3600;
}

const timeadd = /^\$\{timeadd\([^,]+,\s*"([^"]+)"\)\}$/;

function azureCredentials(env: CloudEnv, resource: Obj): void {
  const types = [
    'azuread_application_password',
    'azuread_service_principal_password',
    'azuread_application_certificate',
    'azuread_service_principal_certificate',
  ];
  // azuread_application may carry its secrets inline (`password { … }` blocks, azuread 3.x).
  const inline: [string, Obj][] = labelled(resource.azuread_application).flatMap(([name, app]) =>
    blocks(app.password).map((pw) => [name, pw] as [string, Obj]),
  );
  for (const type of [...types, 'azuread_application']) {
    const isCert = type.endsWith('_certificate');
    for (const [name, b] of type === 'azuread_application' ? inline : labelled(resource[type])) {
      const end = typeof b.end_date === 'string' ? b.end_date.trim() : undefined;
      const relative = typeof b.end_date_relative === 'string' ? b.end_date_relative.trim() : undefined;
      const start = typeof b.start_date === 'string' ? Date.parse(b.start_date) : Number.NaN;
      let why: string | undefined;
      if (relative !== undefined) {
        const h = durationHours(relative);
        if (h !== undefined && h > 8784) why = `end_date_relative ${relative} (${Math.round(h / 24)} days)`;
      } else if (end !== undefined) {
        const added = timeadd.exec(end);
        const endMs = Date.parse(end);
        if (added) {
          const h = durationHours(added[1]!);
          if (h !== undefined && h > 8784) why = `end_date ${Math.round(h / 24)} days after its start`;
        } else if (!Number.isNaN(endMs)) {
          const from = Number.isNaN(start) ? Date.now() : start;
          if (endMs - from > ONE_YEAR_MS) why = `end_date ${end}`;
        }
      } else if (!isCert) {
        // No end date: the provider picks one (two years for passwords in azuread 2.x and later).
        why = 'no end_date: the provider default (two years) applies';
      }
      if (why === undefined) continue;
      const range = rangeOf(env, 'resource', type, name);
      env.ctx.report({
        ruleId: CLOUD_RULES.azureSecret,
        line: lineIn(env, range, relative !== undefined ? 'end_date_relative' : end !== undefined ? 'end_date' : undefined),
        evidence: `${type}.${name}: ${why}`,
        message: `${type}.${name} creates a ${isCert ? 'certificate credential' : 'client secret'} that stays valid for more than a year (${why})`,
      });
    }
  }
}

const SUBSCRIPTION_SCOPE =
  /^(?:\/subscriptions\/[^/]+\/?|\/providers\/Microsoft\.Management\/managementGroups\/[^/]+\/?|\/)$|^\$\{(?:data\.)?azurerm_(?:subscription|management_group)\.[\w-]+\.(?:id|name)\}$|^\$\{data\.azurerm_client_config\.[\w-]+\.subscription_id\}$/i;
const HUMAN_PRINCIPAL = /\b(?:azuread_user|azuread_group|data\.azuread_user|data\.azuread_group)\b/;

function scopeLevel(scope: string): string | undefined {
  if (!SUBSCRIPTION_SCOPE.test(scope)) return undefined;
  if (/managementGroups|management_group/i.test(scope)) return 'management group';
  if (scope === '/') return 'tenant root';
  return 'subscription';
}

function azureRoleAssignments(env: CloudEnv, resource: Obj): void {
  for (const [name, b] of labelled(resource.azurerm_role_assignment)) {
    const roleName = typeof b.role_definition_name === 'string' ? b.role_definition_name : '';
    const roleId = typeof b.role_definition_id === 'string' ? b.role_definition_id : '';
    const role =
      AZURE_PRIVILEGED[roleName.trim().toLowerCase()] ?? AZURE_PRIVILEGED[(roleId.split('/').pop() ?? '').trim().toLowerCase()];
    if (role === undefined) continue;
    const scope = typeof b.scope === 'string' ? b.scope.trim() : '';
    const level = scopeLevel(scope);
    if (level === undefined) continue;
    const principal = typeof b.principal_id === 'string' ? b.principal_id : '';
    const type = typeof b.principal_type === 'string' ? b.principal_type : '';
    if (/^(?:User|Group)$/i.test(type) || (type === '' && HUMAN_PRINCIPAL.test(principal))) continue;
    const range = rangeOf(env, 'resource', 'azurerm_role_assignment', name);
    const kind = /user_assigned_identity|identity\[|identity\.0|principal_id\}$/.test(principal)
      ? 'a managed identity'
      : /ServicePrincipal/i.test(type) || /service_principal|client_config/.test(principal)
        ? 'a service principal'
        : 'a non-human principal';
    env.ctx.report({
      ruleId: CLOUD_RULES.azureRole,
      line: lineIn(env, range, roleName !== '' ? 'role_definition_name' : 'role_definition_id'),
      evidence: `azurerm_role_assignment.${name}: ${role} at ${level} scope for ${principal || 'principal'}`,
      message: `azurerm_role_assignment.${name} gives ${kind} ${role} over the whole ${level}`,
    });
  }
}

/** Why a federated credential's subject (or flexible claims expression) admits more than one workload. */
export function broadSubject(issuer: string, subject: string): string | undefined {
  if (subject.includes('*')) return 'a wildcard subject';
  if (GITHUB_ISSUER.test(issuer) || subject.startsWith('repo:')) {
    if (/:pull_request$/.test(subject)) return 'every pull request, forks included';
    if (/^repo:[^/:]+(?::|$)/.test(subject) && !/^repo:[^/:]+\/[^:]+/.test(subject)) return 'a subject without a repository';
  }
  if (/^system:serviceaccount:[^:]*$/.test(subject)) return 'a namespace without a service account';
  return undefined;
}

function azureFederated(env: CloudEnv, resource: Obj): void {
  for (const type of ['azuread_application_federated_identity_credential', 'azurerm_federated_identity_credential']) {
    for (const [name, b] of labelled(resource[type])) {
      const issuer = typeof b.issuer === 'string' ? b.issuer : '';
      const subject = typeof b.subject === 'string' ? b.subject.trim() : '';
      const why = broadSubject(issuer, subject);
      if (why === undefined) continue;
      const range = rangeOf(env, 'resource', type, name);
      env.ctx.report({
        ruleId: CLOUD_RULES.azureFederated,
        line: lineIn(env, range, 'subject'),
        evidence: `${type}.${name}: subject ${subject}`,
        message: `${type}.${name} lets ${why} sign in as the identity (subject ${subject})`,
      });
    }
  }
  for (const [name, b] of labelled(resource.azuread_application_flexible_federated_identity_credential)) {
    const expr = typeof b.claims_matching_expression === 'string' ? b.claims_matching_expression : '';
    // Flexible credentials match claims with `matches` and `*` wildcards (Entra preview syntax).
    if (!/\*/.test(expr) && !/matches\s+['"]repo:[^/'"]+\/\*/.test(expr)) continue;
    const range = rangeOf(env, 'resource', 'azuread_application_flexible_federated_identity_credential', name);
    env.ctx.report({
      ruleId: CLOUD_RULES.azureFederated,
      line: lineIn(env, range, 'claims_matching_expression'),
      evidence: `azuread_application_flexible_federated_identity_credential.${name}: ${expr}`,
      message: `azuread_application_flexible_federated_identity_credential.${name} matches subjects by wildcard: ${expr}`,
    });
  }
}
