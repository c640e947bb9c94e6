import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createSession,
  csrfMatches,
  csrfToken,
  deleteSession,
  deleteSessionsOf,
  getSession,
  SESSION_TTL_MS,
} from './sessions.js';
import { openStore } from './store.js';

test('sessions are stored hashed, expire, end on sign-out and with their token', async () => {
  const store = await openStore(':memory:');
  try {
    const t0 = Date.parse('2026-03-02T10:00:00Z');
    const a = await createSession(store, { tokenName: 'alice', role: 'analyst' }, t0);
    const b = await createSession(store, { tokenName: 'alice', role: 'analyst' }, t0);
    assert.notEqual(a.id, b.id);
    const rows = await store.db.selectFrom('dashboard_sessions').select('id').execute();
    assert.ok(
      rows.every((r) => r.id !== a.id && r.id !== b.id),
      'only hashes are stored',
    );
    assert.deepEqual(await getSession(store, a.id, t0 + 1), {
      tokenName: 'alice',
      role: 'analyst',
      expiresAt: t0 + SESSION_TTL_MS,
    });
    assert.equal(await getSession(store, a.id, t0 + SESSION_TTL_MS), undefined, 'expired');
    assert.equal(await getSession(store, `${a.id}x`, t0), undefined);
    assert.equal(await getSession(store, undefined, t0), undefined);
    await deleteSession(store, a.id);
    assert.equal(await getSession(store, a.id, t0), undefined);
    assert.ok(await getSession(store, b.id, t0));
    await deleteSessionsOf(store, 'alice');
    assert.equal(await getSession(store, b.id, t0), undefined);
  } finally {
    await store.close();
  }
});

test('the CSRF token belongs to its session alone', () => {
  assert.ok(csrfMatches('session-one-0123456789abcdef', csrfToken('session-one-0123456789abcdef')));
  assert.ok(!csrfMatches('session-one-0123456789abcdef', csrfToken('session-two-0123456789abcdef')));
  assert.ok(!csrfMatches('session-one-0123456789abcdef', undefined));
  assert.ok(!csrfMatches('session-one-0123456789abcdef', ''));
});
