/**
 * GitHub audit log (enterprise/organization audit log streaming, REST API and JSON export) → IdentityEvent.
 *
 * Field names follow GitHub's docs:
 * - event list: https://docs.github.com/en/enterprise-cloud@latest/admin/monitoring-activity-in-your-enterprise/reviewing-audit-logs-for-your-enterprise/audit-log-events-for-your-enterprise
 * - token data (`hashed_token` = base64 SHA-256 of the token, `programmatic_access_type`, `token_scopes`):
 *   https://docs.github.com/en/enterprise-cloud@latest/admin/monitoring-activity-in-your-enterprise/reviewing-audit-logs-for-your-enterprise/identifying-audit-log-events-performed-by-an-access-token
 * - streaming: https://docs.github.com/en/enterprise-cloud@latest/admin/monitoring-activity-in-your-enterprise/reviewing-audit-logs-for-your-enterprise/streaming-the-audit-log-for-your-enterprise
 *
 * Mapping, in short:
 * - identity: the actor (login; `actor_id` when there is no login). 'app' for bots (`…[bot]`,
 *   `actor_is_bot`) and GitHub App installation tokens, else 'user': a PAT acts as its owner's account, so
 *   the token is the credential, not a separate identity.
 * - credential: `hashed_token` (the same key `warden scan` findings carry), typed from
 *   `programmatic_access_type`. For token lifecycle events `subject` is the `token_id` of the token
 *   created or revoked (GitHub logs no hash for it); every event keeps `token_id` in raw.extra so the two
 *   can be joined. A lifecycle event made from the web UI (no hashed_token) uses the subject as its key.
 * - GitHub logs no secret reads: `git.clone`, `git.fetch` and `repo.download_zip` are tagged repo.read,
 *   which the spike detections count.
 *
 * @example
 * const p = createGitHubAuditParser();
 * if (p.detect(record)) p.push(record, { file: 'audit.jsonl', line: 1 });
 */
import type { CredentialLifecycle, IdentityEvent } from '../../model/identity-event.js';
import type { EventParser, EventParserFactory, RecordOrigin } from '../types.js';
import { num, obj, quickIsoTime, stableId, str } from './util.js';

type Rec = Record<string, unknown>;
type Reject = { reject: string; detail?: string };

const MAX_EXTRA_STRING = 1024;

/** `programmatic_access_type` values as GitHub writes them → Warden credential types. */
const TOKEN_TYPES = new Map([
  ['Personal access token (classic)', 'github-pat-classic'],
  ['Fine-grained personal access token', 'github-pat-fine-grained'],
  ['GitHub App user-to-server token', 'github-app-user'],
  ['GitHub App server-to-server token', 'github-app-installation'],
  ['OAuth access token', 'github-oauth'],
  ['Deploy key', 'github-deploy-key'],
  ['SSH key', 'github-ssh-key'],
]);

/** What a token lifecycle action does to the token it names (`token_id`), and that token's type. */
const LIFECYCLE = new Map<string, [CredentialLifecycle, string]>([
  ['personal_access_token.create', ['issued', 'github-pat']],
  ['personal_access_token.request_created', ['issued', 'github-pat-fine-grained']],
  ['personal_access_token.access_granted', ['issued', 'github-pat-fine-grained']],
  ['personal_access_token.destroy', ['revoked', 'github-pat']],
  ['personal_access_token.revoke', ['revoked', 'github-pat']],
  ['personal_access_token.access_revoked', ['revoked', 'github-pat-fine-grained']],
  ['personal_access_token.credential_revoked', ['revoked', 'github-pat']],
  ['oauth_access.create', ['issued', 'github-oauth']],
  ['oauth_access.regenerate', ['rotated', 'github-oauth']],
  ['oauth_access.destroy', ['revoked', 'github-oauth']],
  ['oauth_access.revoke', ['revoked', 'github-oauth']],
  ['oauth_authorization.create', ['issued', 'github-oauth']],
  ['oauth_authorization.destroy', ['revoked', 'github-oauth']],
  ['integration_installation.create', ['issued', 'github-app-installation']],
  ['integration_installation.unsuspend', ['issued', 'github-app-installation']],
  ['integration_installation.suspend', ['deactivated', 'github-app-installation']],
  ['integration_installation.destroy', ['revoked', 'github-app-installation']],
  ['integration_installation.delete', ['revoked', 'github-app-installation']],
  ['org_credential_authorization.grant', ['issued', 'github-credential']],
  ['org_credential_authorization.deauthorize', ['revoked', 'github-credential']],
  ['org_credential_authorization.revoke', ['revoked', 'github-credential']],
  ['deploy_key.create', ['issued', 'github-deploy-key']],
  ['deploy_key.delete', ['revoked', 'github-deploy-key']],
  ['public_key.create', ['issued', 'github-ssh-key']],
  ['public_key.delete', ['revoked', 'github-ssh-key']],
]);

