import type { FastifyInstance } from 'fastify';
import { createToken, type Role } from '../store/tokens.js';
import { type BuildOptions, buildServer } from './app.js';
import { type ContextOptions, createServerContext, type OwnedContext } from './serve.js';

/**
 * Test support: an app on a fresh store (in-memory SQLite unless `store` says otherwise), with a token
 * per role on demand. Not a test file itself.
 * @example
 * const t = await testServer();
 * const res = await t.app.inject({ method: 'GET', url: '/v1/status', headers: await t.auth('viewer') });
 * await t.close();
 */
export async function testServer(options: ContextOptions & { build?: BuildOptions } = {}): Promise<{
  app: FastifyInstance;
  ctx: OwnedContext;
  /** Authorization header of a fresh token with `role`. */
  auth(role: Role): Promise<{ authorization: string }>;
  close(): Promise<void>;
}> {
  const ctx = await createServerContext({ store: ':memory:', ...options });
  const app = await buildServer(ctx, { logger: false, ...options.build });
  await app.ready();
  let n = 0;
  const run = Math.random().toString(36).slice(2, 8);
  const tokens = new Map<Role, string>();
  return {
    app,
    ctx,
    auth: async (role) => {
      let token = tokens.get(role);
      if (token === undefined) {
        token = (await createToken(ctx.store, { name: `test-${role}-${run}-${n++}`, role })).token;
        tokens.set(role, token);
      }
      return { authorization: `Bearer ${token}` };
    },
    close: async () => {
      await app.close();
      await ctx.close();
    },
  };
}
