import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { tempDir } from '../../test/tmp.js';
import type { Alert } from '../model/alert.js';
import { WardenError } from '../model/errors.js';
import { appendAudit } from './audit.js';
import {
  addLearnedExceptions,
  deleteStates,
  getMeta,
  getStates,
  learnedExceptions,
  listAlerts,
  MIGRATIONS,
  openStore,
  parseStoreUrl,
  putStates,
  type Store,
  setMeta,
  upsertAlerts,
} from './index.js';
import { type Backend, postgresBackend, SKIP_PG, sqliteBackend } from './testing.js';

function alert(over: Partial<Alert> & Pick<Alert, 'uid'>): Alert {
  return {
    detectionId: 'runtime.credential.new-source',
    title: 'Credential used from a new source',
    severity: 'medium',
    message: 'AKIA… was used from 203.0.113.9, never seen before.',
    identity: { id: 'arn:aws:iam::123456789012:role/ci', type: 'iam-role' },
    credential: { key: 'AKIAEXAMPLEKEYID0001', type: 'aws-access-key' },
    firstSeen: '2025-01-01T00:00:00Z',
    lastSeen: '2025-01-01T00:00:00Z',
    count: 1,
    evidences: [],
    frameworks: ['owasp-nhi/NHI2:2025'],
    attacks: [{ id: 'T1078.004', name: 'Valid Accounts: Cloud Accounts', tactic: 'Initial Access' }],
    ...over,
  };
}