/** Grants and removals of access, and weakening of branch protection. */
const PRIVILEGE = new Set([
  'org.add_member',
  'org.remove_member',
  'org.update_member',
  'org.add_billing_manager',
  'org.update_default_repository_permission',
  'organization_role.assign',
  'organization_role.revoke',
  'business.add_admin',
  'business.remove_admin',
  'team.add_member',
  'team.remove_member',
  'team.promote_maintainer',
  'team.add_repository',
  'team.update_repository_permission',
  'repo.add_member',
  'repo.remove_member',
  'repo.update_member',
  'repo.access',
  'integration_installation.repositories_added',
  'integration_installation.version_updated',
  'protected_branch.destroy',
  'protected_branch.policy_override',
  'protected_branch.update_admin_enforced',
  'protected_branch.update_allow_force_pushes_enforcement_level',
  'protected_branch.update_allow_deletions_enforcement_level',
  'repository_ruleset.destroy',
  'environment.remove_protection_rule',
  'environment.update_protection_rule',
]);

const REPO_READ = new Set(['git.clone', 'git.fetch', 'repo.download_zip']);
const WEBHOOK = new Set(['hook.create', 'hook.config_changed', 'hook.events_changed']);
const SECRET_EXPOSED = new Set(['secret_scanning_alert.create', 'secret_scanning_push_protection.bypass']);

/** Vendor fields kept in raw.extra when present (scalars; token_scopes as written). */
const KEPT = [
  'actor_id',
  'token_id',
  'token_scopes',
  'operation_type',
  'transport_protocol_name',
  'public_repo',
  'repository_public',
  'visibility',
  'user',
  'team',
  'permission',
  'old_permission',
  'integration',
  'oauth_application',
  'oauth_application_id',
  'business',
  'org_id',
  'repo_id',
  'request_id',
  'conclusion',
  'workflow_run_id',
  'branch',
] as const;

/**
 * Whether a parsed JSON record is a GitHub audit log event: a dotted `action` string, a timestamp,
 * and a string actor (Okta's `actor` is an object) or an org/business.
 */
export function detectGitHubAudit(record: unknown): boolean {
  const r = obj(record);
  if (r === undefined) return false;
  const action = r.action;
  if (typeof action !== 'string' || action.indexOf('.') <= 0) return false;
  if (r['@timestamp'] === undefined && r.created_at === undefined) return false;
  if (r.eventType !== undefined || r.class_uid !== undefined) return false;
  const actor = r.actor;
  if (typeof actor === 'string') return true;
  if (actor !== undefined && actor !== null) return false;
  return typeof r.org === 'string' || typeof r.business === 'string' || r._document_id !== undefined;
}

/** The GitHub audit log parser: stateless, one event per record. */
export const createGitHubAuditParser: EventParserFactory = (): EventParser => ({
  source: 'github-audit',
  detect: detectGitHubAudit,
  push(record, origin) {
    try {
      return parseGitHubAudit(record, origin);
    } catch (e) {
      // Unreachable by design (the fuzz test checks it never happens); kept so one bad record never stops a stream.
      return { reject: 'internal-error', detail: e instanceof Error ? e.message : 'unknown' };
    }
  },
  flush: () => [],
});

