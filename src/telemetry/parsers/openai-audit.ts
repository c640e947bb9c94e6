/**
 * AI platform organisation audit logs in the OpenAI Admin API shape (`GET /v1/organization/audit_logs`:
 * objects `{id, type, effective_at, actor, project, "<type>": {id, data | changes_requested}}`, one per
 * line, or a saved `{"object": "list", "data": [...]}` page) → IdentityEvent.
 * Format: https://platform.openai.com/docs/api-reference/audit-logs/object
 *
 * - Identity: `actor.type: session` → the signed-in user (`session.user.email`, its IP and user agent);
 *   `actor.type: api_key` → the key's owner: a user, or a service account (`api_key.service_account.id`)
 *   as a service-account identity. The key that acted is the credential (`actor.api_key.id`, the key's
 *   tracking id, never its secret).
 * - Tags: `*key*.created` → credential.issued (subject: the new key's id), `*key*.deleted` →
 *   credential.revoked; role changes (a `role` in the payload's data or changes, `*.role*` types),
 *   `api_key.updated` scope changes, `service_account.created`, invitations with a role → privilege.change
 *   (role names in `raw.extra.grantedRoles`); `login.failed` → failure.
 */
import type { IdentityEvent } from '../../model/identity-event.js';
import type { EventParser, EventParserFactory, RecordOrigin } from '../types.js';
import { isoTime, obj, put, stableId, str } from './util.js';

type Rec = Record<string, unknown>;
type Result = IdentityEvent[] | { reject: string; detail?: string };

const TYPE = /^[a-z_]+(?:\.[a-z_]+)+$/;

function isEntry(o: Rec): boolean {
  return typeof o.type === 'string' && TYPE.test(o.type) && o.effective_at !== undefined && obj(o.actor) !== undefined;
}

function isList(o: Rec): boolean {
  return (
    o.object === 'list' && Array.isArray(o.data) && o.data.length > 0 && obj(o.data[0]) !== undefined && isEntry(obj(o.data[0])!)
  );
}

/** Roles a change asks for: `data.role`, `changes_requested.role`, or any `role` one level down. */
function rolesOf(payload: Rec | undefined): string[] {
  if (payload === undefined) return [];
  const out: string[] = [];
  for (const part of [obj(payload.data), obj(payload.changes_requested), payload]) {
    const role = part === undefined ? undefined : (str(part.role) ?? str(part.role_name));
    if (role !== undefined) out.push(role);
  }
  return [...new Set(out)];
}