function storeSuite(backend: Backend): void {
  describe(`store on ${backend.name}`, () => {
    let url: string;
    let store: Store;

    before(async () => {
      await backend.start();
      url = await backend.fresh();
      store = await openStore(url);
    });
    after(async () => {
      await store?.close();
      await backend.cleanup();
    });

    test('migrations are idempotent: a second open and an explicit migrate change nothing', async () => {
      assert.equal(store.dialect, backend.name);
      const again = await openStore(url);
      await again.migrate();
      await again.close();
      await store.migrate();
      const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(store.db);
      assert.deepEqual(
        applied.rows.map((r) => r.name),
        MIGRATIONS.map((m) => m.name),
      );
    });

    test('concurrent opens of a fresh database all migrate it once and work', async () => {
      const fresh = await backend.fresh();
      const stores = await Promise.all(Array.from({ length: 4 }, () => openStore(fresh)));
      await Promise.all(stores.map((s, i) => putStates(s, 'concurrent', [{ key: `k${i}`, state: i }])));
      assert.equal((await getStates(stores[0]!, 'concurrent')).size, 4);
      await Promise.all(stores.map((s) => s.close()));
    });

    test('the audit trail is append-only in the database: updates and deletes fail, inserts go on', async () => {
      const id = await appendAudit(store, { actor: 'token:alice', action: 'alert.triage', target: 'a1', outcome: 'ok' });
      await assert.rejects(
        store.db.updateTable('audit_log').set({ actor: 'token:mallory' }).where('id', '=', id).execute(),
        /append-only/,
      );
      await assert.rejects(store.db.deleteFrom('audit_log').where('id', '=', id).execute(), /append-only/);
      if (backend.name === 'postgres') await assert.rejects(sql`truncate audit_log`.execute(store.db), /append-only/);
      const next = await appendAudit(store, { actor: 'token:alice', action: 'alert.triage', target: 'a1', outcome: 'ok' });
      assert.ok(next > id);
      const rows = await store.db.selectFrom('audit_log').select(['id', 'actor']).where('target', '=', 'a1').execute();
      assert.deepEqual(
        rows.map((r) => r.actor),
        ['token:alice', 'token:alice'],
      );
    });

    test('states round-trip nested JSON, unicode and awkward keys', async () => {
      const values: Record<string, unknown> = {
        nested: { a: [1, { b: [true, null, { c: 'deep' }] }], n: -0.5, big: Number.MAX_SAFE_INTEGER, empty: {}, list: [] },
        unicode: { text: 'Zoë 東京 مرحبا 🔑\u200d', nul: 'a\u0000b', lone: '\ud800', quote: `'"\\` },
        scalar: 42,
        string: 'plain',
        nothing: null,
        'arn:aws:iam::1:role/ci': { ok: true },
        "'; drop table detector_state; --": 'injection is just a key',
        '🔑 ключ': 'unicode key',
        '': 'empty key',
      };
      await putStates(
        store,
        'roundtrip',
        Object.entries(values).map(([key, state]) => ({ key, state })),
      );
      const all = await getStates(store, 'roundtrip');
      assert.deepEqual(Object.fromEntries(all), values);
      const some = await getStates(store, 'roundtrip', ['nested', '🔑 ключ', 'absent']);
      assert.deepEqual([...some.keys()].sort(), ['nested', '🔑 ключ']);
      assert.deepEqual(some.get('nested'), values.nested);
      // undefined cannot be JSON; it is stored as null rather than lost.
      await putStates(store, 'roundtrip', [{ key: 'undefined', state: undefined }]);
      assert.equal((await getStates(store, 'roundtrip', ['undefined'])).get('undefined'), null);
    });

    test('50,000 states in one call, written and read back', async (t) => {
      const entries = Array.from({ length: 50_000 }, (_, i) => ({
        key: `arn:aws:iam::123456789012:role/svc-${i}`,
        state: { i, ips: [`10.0.${i % 256}.${i % 7}`], hours: [i % 24], label: `é${i}` },
      }));
      let started = performance.now();
      await putStates(store, 'bulk', entries);
      const insertMs = performance.now() - started;
      started = performance.now();
      await putStates(
        store,
        'bulk',
        entries.map((e) => ({ key: e.key, state: { ...e.state, updated: true } })),
      );
      const updateMs = performance.now() - started;
      started = performance.now();
      const all = await getStates(store, 'bulk');
      const readMs = performance.now() - started;
      t.diagnostic(
        `${backend.name}: putStates 50k insert ${insertMs.toFixed(0)} ms, update ${updateMs.toFixed(0)} ms; getStates 50k ${readMs.toFixed(0)} ms`,
      );
      assert.equal(all.size, 50_000);
      assert.deepEqual(all.get('arn:aws:iam::123456789012:role/svc-49999'), { ...entries[49_999]!.state, updated: true });
      const keys = entries.filter((_, i) => i % 3 === 0).map((e) => e.key);
      const some = await getStates(store, 'bulk', keys);
      assert.equal(some.size, keys.length);
      assert.equal(await deleteStates(store, 'bulk'), 50_000);
    });

    test('putStates overwrites, keeps the last of duplicate keys, and keeps scopes apart', async () => {
      await putStates(store, 'a', [
        { key: 'k', state: { v: 1 } },
        { key: 'other', state: 'x' },
      ]);
      await putStates(store, 'b', [{ key: 'k', state: 'scope b' }]);
      await putStates(store, 'a', [
        { key: 'k', state: { v: 2 } },
        { key: 'k', state: { v: 3 } },
      ]);
      assert.deepEqual(Object.fromEntries(await getStates(store, 'a')), { k: { v: 3 }, other: 'x' });
      assert.deepEqual(Object.fromEntries(await getStates(store, 'b')), { k: 'scope b' });
      await putStates(store, 'a', []);
    });

    test('deleteStates removes the named keys, or the whole scope, and nothing else', async () => {
      await putStates(
        store,
        'del',
        ['a', 'b', 'c', 'd'].map((key) => ({ key, state: key })),
      );
      await putStates(store, 'keep', [{ key: 'a', state: 'kept' }]);
      assert.equal(await deleteStates(store, 'del', []), 0);
      assert.equal(await deleteStates(store, 'del', ['a', 'b', 'a', 'absent']), 2);
      assert.deepEqual([...(await getStates(store, 'del')).keys()].sort(), ['c', 'd']);
      assert.equal(await deleteStates(store, 'del'), 2);
      assert.equal((await getStates(store, 'del')).size, 0);
      assert.deepEqual(Object.fromEntries(await getStates(store, 'keep')), { a: 'kept' });
    });

    test('meta values are set, replaced and read; unknown keys read as undefined', async () => {
      assert.equal(await getMeta(store, 'watermark'), undefined);
      await setMeta(store, 'watermark', { time: '2025-01-01T00:00:00Z', offset: 10 });
      await setMeta(store, 'watermark', { time: '2025-01-02T00:00:00Z', offset: 11 });
      await setMeta(store, 'flag', false);
      assert.deepEqual(await getMeta(store, 'watermark'), { time: '2025-01-02T00:00:00Z', offset: 11 });
      assert.equal(await getMeta(store, 'flag'), false);
    });

    test('a transaction commits every repository write together or none of them', async () => {
      await assert.rejects(
        store.transaction(async (trx) => {
          await putStates(trx, 'tx', [{ key: 'k', state: 1 }]);
          await setMeta(trx, 'tx', 1);
          throw new Error('crash before ack');
        }),
        /crash before ack/,
      );
      assert.equal((await getStates(store, 'tx')).size, 0);
      assert.equal(await getMeta(store, 'tx'), undefined);
      await store.transaction(async (trx) => {
        await putStates(trx, 'tx', [{ key: 'k', state: 1 }]);
        await upsertAlerts(trx, [alert({ uid: 'tx-alert' })]);
        await setMeta(trx, 'tx', 1);
      });
      assert.deepEqual(Object.fromEntries(await getStates(store, 'tx')), { k: 1 });
      assert.equal((await listAlerts(store, { identityId: 'arn:aws:iam::123456789012:role/ci' })).length, 1);
    });

    test('upsertAlerts inserts, advances an episode, ignores a stale redelivery and keeps triage status', async () => {
      const first = alert({ uid: 'ep-1', identity: { id: 'id-upsert', type: 'app' } });
      await upsertAlerts(store, [first]);
      await store.db.updateTable('alerts').set({ status: 'acknowledged' }).where('uid', '=', 'ep-1').execute();

      const later = { ...first, lastSeen: '2025-01-01T00:05:00Z', count: 7, severity: 'high' as const };
      await upsertAlerts(store, [later]);
      await upsertAlerts(store, [first]); // a redelivered older version
      assert.deepEqual(await listAlerts(store, { identityId: 'id-upsert' }), [later]);

      // Within one call the newest version of a uid wins, whatever the order.
      const newest = { ...first, lastSeen: '2025-01-01T00:09:00Z', count: 9 };
      await upsertAlerts(store, [newest, later]);
      assert.deepEqual(await listAlerts(store, { identityId: 'id-upsert' }), [newest]);

      const row = await store.db
        .selectFrom('alerts')
        .select(['status', 'count', 'severity', 'first_seen', 'last_seen', 'credential_key'])
        .where('uid', '=', 'ep-1')
        .executeTakeFirstOrThrow();
      assert.deepEqual(row, {
        status: 'acknowledged',
        count: 9,
        severity: 'medium',
        first_seen: Date.parse('2025-01-01T00:00:00Z'),
        last_seen: Date.parse('2025-01-01T00:09:00Z'),
        credential_key: 'AKIAEXAMPLEKEYID0001',
      });
      await assert.rejects(upsertAlerts(store, [alert({ uid: 'bad', lastSeen: 'yesterday' })]), RangeError);
    });

    test('listAlerts orders by last seen (whatever the ISO width) and filters', async () => {
      const who = { id: 'id-list', type: 'service-account' as const };
      const alerts = [
        alert({ uid: 'l1', identity: who, severity: 'low', lastSeen: '2025-03-01T10:00:00Z' }),
        // Fractional seconds: later than l1 though it sorts before it as text.
        alert({ uid: 'l2', identity: who, severity: 'critical', lastSeen: '2025-03-01T10:00:00.500Z' }),
        alert({ uid: 'l3', identity: who, severity: 'high', lastSeen: '2025-02-01T00:00:00Z', credential: undefined }),
        alert({
          uid: 'l4',
          identity: who,
          severity: 'info',
          detectionId: 'runtime.identity.rate-spike',
          lastSeen: '2025-03-01T11:00:00+01:00',
        }),
      ];
      await upsertAlerts(store, alerts);
      const uids = (list: Alert[]) => list.map((a) => a.uid);
      // l4 is 10:00Z, the same instant as l1: ties are broken by uid.
      assert.deepEqual(uids(await listAlerts(store, { identityId: 'id-list' })), ['l2', 'l1', 'l4', 'l3']);
      assert.deepEqual(uids(await listAlerts(store, { identityId: 'id-list', minSeverity: 'high' })), ['l2', 'l3']);
      assert.deepEqual(uids(await listAlerts(store, { identityId: 'id-list', detectionId: 'runtime.identity.rate-spike' })), [
        'l4',
      ]);
      assert.deepEqual(uids(await listAlerts(store, { identityId: 'id-list', since: '2025-03-01T10:00:00.001Z' })), ['l2']);
      assert.deepEqual(uids(await listAlerts(store, { identityId: 'id-list', since: new Date('2025-02-15T00:00:00Z') })), [
        'l2',
        'l1',
        'l4',
      ]);
      assert.deepEqual(uids(await listAlerts(store, { identityId: 'id-list', limit: 2 })), ['l2', 'l1']);
      assert.equal((await listAlerts(store, { identityId: 'nobody' })).length, 0);
      assert.deepEqual((await listAlerts(store, { identityId: 'id-list', limit: 1 }))[0], alerts[1]);
      const all = await listAlerts(store);
      assert.ok(all.length >= 4);
      for (let i = 1; i < all.length; i++) assert.ok(Date.parse(all[i - 1]!.lastSeen) >= Date.parse(all[i]!.lastSeen));
      await assert.rejects(
        listAlerts(store, { since: 'not a time' }),
        (e: unknown) => (e as WardenError).code === 'WARDEN_USAGE',
      );
      await assert.rejects(listAlerts(store, { limit: -1 }), (e: unknown) => (e as WardenError).code === 'WARDEN_USAGE');
    });

    test('learned exceptions are kept once each and survive a reopen', async () => {
      const x = {
        detections: ['runtime.credential.new-source'],
        identity: 'arn:aws:iam::1:role/ci',
        network: '198.51.100.0/24',
        reason: 'r',
      };
      assert.equal(await addLearnedExceptions(store, [x]), 1);
      assert.equal(await addLearnedExceptions(store, [x, { ...x, network: '203.0.113.0/24' }]), 1);
      await store.close();
      store = await openStore(url);
      assert.deepEqual(
        (await learnedExceptions(store)).map((e) => e.network),
        ['198.51.100.0/24', '203.0.113.0/24'],
      );
    });
  });
}

