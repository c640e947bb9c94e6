import type { CredentialRecord, JitRepository, SigningKeyRecord } from '../policy/jit/types.js';
import type { JitCredentialsTable, JitKeysTable } from './schema.js';
import { queryable, type StoreTarget } from './store.js';

function keyOf(r: JitKeysTable): SigningKeyRecord {
  return {
    kid: r.kid,
    alg: 'ES256',
    publicJwk: JSON.parse(r.public_jwk),
    privateSealed: r.private_sealed,
    kekId: r.kek_id,
    createdAt: Number(r.created_at),
    retiredAt: r.retired_at === null ? null : Number(r.retired_at),
    lastExpiresAt: Number(r.last_expires_at),
  };
}

function credentialOf(r: JitCredentialsTable): CredentialRecord {
  return {
    id: r.id,
    identity: r.identity,
    kid: r.kid,
    audience: r.audience,
    task: r.task,
    workloadIssuer: r.workload_issuer,
    workloadSubject: r.workload_subject,
    issuedAt: Number(r.issued_at),
    expiresAt: Number(r.expires_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
    revokedBy: r.revoked_by,
    fingerprint: r.fingerprint,
  };
}

/**
 * The just-in-time broker's keys and credentials in the store (tables of migration 0030), on both
 * dialects. Revocation is one conditional UPDATE, so two revocations racing record one revoker.
 * @example const broker = createBroker({ repo: jitRepository(store), … })
 */
export function jitRepository(target: StoreTarget): JitRepository {
  const db = queryable(target);
  return {
    async listKeys() {
      return (await db.selectFrom('jit_keys').selectAll().orderBy('created_at').execute()).map(keyOf);
    },
    async insertKey(k) {
      await db
        .insertInto('jit_keys')
        .values({
          kid: k.kid,
          alg: k.alg,
          public_jwk: JSON.stringify(k.publicJwk),
          private_sealed: k.privateSealed,
          kek_id: k.kekId,
          created_at: k.createdAt,
          retired_at: k.retiredAt,
          last_expires_at: k.lastExpiresAt,
        })
        .execute();
    },
    async retireKeysExcept(kid, at) {
      await db.updateTable('jit_keys').set({ retired_at: at }).where('kid', '!=', kid).where('retired_at', 'is', null).execute();
    },
    async extendKey(kid, expiresAt) {
      await db
        .updateTable('jit_keys')
        .set({ last_expires_at: expiresAt })
        .where('kid', '=', kid)
        .where('last_expires_at', '<', expiresAt)
        .execute();
    },
    async pruneKeys(expiredBefore, retiredBefore) {
      const gone = await db
        .selectFrom('jit_keys')
        .select('kid')
        .where('retired_at', '<=', retiredBefore)
        .where('last_expires_at', '<=', expiredBefore)
        .execute();
      if (gone.length === 0) return [];
      const kids = gone.map((r) => r.kid);
      await db.deleteFrom('jit_keys').where('kid', 'in', kids).execute();
      return kids;
    },
    async insertCredential(c) {
      await db
        .insertInto('jit_credentials')
        .values({
          id: c.id,
          identity: c.identity,
          kid: c.kid,
          audience: c.audience,
          task: c.task,
          workload_issuer: c.workloadIssuer,
          workload_subject: c.workloadSubject,
          issued_at: c.issuedAt,
          expires_at: c.expiresAt,
          revoked_at: c.revokedAt,
          revoked_by: c.revokedBy,
          fingerprint: c.fingerprint,
        })
        .execute();
    },
    async getCredential(id) {
      const r = await db.selectFrom('jit_credentials').selectAll().where('id', '=', id).executeTakeFirst();
      return r === undefined ? undefined : credentialOf(r);
    },
    async revokeCredential(id, at, by) {
      const res = await db
        .updateTable('jit_credentials')
        .set({ revoked_at: at, revoked_by: by })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(res.numUpdatedRows) > 0;
    },
  };
}