/** OpenAI-style organisation audit log parser factory: stateless. */
export const createOpenAiAuditParser = ((): EventParser => {
  function detect(record: unknown): boolean {
    const o = obj(record);
    return o !== undefined && (isEntry(o) || isList(o));
  }

  function one(o: Rec, origin: RecordOrigin): Result {
    if (!isEntry(o)) return { reject: 'not-openai-audit' };
    const time = isoTime(o.effective_at);
    if (time === undefined) return { reject: 'missing-time' };
    const type = o.type as string;
    const actor = obj(o.actor)!;
    const session = obj(actor.session);
    const apiKey = obj(actor.api_key);
    let identity: IdentityEvent['identity'];
    const client: IdentityEvent['client'] = {};
    let credentialKey: string | undefined;
    const person = (u: Rec | undefined): IdentityEvent['identity'] => {
      const email = str(u?.email);
      const id = str(u?.id);
      return email !== undefined || id !== undefined
        ? { id: (email ?? id)!.toLowerCase(), type: 'user', name: email ?? id! }
        : { id: 'openai:unknown', type: 'unknown' };
    };
    if (actor.type === 'api_key' && apiKey !== undefined) {
      credentialKey = str(apiKey.id);
      const sa = obj(apiKey.service_account);
      const kind = str(apiKey.type);
      if (kind === 'service_account' || sa !== undefined) {
        const id = str(sa?.id) ?? 'openai:service-account';
        identity = { id, type: 'service-account', name: str(sa?.name) ?? id };
      } else if (kind === 'user' || obj(apiKey.user) !== undefined) {
        identity = person(obj(apiKey.user));
      } else {
        // An admin key or another key with no owner in the log: the key itself is the actor.
        const id = credentialKey ?? 'openai:api-key';
        identity = { id, type: 'api-token', name: id };
      }
    } else {
      identity = person(obj(session?.user));
      const ip = str(session?.ip_address);
      if (ip !== undefined) client.ip = ip;
      const ua = str(session?.user_agent);
      if (ua !== undefined) client.userAgent = ua;
    }
    const project = obj(o.project);
    const projectId = str(project?.id);
    if (projectId !== undefined) identity.scope = projectId;

    const payload = obj(o[type]);
    const targetId = str(payload?.id);
    const failed = type.endsWith('.failed');
    const tags: string[] = [];
    let lifecycle: 'issued' | 'revoked' | undefined;
    if (!failed && /key/.test(type) && type.endsWith('.created')) lifecycle = 'issued';
    else if (!failed && /key/.test(type) && type.endsWith('.deleted')) lifecycle = 'revoked';
    if (lifecycle !== undefined) tags.push(`credential.${lifecycle}`);
    const roles = rolesOf(payload);
    if (
      roles.length > 0 ||
      /\.role|role\./.test(type) ||
      type === 'service_account.created' ||
      (type === 'api_key.updated' && obj(payload?.changes_requested)?.scopes !== undefined)
    ) {
      if (!failed) tags.push('privilege.change');
    }
    if (type.startsWith('login.')) tags.push('auth.login');

    const event: IdentityEvent = {
      id: str(o.id) ?? stableId('openai-audit', o),
      time,
      source: 'openai-audit',
      identity,
      action: `openai:${type}`,
      outcome: failed ? 'failure' : 'success',
      client,
      tags,
      raw: {},
    };
    if (lifecycle !== undefined && targetId !== undefined) {
      event.credential = { key: credentialKey ?? targetId, type: 'openai-api-key', lifecycle, subject: targetId };
    } else if (credentialKey !== undefined) {
      event.credential = { key: credentialKey, type: 'openai-api-key', lifecycle: 'used' };
    }
    if (targetId !== undefined) event.resource = { type: type.slice(0, type.lastIndexOf('.')), id: targetId };
    else if (projectId !== undefined) event.resource = { type: 'project', id: projectId };
    if (failed) event.reason = str(payload?.error_code) ?? str(payload?.error_message) ?? type;
    if (origin.file !== undefined) event.raw.file = origin.file;
    if (origin.line !== undefined) event.raw.line = origin.line;
    let extra: Rec | undefined;
    if (projectId !== undefined) extra = put(extra, 'project', projectId);
    if (roles.length > 0) extra = put(extra, 'grantedRoles', roles);
    const scopes = obj(payload?.data)?.scopes ?? obj(payload?.changes_requested)?.scopes;
    if (Array.isArray(scopes)) extra = put(extra, 'scopes', scopes.slice(0, 50));
    if (str(apiKey?.type) !== undefined) extra = put(extra, 'apiKeyType', apiKey!.type);
    if (extra !== undefined) event.raw.extra = extra;
    return [event];
  }

  function push(record: unknown, origin: RecordOrigin): Result {
    const o = obj(record);
    if (o === undefined) return { reject: 'not-openai-audit', detail: 'not a JSON object' };
    if (o.object !== 'list') return one(o, origin);
    if (!Array.isArray(o.data)) return { reject: 'not-openai-audit', detail: 'list without data' };
    const events: IdentityEvent[] = [];
    let first: { reject: string; detail?: string } | undefined;
    for (const item of o.data.slice(0, 10_000)) {
      const io = obj(item);
      const r = io === undefined ? { reject: 'not-openai-audit' } : one(io, origin);
      if (Array.isArray(r)) events.push(...r);
      else first ??= r;
    }
    return events.length === 0 && first !== undefined ? first : events;
  }

  return { source: 'openai-audit', detect, push, flush: () => [] };
}) satisfies EventParserFactory;
