import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { packageRoot } from '../../model/package-root.js';
import type { ServerContext } from '../context.js';

/*
 * The dashboard's pages and assets, built by `npm run build` into web/dist and served with
 * @fastify/static (content types, ETags, ranges). Assets are public: they hold no data. Pages need a
 * session like every data route; a browser without one gets 401 with the app itself, which shows the
 * sign-in form, and any other client the usual problem document.
 */

/** The client-side routes of the app (web/src/main.tsx). */
export const PAGES = ['/', '/signin', '/alerts', '/alerts/:uid', '/identities', '/identity', '/findings', '/reports'];

/** Where the built dashboard is. */
export function webRoot(): string {
  return join(packageRoot(), 'web', 'dist');
}

const CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  "style-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('x-frame-options', 'DENY');
}

function wantsHtml(request: FastifyRequest): boolean {
  return /\btext\/html\b/.test(String(request.headers.accept ?? ''));
}

/** GET of each page (viewer; 401 with the sign-in app without a session) and of /assets/* (public). */
export async function registerWeb(app: FastifyInstance, _ctx: ServerContext): Promise<void> {
  const root = webRoot();
  const indexFile = join(root, 'index.html');
  const index = existsSync(indexFile) ? readFileSync(indexFile, 'utf8') : undefined;
  await app.register(fastifyStatic, { root, serve: false });

  // In this module's scope only: a browser asking for a page without a session gets the app (it signs
  // in) with the 401; everything else goes to the server's problem+json handler.
  const problems = app.errorHandler;
  app.setErrorHandler((error, request, reply) => {
    if (index !== undefined && wantsHtml(request) && (error as { code?: string }).code === 'WARDEN_UNAUTHENTICATED') {
      secure(reply).code(401).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(index);
      return;
    }
    return problems.call(app, error, request, reply);
  });

  app.get<{ Params: { '*': string } }>(
    '/assets/*',
    { config: { public: true }, schema: { summary: "the dashboard's built scripts and styles (no data)", tags: ['dashboard'] } },
    async (request, reply) => {
      secure(reply).header('cache-control', 'public, max-age=31536000, immutable');
      return reply.sendFile(join('assets', request.params['*']));
    },
  );

  for (const page of PAGES)
    app.get(
      page,
      { config: { role: 'viewer' }, schema: { summary: 'a dashboard page (HTML)', tags: ['dashboard'] } },
      async (_request, reply) => {
        secure(reply).header('cache-control', 'no-store');
        if (index === undefined) {
          reply.code(503).type('text/plain; charset=utf-8');
          return 'the dashboard is not built: run npm run build';
        }
        reply.type('text/html; charset=utf-8');
        return index;
      },
    );
}
