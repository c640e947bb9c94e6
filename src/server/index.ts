export { auditFor, type BuildOptions, buildServer, type RouteEntry } from './app.js';
export { actorOf, allows, type Principal, type RouteAccess } from './auth.js';
export {
  DEFAULT_BODY_LIMIT,
  DEFAULT_RATE_LIMIT,
  type IngestPipeline,
  type PipelineStatus,
  type ServerConfig,
  type ServerContext,
} from './context.js';
export { createEmbeddedPipeline } from './embedded.js';
export { type Problem, toProblem } from './problem.js';
export { ROUTE_MODULES, type RouteModule } from './routes/index.js';
export { type ContextOptions, createServerContext, type OwnedContext } from './serve.js';
