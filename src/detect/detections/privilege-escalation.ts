import type { IdentityEvent } from '../../model/identity-event.js';
import { type Detection, shiftSeverity } from '../detection.js';

/** Policies and roles whose grant is administrator-equivalent. */
const ADMIN = /AdministratorAccess|IAMFullAccess|PowerUserAccess|cluster-admin|\broot\b|sudo/i;
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
export const privilegeEscalation: Detection = {
  meta: {
    id: 'runtime.identity.privilege-escalation',
    title: 'Privilege escalation by an automation identity',
    description:
      'A non-human identity changed permissions or created credentials in a way it has not done before, for itself, or to an administrator level.',
    severity: 'high',
    type: 'behavioral',
    per: 'identity',
    attacks: [
      { id: 'T1098.003', name: 'Account Manipulation: Additional Cloud Roles', tactic: 'Privilege Escalation' },
      { id: 'T1098.001', name: 'Account Manipulation: Additional Cloud Credentials', tactic: 'Persistence' },
    ],
    frameworks: [
      'owasp-nhi/NHI5:2025',
      'owasp-nhi/NHI6:2025',
      'nist-csf-2/DE.CM-09',
      'nist-csf-2/PR.AA-05',
      'nist-800-207/tenet-6',
    ],
  },
  evaluate(e, ctx) {
    if (!ctx.nonHuman) return undefined;
    const priv = e.tags.includes('privilege.change');
    const selfKey = e.action.endsWith(':CreateAccessKey') && e.tags.includes('credential.issued');
    if (!priv && !selfKey) return undefined;
    const rp = requestParameters(e);
    const grant = `${rp.policyArn ?? ''} ${rp.policyName ?? ''} ${e.resource?.id ?? ''} ${JSON.stringify(rp.roleRef ?? '')}`;
    const admin = ADMIN.test(grant);
    const self = SELF_SERVICE.test(e.action) && targetsSelf(e);
    const target = `${e.action} ${e.resource?.id ?? ''}`;
    const seenExact = ctx.identity.privileged.has(target);
    const seenAction = ctx.identity.privileged.has(e.action);
    // Routine: an action this identity already performs (a key rotator creating keys, a deployer
    // updating role policies) on a new target is its job; first-time actions, administrator grants
    // and changes to itself are not.
    if ((seenExact || seenAction) && !admin && !self) return undefined;
    // "Never made before" means something only once the identity's history is known.
    if (!ctx.warm && !admin && !self) return undefined;
    let severity = admin || self ? 'critical' : seenAction ? 'medium' : 'high';
    if (e.outcome === 'failure') severity = shiftSeverity(severity as 'high', -1);
    else if (inCi(e) && severity !== 'critical') severity = shiftSeverity(severity as 'high', 1);
    const what = [admin && 'an administrator-level grant', self && 'on itself', !seenAction && 'a change it has never made']
      .filter(Boolean)
      .join(', ');
    return {
      severity: severity as 'high',
      message: `${e.identity.name ?? e.identity.id} ${e.outcome === 'failure' ? 'tried' : 'made'} a privilege change (${e.action}${e.resource ? ` on ${e.resource.id}` : ''})${what ? `: ${what}` : ''}.`,
      anomaly: {
        parameter: 'privilege change',
        pattern: seenAction ? 'RARE' : 'UNSEEN',
        observed: [target],
        expected: [...ctx.identity.privileged.keys()].slice(0, 10),
      },
    };
  },
};