storeSuite(sqliteBackend('warden-store-'));

// Checked before the suite is declared so that an unreachable server is one plain failed test in the
// summary CI reads; a failing before() hook would only cancel the tests.
const postgres = postgresBackend('warden_test');
const unreachable = SKIP_PG
  ? undefined
  : await postgres.start().then(
      () => undefined,
      (error: Error) => error.message,
    );
if (SKIP_PG) test('store on postgres', { skip: 'WARDEN_SKIP_POSTGRES=1' }, () => {});
else if (unreachable !== undefined)
  test('store on postgres', () => {
    // The helper's message names the server and says how to start it or skip these tests.
    assert.fail(unreachable);
  });
else storeSuite(postgres);

const run = promisify(execFile);

describe('SQLite specifics', () => {
  const tmp = tempDir('warden-sqlite-');
  after(() => tmp.cleanup());

  test('no URL means <dir>/.warden/warden.db, created with its folder, in WAL mode with foreign keys on', async () => {
    const store = await openStore(undefined, { dir: tmp.dir });
    try {
      assert.ok(existsSync(join(tmp.dir, '.warden', 'warden.db')));
      const pragma = async (name: string) =>
        Object.values((await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(store.db)).rows[0]!)[0];
      assert.equal(await pragma('journal_mode'), 'wal');
      assert.equal(await pragma('synchronous'), 1); // NORMAL
      assert.equal(await pragma('foreign_keys'), 1);
      assert.equal(await pragma('busy_timeout'), 10_000);
      assert.equal(await pragma('wal_autocheckpoint'), 10_000);
    } finally {
      await store.close();
    }
  });

  test(':memory: is a private database per open', async () => {
    const a = await openStore(':memory:');
    const b = await openStore(':memory:');
    await setMeta(a, 'k', 'a');
    assert.equal(await getMeta(b, 'k'), undefined);
    assert.equal(await getMeta(a, 'k'), 'a');
    await a.close();
    await b.close();
  });

  test('handles on one file in one process share it; closing one leaves the others working', async () => {
    const file = join(tmp.dir, 'shared.db');
    const [a, b] = await Promise.all([openStore(file), openStore(`sqlite:${file}`)]);
    await Promise.all([
      a!.transaction(async (trx) => putStates(trx, 's', [{ key: 'a', state: 1 }])),
      b!.transaction(async (trx) => putStates(trx, 's', [{ key: 'b', state: 2 }])),
    ]);
    await a!.close();
    await a!.close(); // a second close is harmless and does not release b's share
    assert.deepEqual(Object.fromEntries(await getStates(b!, 's')), { a: 1, b: 2 });
    await b!.close();
  });

  test('processes opening one new file at once, then reading and writing it in turns, lose nothing', async () => {
    const file = join(tmp.dir, 'multi.db');
    const index = new URL('./index.js', import.meta.url).href;
    // Each process waits for the same instant so their migrations overlap, then runs the detector's
    // pattern: read state, write state, in one transaction. A deferred transaction would fail here
    // with SQLITE_BUSY(_SNAPSHOT), and a lost update would show in the counter.
    const script = `
      const { openStore, getStates, putStates } = await import(${JSON.stringify(index)});
      const [file, id, at] = process.argv.slice(1);
      while (Date.now() < Number(at));
      const store = await openStore(file);
      for (let round = 0; round < 5; round++)
        await store.transaction(async (trx) => {
          const counter = (await getStates(trx, 'shared', ['counter'])).get('counter') ?? 0;
          await putStates(trx, 'p' + id, Array.from({ length: 2000 }, (_, i) => ({ key: 'k' + i, state: { round } })));
          await putStates(trx, 'shared', [{ key: 'counter', state: counter + 1 }]);
        });
      await store.close();`;
    const at = String(Date.now() + 700);
    const workers = Array.from({ length: 4 }, (_, i) =>
      run(process.execPath, ['--input-type=module', '-e', script, `sqlite:${file}`, String(i), at]),
    );
    await Promise.all(workers);
    const store = await openStore(file);
    try {
      assert.equal((await getStates(store, 'shared')).get('counter'), 20);
      for (let i = 0; i < 4; i++) {
        const states = await getStates(store, `p${i}`);
        assert.equal(states.size, 2000);
        assert.deepEqual(states.get('k1999'), { round: 4 });
      }
    } finally {
      await store.close();
    }
  });
});

