import type { DetectorOptions } from '../detect/engine.js';
import { DEFAULT_PARTITIONS } from '../detect/partition.js';
import { manifestDetectorOptions } from '../detect/policy-violation.js';
import { sigmaRuleSetFor } from '../detect/sigma/index.js';
import type { DetectConfig } from '../model/config.js';
import { DetectConfigSchema } from '../model/config.js';
import type { Severity } from '../model/severity.js';
import { loadManifest } from '../policy/load.js';
import { rescoreGraph } from '../store/graph-query.js';
import { learnedExceptions } from '../store/learned-exceptions.js';
import { processedTotal } from '../store/partitions.js';
import { openStore, type Store } from '../store/store.js';
import { parseStoreUrl, type StoreLocation } from '../store/url.js';
import { auditFor } from './app.js';
import { DEFAULT_BODY_LIMIT, DEFAULT_RATE_LIMIT, type IngestPipeline, type ServerConfig, type ServerContext } from './context.js';
import { createEmbeddedPipeline } from './embedded.js';
import { loadParsers, saveParsers } from './parser-memory.js';
import { startPipelineThread } from './pipeline-thread.js';

export interface ContextOptions {
  /** Store URL or path (`--store`, else WARDEN_DATABASE_URL, else .warden/warden.db under cwd); or an open Store. */
  store?: string | Store | undefined;
  /** Builds the pipeline instead of the embedded one (the bus pipeline, or a test double). */
  pipeline?: ((store: Store, detect: DetectorOptions, partitions: number) => Promise<IngestPipeline>) | undefined;
  learnUntil?: number | undefined;
  policyFile?: string | undefined;
  bodyLimit?: number | undefined;
  rateLimit?: number | undefined;
  cwd?: string | undefined;
  partitions?: number | undefined;
  /** Detection thresholds and exceptions (warden.config.yaml `detect:`) and severities. */
  detect?: { config?: DetectConfig | undefined; severity?: Readonly<Record<string, Severity>> | undefined } | undefined;
  onPipelineError?: ((error: unknown) => void) | undefined;
  /** How often the identity graph is rescored while records arrive (default 60 s). */
  rescoreMs?: number | undefined;
  /**
   * Runs the embedded pipeline on its own thread (default: yes when the store is a file or a URL;
   * an in-memory store or an open Store handle keep it on the request thread).
   */
  pipelineThread?: boolean | undefined;
}

const RESCORE_MS = 60_000;

const isMemory = (l: StoreLocation) => l.dialect === 'sqlite' && l.file === ':memory:';

/**
 * Rescores the identity graph every `everyMs` while new events arrive (the pipeline imports them into
 * the graph as it detects), so /v1/risk and /v1/identities follow the stream without a rescore per batch.
 */
function graphRescorer(store: Store, everyMs: number, onError: (error: unknown) => void): { stop(): void } {
  let seen = -1;
  let running = false;
  const timer = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      const processed = await processedTotal(store);
      if (processed !== seen) {
        seen = processed;
        await rescoreGraph(store);
      }
    } catch (error) {
      onError(error);
    } finally {
      running = false;
    }
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** A context plus what it opened, to close on shutdown. */
export interface OwnedContext extends ServerContext {
  /** Stops the pipeline (finishing the batch in hand) and closes the store if this context opened it. */
  close(): Promise<void>;
}

/**
 * Opens the store and starts the pipeline: everything `buildServer` needs.
 * @example
 * const ctx = await createServerContext({ store: ':memory:' });
 * const app = await buildServer(ctx, { logger: false });
 */
export async function createServerContext(options: ContextOptions = {}): Promise<OwnedContext> {
  const cwd = options.cwd ?? process.cwd();
  const owned = typeof options.store !== 'object';
  const store = typeof options.store === 'object' ? options.store : await openStore(options.store, { dir: cwd });
  const config: ServerConfig = Object.freeze({
    learnUntil: options.learnUntil,
    policyFile: options.policyFile,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    rateLimit: options.rateLimit ?? DEFAULT_RATE_LIMIT,
    cwd,
  });
  // The manifest is read before the store takes traffic: a broken one stops the start (exit 2).
  const manifest = options.policyFile === undefined ? undefined : loadManifest(options.policyFile, cwd);
  // Exceptions learned from triage ("expected change") join the configured ones.
  const learned = await learnedExceptions(store);
  // Declared expectations and changes: the server's detector judges as `warden detect --policy` does.
  const declared = manifestDetectorOptions(manifest, options.detect?.config ?? DetectConfigSchema.parse({}));
  const baseConfig = declared.config;
  const detect: DetectorOptions = {
    learnUntil: options.learnUntil,
    config: learned.length === 0 ? baseConfig : { ...baseConfig, exceptions: [...baseConfig.exceptions, ...learned] },
    severity: options.detect?.severity,
    expectations: declared.expectations,
    ownerOf: declared.ownerOf,
    nameOf: declared.nameOf,
  };
  const partitions = options.partitions ?? DEFAULT_PARTITIONS;
  // Sigma rules are read before the store takes traffic too: a missing rules path stops the start.
  const sigma = sigmaRuleSetFor(detect.config ?? DetectConfigSchema.parse({}));
  // The ingest parsers, with what they learned before the last graceful stop.
  const parsers = await loadParsers(store);
  const ctx: Partial<OwnedContext> = {};
  const onPipelineError = (error: unknown) => {
    options.onPipelineError?.(error);
    ctx.log?.error({ err: error }, 'detection pipeline: commit failed; retrying from the stored state');
  };
  const storeUrl = typeof options.store === 'object' ? undefined : options.store;
  // Detection off the request thread: an authorization decision or an ingest request never waits
  // behind a detector pass or a commit of detector state. An in-memory store lives in one thread only.
  const threaded =
    options.pipeline === undefined &&
    typeof options.store !== 'object' &&
    (options.pipelineThread ?? !isMemory(parseStoreUrl(storeUrl, { dir: cwd })));
  const pipeline = options.pipeline
    ? await options.pipeline(store, detect, partitions)
    : threaded
      ? await startPipelineThread(
          {
            store: storeUrl,
            cwd,
            partitions,
            learnUntil: detect.learnUntil,
            config: detect.config,
            severity: detect.severity,
            policyFile: options.policyFile,
          },
          onPipelineError,
        )
      : createEmbeddedPipeline(store, detect, partitions, onPipelineError);
  const rescorer = graphRescorer(store, options.rescoreMs ?? RESCORE_MS, (error) =>
    ctx.log?.error({ err: error }, 'graph rescore failed'),
  );
  Object.assign(ctx, {
    store,
    config,
    pipeline,
    // The rule set the detector builds from the same settings (its paths were checked above).
    sigma,
    parsers,
    audit: auditFor(store),
    authenticators: [],
    close: async () => {
      rescorer.stop();
      await pipeline.close();
      await saveParsers(store, parsers).catch((error: unknown) =>
        ctx.log?.error({ err: error }, 'ingest parsers: what they learned was not saved'),
      );
      if (owned) await store.close();
    },
  } satisfies OwnedContext);
  return ctx as OwnedContext;
}