function parseGitHubAudit(record: unknown, origin: RecordOrigin): IdentityEvent[] | Reject {
  const r = obj(record);
  if (r === undefined) return { reject: 'not-object' };
  const action = str(r.action);
  if (action === undefined) return { reject: 'missing-action' };
  // `@timestamp` in streams and the REST API; older JSON exports carry only `created_at` (both ms epoch).
  const time = quickIsoTime(r['@timestamp']) ?? quickIsoTime(r.created_at);
  if (time === undefined) return { reject: 'missing-time' };

  const dot = action.indexOf('.');
  const data = obj(r.data);

  // --- identity
  const actor = str(r.actor);
  const actorId = num(r.actor_id);
  const pat = str(r.programmatic_access_type);
  const tokenType = pat === undefined ? undefined : (TOKEN_TYPES.get(pat) ?? tokenTypeOf(pat));
  const bot = r.actor_is_bot === true || (actor?.endsWith('[bot]') ?? false);
  const byId = actor === undefined && actorId !== undefined && actorId > 0 ? String(actorId) : undefined;
  // No actor: GitHub itself (secret scanning alerts, scheduled jobs).
  const identity: IdentityEvent['identity'] = {
    id: actor ?? byId ?? 'github',
    type: bot || tokenType === 'github-app-installation' ? 'app' : actor !== undefined || byId !== undefined ? 'user' : 'unknown',
  };
  if (actor !== undefined) identity.name = actor;
  const org = str(r.org);
  const business = str(r.business);
  const scope = org ?? business;
  if (scope !== undefined) identity.scope = scope;

  // --- outcome: a `result` field when present, else the action's own wording.
  let outcome: IdentityEvent['outcome'] = 'success';
  let reason: string | undefined;
  const result = str(r.result);
  if (result !== undefined && result.length <= 16) {
    const lower = result.toLowerCase();
    if (lower === 'failure' || lower === 'failed' || lower === 'denied' || lower === 'error') {
      outcome = 'failure';
      reason = result;
    }
  } else if (dot > 0 && failedOp(action, dot + 1)) {
    outcome = 'failure';
    reason = action;
  }
  const ok = outcome === 'success';

  // --- tags and credential lifecycle
  const tags: string[] = [];
  let lifecycle: CredentialLifecycle = 'used';
  let subject: string | undefined;
  let subjectType: string | undefined;
  const life = LIFECYCLE.get(action);
  const tokenId = num(r.token_id);
  if (life !== undefined && ok) {
    lifecycle = life[0];
    subjectType = life[1];
    tags.push(`credential.${lifecycle}`);
    if (tokenId !== undefined && tokenId > 0) subject = String(tokenId);
    else if (typeof r.token_id === 'string' && r.token_id.length > 0 && r.token_id.length <= 64) subject = r.token_id;
    else subject = str(r.fingerprint);
  }
  if (PRIVILEGE.has(action)) tags.push('privilege.change');
  else if (dot > 0 && secretWrite(action, dot + 1)) tags.push('privilege.change', 'secret.write');
  if (REPO_READ.has(action)) tags.push('repo.read');
  else if (WEBHOOK.has(action)) tags.push('integration.change');
  else if (SECRET_EXPOSED.has(action)) tags.push('secret.exposed');
  else if (action === 'user.login' || action === 'user.failed_login') tags.push('auth.login');

  // --- credential
  const hashed = str(r.hashed_token);
  let credential: IdentityEvent['credential'];
  if (hashed !== undefined) {
    credential = { key: hashed, type: tokenType ?? 'github-token', lifecycle };
    if (subject !== undefined) credential.subject = subject;
    // A token in use is logged with its hashed_token and its token_id; its lifecycle events name only
    // the token_id: that is the alias that joins them.
    const alias = lifecycle === 'used' ? tokenAlias(r.token_id ?? data?.token_id) : undefined;
    if (alias !== undefined) credential.alias = alias;
  } else if (subject !== undefined) {
    credential = { key: subject, type: subjectType ?? 'github-token', lifecycle, subject };
  }
  // Personal access and OAuth tokens the actor issues or revokes are its long-term credentials.
  if (credential?.subject !== undefined && LONG_TERM.test(credential.type)) credential.longTerm = true;

  // --- resource: the repository, else the org or enterprise.
  const repo = str(r.repo) ?? str(r.repository);
  let resource: IdentityEvent['resource'];
  if (repo !== undefined) resource = { type: 'repo', id: repo };
  else if (org !== undefined) resource = { type: 'org', id: org };
  else if (business !== undefined) resource = { type: 'enterprise', id: business };

  // --- client
  const client: IdentityEvent['client'] = {};
  const loc = obj(r.actor_location);
  const ip = str(r.actor_ip) ?? str(loc?.ip);
  if (ip !== undefined) client.ip = ip;
  const ua = str(r.user_agent);
  if (ua !== undefined) client.userAgent = ua;
  const country = str(loc?.country_code) ?? str(loc?.country_name);
  if (country !== undefined) client.location = country;
  const run = num(r.workflow_run_id) ?? num(data?.workflow_run_id);
  if (run !== undefined) client.workload = `workflow_run:${run}`;

  const event: IdentityEvent = {
    id: str(r._document_id) ?? str(r.request_id) ?? stableId('github-audit', r),
    time,
    source: 'github-audit',
    identity,
    action,
    outcome,
    client,
    tags,
    raw: rawOf(r, data, origin),
  };
  if (credential !== undefined) event.credential = credential;
  if (resource !== undefined) event.resource = resource;
  if (reason !== undefined) event.reason = reason;
  return [event];
}