describe('store URLs', () => {
  test('SQLite forms resolve to absolute paths; postgres URLs pass through', () => {
    assert.deepEqual(parseStoreUrl(undefined, { dir: '/repo' }), { dialect: 'sqlite', file: '/repo/.warden/warden.db' });
    assert.deepEqual(parseStoreUrl('', { dir: '/repo' }), { dialect: 'sqlite', file: '/repo/.warden/warden.db' });
    assert.deepEqual(parseStoreUrl('sqlite:/data/w.db'), { dialect: 'sqlite', file: '/data/w.db' });
    assert.deepEqual(parseStoreUrl('sqlite:///data/w.db'), { dialect: 'sqlite', file: '/data/w.db' });
    assert.deepEqual(parseStoreUrl('file:///data/my%20w.db'), { dialect: 'sqlite', file: '/data/my w.db' });
    assert.deepEqual(parseStoreUrl('file:rel/w.db'), { dialect: 'sqlite', file: join(process.cwd(), 'rel/w.db') });
    assert.deepEqual(parseStoreUrl('w.db'), { dialect: 'sqlite', file: join(process.cwd(), 'w.db') });
    assert.deepEqual(parseStoreUrl(':memory:'), { dialect: 'sqlite', file: ':memory:' });
    assert.deepEqual(parseStoreUrl('sqlite::memory:'), { dialect: 'sqlite', file: ':memory:' });
    assert.deepEqual(parseStoreUrl('postgresql://u@h:5432/d?sslmode=require'), {
      dialect: 'postgres',
      url: 'postgresql://u@h:5432/d?sslmode=require',
    });
  });

  test('a URL Warden cannot use is WARDEN_CONFIG_INVALID, and the message never repeats a password', async () => {
    // The password is assembled at run time so this file holds no credential-shaped URL.
    const pw = ['hunter2', 'secret'].join('');
    for (const bad of [`mysql://admin:${pw}@db/warden`, 'warden.txt', 'sqlite:', `postgres://admin:${pw}@[bad`]) {
      await assert.rejects(openStore(bad), (e: unknown) => {
        assert.ok(e instanceof WardenError, `${bad}: ${e}`);
        assert.equal(e.code, 'WARDEN_CONFIG_INVALID');
        assert.ok(!e.message.includes(pw), e.message);
        return true;
      });
    }
  });
});
