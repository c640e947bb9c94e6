import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { registerAlerts } from './alerts.js';
import { registerAudit } from './audit.js';
import { registerAuthorize, registerCredentials } from './authorize.js';
import { registerDashboard } from './dashboard.js';
import { registerGraph } from './graph.js';
import { registerHealth } from './health.js';
import { registerIngest } from './ingest.js';
import { registerRespond } from './respond.js';
import { registerScans } from './scans.js';
import { registerSession } from './session.js';
import { registerStatus } from './status.js';
import { registerWeb } from './web.js';

/**
 * A route module: registers its routes on `app` (its own encapsulated scope) and reaches the store,
 * config, pipeline and audit trail through `ctx`. Every route declares `config: { role }` or
 * `config: { public: true }`; see docs/server.md.
 */
export type RouteModule = (app: FastifyInstance, ctx: ServerContext) => void | Promise<void>;

/** Every route module of `warden serve`, registered in this order. Add a module with one line here. */
export const ROUTE_MODULES: readonly RouteModule[] = [
  registerHealth,
  registerIngest,
  registerScans,
  registerStatus,
  registerAlerts,
  registerGraph,
  registerAudit,
  registerAuthorize,
  registerCredentials,
  registerRespond,
  registerSession,
  registerDashboard,
  registerWeb,
];
