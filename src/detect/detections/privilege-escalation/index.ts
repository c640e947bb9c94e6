import type { IdentityEvent } from '../../../model/identity-event.js';
import { type Detection, shiftSeverity, type Trigger } from '../../detection.js';
import { Recent } from '../../state.js';
import { loadMeta } from '../meta.js';

const FOLDER = 'privilege-escalation';

/** Policies and roles whose grant is administrator-equivalent. */
const ADMIN = /AdministratorAccess|IAMFullAccess|PowerUserAccess|cluster-admin|\broot\b|sudo/i;
/**
 * Roles the GCP, Azure, Entra ID, Kubernetes and AI platform parsers report as granted
 * (`raw.extra.grantedRoles`) that make the grantee an administrator or let it become one.
 */
const ADMIN_ROLES = new Set(
  [
    'roles/owner',
    'roles/editor',
    'roles/iam.securityAdmin',
    'roles/iam.serviceAccountTokenCreator',
    'roles/iam.serviceAccountKeyAdmin',
    'roles/iam.serviceAccountAdmin',
    'roles/iam.workloadIdentityPoolAdmin',
    'roles/resourcemanager.organizationAdmin',
    'roles/resourcemanager.projectIamAdmin',
    'roles/resourcemanager.folderAdmin',
    'roles/container.admin',
    'roles/secretmanager.admin',
    'Owner',
    'Contributor',
    'User Access Administrator',
    'Role Based Access Control Administrator',
    'Key Vault Administrator',
    'Azure Kubernetes Service RBAC Cluster Admin',
    'Azure Kubernetes Service Cluster Admin Role',
    'Global Administrator',
    'Company Administrator',
    'Privileged Role Administrator',
    'Privileged Authentication Administrator',
    'Application Administrator',
    'Cloud Application Administrator',
    'Hybrid Identity Administrator',
    'RoleManagement.ReadWrite.Directory',
    'AppRoleAssignment.ReadWrite.All',
    'Application.ReadWrite.All',
    'Application.ReadWrite.OwnedBy',
    'Directory.ReadWrite.All',
    'ServicePrincipalEndpoint.ReadWrite.All',
    'cluster-admin',
    'admin',
    'owner',
  ].map((r) => r.toLowerCase()),
);
/**
 * Changes that make an outside identity provider's tokens good for a cloud identity (a workload identity
 * pool provider, an Entra or managed identity federated credential): as strong as handing out a key.
 */
const TRUST =
  /WorkloadIdentityPoolProvider$|federatedidentitycredentials\/write$|:Add federated identity credential|:Update federated identity credential/i;
/** Long-lived credentials a parser reports issued: a key or secret that works until someone removes it. */
const LONG_LIVED =
  /^(?:gcp-service-account-key|entra-client-secret|entra-certificate|entra-federated-credential|openai-api-key)$/;

function grantedRoles(e: IdentityEvent): string[] {
  const roles = (e.raw.extra as Record<string, unknown> | undefined)?.grantedRoles;
  return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [];
}
/** Actions that create credentials or grant permissions on an identity. */
const SELF_SERVICE =
  /CreateAccessKey|CreateLoginProfile|UpdateLoginProfile|AttachUserPolicy|PutUserPolicy|AttachRolePolicy|PutRolePolicy|UpdateAssumeRolePolicy|AddUserToGroup/;

function requestParameters(e: IdentityEvent): Record<string, unknown> {
  const extra = e.raw.extra as Record<string, unknown> | undefined;
  const rp = (extra?.requestParameters ?? (extra?.unmapped as Record<string, unknown> | undefined)?.requestParameters) as
    | Record<string, unknown>
    | undefined;
  return rp && typeof rp === 'object' ? rp : {};
}

/** Whether the change targets the acting identity itself (its own role, user or binding). */
function targetsSelf(e: IdentityEvent): boolean {
  const rp = requestParameters(e);
  const name = e.identity.name;
  const target = (rp.roleName ?? rp.userName ?? rp.groupName) as string | undefined;
  if (e.action.endsWith(':CreateAccessKey') && target === undefined) return true; // no user named: the caller's own
  if (target !== undefined && name !== undefined && target === name) return true;
  const rid = e.resource?.id;
  return rid !== undefined && name !== undefined && (rid.endsWith(`/${name}`) || rid === name);
}

/** CI context: GitHub Actions OIDC roles, workflow runs, runner-like names. */
function inCi(e: IdentityEvent): boolean {
  const text = `${e.identity.id} ${e.identity.name ?? ''} ${e.identity.via ?? ''} ${e.client.workload ?? ''}`.toLowerCase();
  return /token\.actions\.githubusercontent|workflow_run|gitlab|\bci\b|ci-|-ci\b|deploy|pipeline|runner|jenkins|buildkite|circleci/.test(
    text,
  );
}

/**
 * 4. An automation identity changing privileges: IAM policy attach/put/version, access keys for itself,
 * Vault policy writes, Kubernetes (cluster)role bindings. Baselined: a deploy role that routinely
 * applies the same change to the same target is quiet; a first change, a change to itself, or an
 * administrator grant is not. Weighted up in CI runs.
 */
/** Privilege-changing actions the identity made, with their target (`iam:AttachRolePolicy arn:…`) and without. */
export class PrivilegeSlice {
  privileged = new Recent(128);
}

/** Issued credentials that count as privilege changes of their own (learned with the rest). */
const KEY_ISSUANCE = /^(?:gcp-service-account-key|entra-|openai-api-key)/;

