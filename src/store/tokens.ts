import { createHash, randomBytes } from 'node:crypto';
import { WardenError } from '../model/errors.js';
import { inTransaction, queryable, type StoreTarget } from './store.js';

/**
 * Roles of `warden serve` bearer tokens. viewer < analyst < admin are people (read, triage, everything);
 * ingest (log shippers, CI uploading scans) and workload (request-time authorization) are machines that
 * reach only their own routes. See docs/server.md for the route table.
 */
export const ROLES = ['viewer', 'analyst', 'admin', 'ingest', 'workload'] as const;
export type Role = (typeof ROLES)[number];

/** A token as listed: never the token itself. */
export interface TokenInfo {
  name: string;
  role: Role;
  preview: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** The prefix of every Warden API token, so secret scanners (ours included) can recognise one. */
export const TOKEN_PREFIX = 'wdn_';

/** Hex SHA-256 of a token: what the store keeps and looks tokens up by. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Creates a token with `role` under a new `name` and returns it: the only time it exists in clear.
 * A name held by a revoked token is reused; a name held by a live token is an error.
 * @example const { token } = await createToken(store, { name: 'ci', role: 'ingest' });
 */
export async function createToken(
  target: StoreTarget,
  input: { name: string; role: Role },
): Promise<{ token: string; info: TokenInfo }> {
  if (!NAME.test(input.name))
    throw new WardenError('WARDEN_USAGE', 'a token name is 1-64 letters, digits, dots, dashes or underscores');
  if (!(ROLES as readonly string[]).includes(input.role))
    throw new WardenError('WARDEN_USAGE', `unknown role "${input.role}" (${ROLES.join(', ')})`);
  // 256 random bits: the hash needs no salt or stretching, nothing short enough to guess is stored.
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const now = Date.now();
  const row = {
    name: input.name,
    role: input.role,
    token_hash: tokenHash(token),
    preview: `${token.slice(0, 8)}…`,
    created_at: now,
    last_used_at: null,
    revoked_at: null,
  };
  await inTransaction(target, async (trx) => {
    const old = await trx.selectFrom('api_tokens').select(['revoked_at']).where('name', '=', input.name).executeTakeFirst();
    if (old !== undefined && old.revoked_at === null)
      throw new WardenError('WARDEN_USAGE', `a token named "${input.name}" exists; revoke it first or pick another name`);
    if (old !== undefined) await trx.deleteFrom('api_tokens').where('name', '=', input.name).execute();
    await trx.insertInto('api_tokens').values(row).execute();
  });
  return {
    token,
    info: { name: row.name, role: input.role, preview: row.preview, createdAt: iso(now)!, lastUsedAt: null, revokedAt: null },
  };
}

/** Every token, live and revoked, by name. */
export async function listTokens(target: StoreTarget): Promise<TokenInfo[]> {
  const rows = await queryable(target).selectFrom('api_tokens').selectAll().orderBy('name').execute();
  return rows.map((r) => ({
    name: r.name,
    role: r.role as Role,
    preview: r.preview,
    createdAt: iso(r.created_at)!,
    lastUsedAt: iso(r.last_used_at),
    revokedAt: iso(r.revoked_at),
  }));
}

/**
 * Revokes the live token called `name`; WARDEN_NOT_FOUND when there is none.
 * @example await revokeToken(store, 'ci');
 */
export async function revokeToken(target: StoreTarget, name: string): Promise<void> {
  const r = await queryable(target)
    .updateTable('api_tokens')
    .set({ revoked_at: Date.now() })
    .where('name', '=', name)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) throw new WardenError('WARDEN_NOT_FOUND', `no live token named "${name}"`);
}

/**
 * The live token whose hash matches, or undefined. Marks it used (at most once a minute, so reads stay reads).
 * @example const who = await verifyToken(store, bearer);
 */
export async function verifyToken(target: StoreTarget, token: string): Promise<{ name: string; role: Role } | undefined> {
  const db = queryable(target);
  const row = await db
    .selectFrom('api_tokens')
    .select(['name', 'role', 'last_used_at'])
    .where('token_hash', '=', tokenHash(token))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const now = Date.now();
  if (row.last_used_at === null || now - row.last_used_at > 60_000)
    await db.updateTable('api_tokens').set({ last_used_at: now }).where('name', '=', row.name).execute();
  return { name: row.name, role: row.role as Role };
}
