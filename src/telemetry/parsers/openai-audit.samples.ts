import { createRandom, randomChars } from '../../model/random.js';

/**
 * Synthetic organisation audit log entries in the OpenAI Admin API shape: keys created, updated and
 * deleted by a person and by a service account's key, a role change, an invitation, a failed login, a
 * saved list page. Documentation IPs, made-up ids, no secrets.
 * @example for (const r of sampleRecords(7)) parser.push(r, { line: 1 })
 */
export function sampleRecords(seed = 1): unknown[] {
  const rnd = createRandom(seed);
  const id = (prefix: string) =>
    `${prefix}${randomChars('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 16, rnd)}`;
  const t0 = 1_793_000_000;
  const owner = { id: id('user-'), email: 'owner@example.com' };
  const session = { type: 'session', session: { user: owner, ip_address: '203.0.113.8', user_agent: 'Mozilla/5.0 (Macintosh)' } };
  const svc = { id: id('svc_acct_'), name: 'batch-jobs' };
  const svcKey = id('key_');
  const byKey = { type: 'api_key', api_key: { id: svcKey, type: 'service_account', service_account: svc } };
  const project = { id: id('proj_'), name: 'support-bot' };
  const entry = (type: string, actor: unknown, payload: Record<string, unknown>, n: number) => ({
    id: `audit_log-${randomChars('abcdef0123456789', 12, rnd)}`,
    type,
    effective_at: t0 + n * 60,
    actor,
    project,
    [type]: payload,
  });
  const newKey = id('key_');
  return [
    entry('api_key.created', session, { id: newKey, data: { scopes: ['/v1/*'] } }, 0),
    entry('api_key.created', byKey, { id: id('key_'), data: { scopes: ['/v1/*'] } }, 1),
    entry('api_key.updated', session, { id: newKey, changes_requested: { scopes: ['/v1/models', '/v1/chat/completions'] } }, 2),
    entry('api_key.deleted', session, { id: newKey }, 3),
    entry('user.updated', byKey, { id: id('user-'), changes_requested: { role: 'owner' } }, 4),
    entry('invite.sent', session, { id: id('invite-'), data: { email: 'new@example.com', role: 'reader' } }, 5),
    entry('login.failed', session, { error_code: 'invalid_credentials', error_message: 'Wrong password' }, 6),
    entry('project.created', session, { id: id('proj_'), data: { name: 'eval', title: 'Eval' } }, 7),
    {
      object: 'list',
      data: [entry('service_account.created', session, { id: id('svc_acct_'), data: { role: 'member' } }, 8)],
      has_more: false,
    },
  ];
}