export const privilegeEscalation: Detection<PrivilegeSlice, undefined> = {
  meta: loadMeta(FOLDER),
  identitySlice: () => new PrivilegeSlice(),
  evaluate(e, ctx, mine) {
    const longLivedKey = e.tags.includes('credential.issued') && e.credential !== undefined && LONG_LIVED.test(e.credential.type);
    // A person minting a long-lived key for an automation identity is judged too (keyForAutomation).
    if (!ctx.nonHuman) return longLivedKey ? keyForAutomation(e, mine) : undefined;
    const priv = e.tags.includes('privilege.change');
    const selfKey = (e.action.endsWith(':CreateAccessKey') && e.tags.includes('credential.issued')) || longLivedKey;
    if (!priv && !selfKey) return undefined;
    const rp = requestParameters(e);
    const grant = `${rp.policyArn ?? ''} ${rp.policyName ?? ''} ${e.resource?.id ?? ''} ${JSON.stringify(rp.roleRef ?? '')}`;
    const roles = grantedRoles(e);
    const members = (e.raw.extra as Record<string, unknown> | undefined)?.grantedMembers;
    // Any role for everyone on the internet (GCP allUsers / allAuthenticatedUsers) is as bad as admin.
    const toEveryone = Array.isArray(members) && members.some((m) => m === 'allUsers' || m === 'allAuthenticatedUsers');
    const admin = ADMIN.test(grant) || roles.some((r) => ADMIN_ROLES.has(r.toLowerCase())) || TRUST.test(e.action) || toEveryone;
    const self = (SELF_SERVICE.test(e.action) && targetsSelf(e)) || (longLivedKey && keyForSelf(e));
    // A long-lived key minted by automation is persistence (T1098.001) the first time it happens, with
    // or without history: an identity that rotates keys for a living is quiet from its second one.
    const firstKey = longLivedKey && !mine.privileged.has(e.action);
    const target = `${e.action} ${e.resource?.id ?? ''}`;
    const seenExact = mine.privileged.has(target);
    const seenAction = mine.privileged.has(e.action);
    // Routine: an action this identity already performs (a key rotator creating keys, a deployer
    // updating role policies) on a new target is its job; first-time actions, administrator grants
    // and changes to itself are not.
    if ((seenExact || seenAction) && !admin && !self) return undefined;
    // "Never made before" means something only once the identity's history is known.
    if (!ctx.warm && !admin && !self && !firstKey) return undefined;
    let severity = admin || self ? 'critical' : seenAction ? 'medium' : 'high';
    if (e.outcome === 'failure') severity = shiftSeverity(severity as 'high', -1);
    else if (inCi(e) && severity !== 'critical') severity = shiftSeverity(severity as 'high', 1);
    const what = [
      admin && `an administrator-level grant${roles.length > 0 ? ` (${roles.slice(0, 3).join(', ')})` : ''}`,
      self && 'on itself',
      longLivedKey && 'a long-lived key',
      !seenAction && 'a change it has never made',
    ]
      .filter(Boolean)
      .join(', ');
    return {
      severity: severity as 'high',
      message: `${e.identity.name ?? e.identity.id} ${e.outcome === 'failure' ? 'tried' : 'made'} a privilege change (${e.action}${e.resource ? ` on ${e.resource.id}` : ''})${what ? `: ${what}` : ''}.`,
      anomaly: {
        parameter: 'privilege change',
        pattern: seenAction ? 'RARE' : 'UNSEEN',
        observed: [target],
        expected: [...mine.privileged.keys()].slice(0, 10),
      },
    };
  },
  learn(e, ctx, s) {
    if (
      e.tags.includes('privilege.change') ||
      (e.tags.includes('credential.issued') &&
        (e.action.endsWith(':CreateAccessKey') || KEY_ISSUANCE.test(e.credential?.type ?? '')))
    ) {
      s.privileged.touch(e.action, ctx.now);
      s.privileged.touch(`${e.action} ${e.resource?.id ?? ''}`, ctx.now);
    }
  },
};

/** Whether a key issuance names the acting identity as the key's holder (its own e-mail, id or name). */
function keyForSelf(e: IdentityEvent): boolean {
  const target =
    `${e.resource?.id ?? ''} ${(e.raw.extra as Record<string, unknown> | undefined)?.targetName ?? ''}`.toLowerCase();
  const sp = (e.raw.extra as Record<string, unknown> | undefined)?.servicePrincipalId;
  if (typeof sp === 'string' && e.resource?.id?.toLowerCase() === sp.toLowerCase()) return true;
  const names = [e.identity.id, e.identity.name].filter((n): n is string => n !== undefined && n.length > 3);
  return names.some((n) => target.includes(n.toLowerCase()));
}

/**
 * A person minting a long-lived key or secret for an automation identity (a GCP service account key,
 * an Entra client secret, an AI platform API key): the first such key a person makes is worth a look,
 * since a stolen console session makes keys exactly this way. Medium: people also rotate keys by hand.
 */
function keyForAutomation(e: IdentityEvent, mine: PrivilegeSlice): Trigger | undefined {
  if (e.outcome === 'failure' || mine.privileged.has(e.action)) return undefined;
  // A person's AI platform key is usually their own; the key's holder is not in the log.
  if (e.source === 'openai-audit') return undefined;
  return {
    severity: 'medium',
    message: `${e.identity.name ?? e.identity.id} created a long-lived ${e.credential?.type ?? 'key'}${e.resource ? ` for ${e.resource.id}` : ''}, the first such key it has made.`,
    anomaly: { parameter: 'privilege change', pattern: 'UNSEEN', observed: [e.action], expected: [] },
  };
}
