import type { FastifyInstance } from 'fastify';
import type { IdentityEvent } from '../model/identity-event.js';
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

let eventCount = 0;

/**
 * Test support: a fresh CloudTrail S3 read by role `identity`, one second after the previous one made
 * here, with an id unique in the process (`<prefix>-<n>`).
 * @example await pipeline.accept([s3Read('app'), s3Read('app')]);
 */
export function s3Read(identity = 'app', prefix = 'ev'): IdentityEvent {
  eventCount++;
  return {
    id: `${prefix}-${eventCount}`,
    time: new Date(Date.parse('2026-03-02T10:00:00Z') + eventCount * 1000).toISOString(),
    source: 'cloudtrail',
    action: 's3:GetObject',
    outcome: 'success',
    tags: [],
    raw: { file: 'trail.json', line: eventCount },
    identity: { id: `arn:aws:iam::111122223333:role/${identity}`, type: 'iam-role', name: identity },
    client: { ip: '10.0.0.1' },
  } as IdentityEvent;
}
