import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createKeyEncryptionKey } from '../policy/jit/kek.js';
import { createKeyring } from '../policy/jit/keys.js';
import { jitRepository } from './credentials.js';
import { openStore } from './store.js';
import { type Backend, postgresBackend, SKIP_PG, sqliteBackend } from './testing.js';

for (const backend of [sqliteBackend(), ...(SKIP_PG ? [] : [postgresBackend()])] as Backend[]) {
  describe(`JIT keys and credentials on ${backend.name}`, () => {
    before(() => backend.start());
    after(() => backend.cleanup());

    test('keys rotate and prune, credentials revoke once', async () => {
      const store = await openStore(await backend.fresh());
      try {
        const repo = jitRepository(store);
        let now = 1_000_000;
        const ring = createKeyring(repo, createKeyEncryptionKey(randomBytes(32), 'test'), () => now);
        const first = (await ring.signer()).kid;
        await ring.extend(first, now + 600_000);
        const rot = await ring.rotate();
        assert.deepEqual(rot.retired, [first]);
        assert.deepEqual(rot.pruned, [], 'a retired key stays while a credential it signed lives');
        now += 700_000;
        const again = await ring.rotate();
        assert.ok(again.pruned.includes(first), 'and goes after');
        await repo.insertCredential({
          id: 'c1',
          identity: 'ci-deployer',
          kid: again.kid,
          audience: 'warden',
          task: 't',
          workloadIssuer: 'http://127.0.0.1',
          workloadSubject: 's',
          issuedAt: now,
          expiresAt: now + 60_000,
          revokedAt: null,
          revokedBy: null,
          fingerprint: 'f'.repeat(64),
        });
        assert.equal(await repo.revokeCredential('c1', now, 'admin'), true);
        assert.equal(await repo.revokeCredential('c1', now + 1, 'other'), false);
        const c = await repo.getCredential('c1');
        assert.equal(c?.revokedBy, 'admin');
        assert.equal(c?.revokedAt, now);
        assert.equal(await repo.getCredential('nope'), undefined);
      } finally {
        await store.close();
      }
    });
  });
}