/** `failed_login`, `…_failed`, `…_denied`, `rejected_ref_update`: the action itself says it failed. */
function failedOp(action: string, op: number): boolean {
  return (
    action.endsWith('_failed') ||
    action.endsWith('_denied') ||
    action.startsWith('failed_', op) ||
    action.startsWith('rejected_', op) ||
    (action.length - op === 6 && (action.endsWith('failed') || action.endsWith('denied')))
  );
}

/** Actions, Codespaces and Dependabot secret creation/update at org, repo or environment level. */
function secretWrite(action: string, op: number): boolean {
  return (
    action.endsWith('_secret') &&
    (action.startsWith('create_', op) || action.startsWith('update_', op)) &&
    !action.startsWith('secret_scanning')
  );
}

/** Types GitHub may add later: matched on wording, else slugified under `github-`. */
function tokenTypeOf(t: string): string {
  const lower = t.length > 100 ? t.slice(0, 100).toLowerCase() : t.toLowerCase();
  if (lower.includes('fine-grained')) return 'github-pat-fine-grained';
  if (lower.includes('personal access token')) return 'github-pat-classic';
  if (lower.includes('server-to-server')) return 'github-app-installation';
  if (lower.includes('user-to-server')) return 'github-app-user';
  if (lower.includes('oauth')) return 'github-oauth';
  if (lower.includes('deploy key')) return 'github-deploy-key';
  if (lower.includes('ssh')) return 'github-ssh-key';
  let slug = 'github-';
  for (let i = 0; i < lower.length && slug.length < 48; i++) {
    const c = lower.charCodeAt(i);
    const alnum = (c >= 48 && c <= 57) || (c >= 97 && c <= 122);
    if (alnum) slug += lower[i];
    else if (!slug.endsWith('-')) slug += '-';
  }
  return slug.endsWith('-') ? slug.slice(0, -1) : slug;
}

/** Token types that live until revoked and that a newer token of the same user replaces. */
const LONG_TERM = /^github-(?:pat|oauth)/;

/** A token_id as the alias of a token in use: a non-zero number or a non-empty string, as raw.extra keeps it. */
function tokenAlias(v: unknown): string | undefined {
  if (typeof v === 'string') return v.length > 0 ? v.slice(0, MAX_EXTRA_STRING) : undefined;
  const n = num(v);
  return n === undefined || n === 0 ? undefined : String(n);
}

function rawOf(r: Rec, data: Rec | undefined, origin: RecordOrigin): IdentityEvent['raw'] {
  const extra: Rec = {};
  for (const k of KEPT) {
    const v = r[k] ?? data?.[k];
    if (typeof v === 'string') {
      if (v.length > 0) extra[k] = v.length > MAX_EXTRA_STRING ? v.slice(0, MAX_EXTRA_STRING) : v;
    } else if (typeof v === 'boolean' || num(v) !== undefined) extra[k] = v;
    else if (Array.isArray(v) && k === 'token_scopes') extra[k] = v.slice(0, 50).filter((x) => typeof x === 'string');
  }
  const raw: IdentityEvent['raw'] = { extra };
  if (origin.file !== undefined) raw.file = origin.file;
  if (origin.line !== undefined) raw.line = origin.line;
  return raw;
}
