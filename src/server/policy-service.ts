import { existsSync, type FSWatcher, watch } from 'node:fs';
import { join } from 'node:path';
import { WardenError } from '../model/errors.js';
import type { IdentityEvent } from '../model/identity-event.js';
import { type Authorizer, createAuthorizer } from '../policy/authz/authorizer.js';
import { DEFAULT_POLICY_FILE, loadManifest, type Manifest } from '../policy/index.js';
import { type Broker, createBroker, jitPolicyOf } from '../policy/jit/broker.js';
import { defaultKeyFile, loadKeyEncryptionKey } from '../policy/jit/kek.js';
import { createKeyring } from '../policy/jit/keys.js';
import { createWorkloadVerifier, type WorkloadVerifier } from '../policy/jit/oidc.js';
import { jitRepository } from '../store/credentials.js';
import { importEvents } from '../store/graph-import.js';
import type { ServerContext } from './context.js';

/** What the authorization and credential routes share: one manifest, one authorizer, one broker. */
export interface PolicyServices {
  readonly authorizer: Authorizer;
  readonly broker: Broker;
  manifest(): Manifest;
  /** Loads the manifest file again; on error the old manifest keeps serving and the error is returned. */
  reload(): Error | undefined;
  /** Sends the queued decision events to the pipeline now. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

const EMPTY: Manifest = Object.freeze({ version: 1, identities: [], trust: [], changes: [], files: [] }) as Manifest;
/** Decision events are handed to the pipeline in batches: at most this many, or this often. */
const EVENT_BATCH = 500;
const EVENT_FLUSH_MS = 50;
/** Editors write a file in several steps: reload once the writes stop for this long. */
const WATCH_DEBOUNCE_MS = 100;

const services = new WeakMap<ServerContext, PolicyServices>();

export interface PolicyServiceOptions {
  /** The workload-token verifier (tests and benchmarks inject one with a short cooldown). */
  verifier?: WorkloadVerifier;
  env?: Readonly<Record<string, string | undefined>>;
}

/** `WARDEN_DECISION_CACHE`: on (the default) or off; anything else is a configuration error. */
export function decisionCacheSetting(value: string | undefined): boolean {
  if (value === undefined || value === '' || value === 'on') return true;
  if (value === 'off') return false;
  throw new WardenError(
    'WARDEN_CONFIG_INVALID',
    `WARDEN_DECISION_CACHE must be on or off, not ${JSON.stringify(value.slice(0, 40))}`,
  );
}

/**
 * The policy services of a server context, created on first use: the manifest (`--policy FILE`, else
 * `./warden.policy.yaml` when present, else an empty one that denies everything), reloaded on SIGHUP
 * and when the file changes; the authorizer; and the JIT broker over the store's keys.
 *
 * Decision events go to the pipeline in batches (every 50 ms or 500 events), after the answer: a
 * decision never waits for a database commit or for detection, and a crash loses at most the last
 * batch of decision events, never a decision. Issuance events join the same batches; revocation,
 * refusal and reuse events are sent at once.
 */
export function policyServices(ctx: ServerContext, options: PolicyServiceOptions = {}): PolicyServices {
  const existing = services.get(ctx);
  if (existing !== undefined) return existing;
  const env = options.env ?? process.env;
  const file =
    ctx.config.policyFile ??
    (existsSync(join(ctx.config.cwd, DEFAULT_POLICY_FILE)) ? join(ctx.config.cwd, DEFAULT_POLICY_FILE) : undefined);
  let manifest = file === undefined ? EMPTY : loadManifest(file, ctx.config.cwd);

  let queue: IdentityEvent[] = [];
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  const send = (batch: IdentityEvent[]) => {
    inFlight = inFlight
      .then(() => ctx.pipeline.accept(batch))
      .catch((error: unknown) =>
        ctx.log?.error({ err: error, events: batch.length }, 'authorization events: the pipeline refused a batch'),
      );
  };
  const flush = async () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (queue.length > 0) {
      const batch = queue;
      queue = [];
      send(batch);
    }
    if (graphQueue.length > 0) {
      const batch = graphQueue;
      graphQueue = [];
      graphChain = graphChain
        .then(() => importEvents(ctx.store, batch))
        .catch((error: unknown) => ctx.log?.error({ err: error }, 'identity graph: credential events were not imported'));
    }
    await inFlight;
    await graphChain;
  };
  // Issuance and revocation also go into the identity graph with the next batch (the pipeline would
  // import them too, later): each credential becomes a short-lived credential of its identity
  // (credential-of edge, issue and expiry times), revoked when revoked.
  let graphChain: Promise<unknown> = Promise.resolve();
  let graphQueue: IdentityEvent[] = [];
  const toGraph = (e: IdentityEvent) => {
    graphQueue.push(e);
  };
  const enqueue = (e: IdentityEvent, now = false) => {
    queue.push(e);
    if (now || queue.length >= EVENT_BATCH) void flush();
    else if (timer === undefined) timer = setTimeout(() => void flush(), EVENT_FLUSH_MS);
  };

  const repo = jitRepository(ctx.store);
  const kekFile = defaultKeyFile(ctx.config.cwd);
  let keyring: ReturnType<typeof createKeyring> | undefined;
  // The key-encryption key is read on first use, so a server without JIT use never creates one.
  const lazyKeyring = (): ReturnType<typeof createKeyring> => {
    keyring ??= createKeyring(
      repo,
      loadKeyEncryptionKey(env, kekFile, (path) =>
        ctx.log?.warn({ path }, 'created a key-encryption key file; keep it with the database, or set WARDEN_KEY_ENCRYPTION_KEY'),
      ),
    );
    return keyring;
  };
  const keyringProxy: ReturnType<typeof createKeyring> = {
    signer: () => lazyKeyring().signer(),
    publicKey: (kid) => lazyKeyring().publicKey(kid),
    jwks: () => lazyKeyring().jwks(),
    extend: (kid, exp) => lazyKeyring().extend(kid, exp),
    rotate: () => lazyKeyring().rotate(),
    list: () => lazyKeyring().list(),
  };
  const broker = createBroker({
    repo,
    keyring: keyringProxy,
    verifier: options.verifier ?? createWorkloadVerifier(),
    policy: () => jitPolicyOf(manifest),
    issuer: env.WARDEN_ISSUER ?? 'warden',
    audience: env.WARDEN_AUDIENCE ?? 'warden',
    onEvent: (e) => {
      const issued = e.tags.includes('credential.issued');
      if (issued || e.tags.includes('credential.revoked')) toGraph(e);
      // Issuances join the next batch (within EVENT_FLUSH_MS); revocations, refusals and presentations
      // (the reuse-after-revocation signal) go at once.
      enqueue(e, !issued);
    },
  });
  const authorizer = createAuthorizer(manifest, {
    credentials: broker,
    onEvent: (e) => enqueue(e),
    decisionCache: decisionCacheSetting(env.WARDEN_DECISION_CACHE),
  });

  const reload = (): Error | undefined => {
    if (file === undefined) return undefined;
    try {
      const next = loadManifest(file, ctx.config.cwd);
      // Compile first: a manifest Cedar refuses leaves both the old policies and the old trust live.
      authorizer.load(next);
      manifest = next;
      ctx.log?.info({ file, identities: next.identities.length, trust: next.trust.length }, 'policy manifest reloaded');
      return undefined;
    } catch (error) {
      ctx.log?.error({ err: error, file }, 'policy manifest reload failed; the previous manifest stays in force');
      return error as Error;
    }
  };

  const onHup = () => void reload();
  process.on('SIGHUP', onHup);
  let watcher: FSWatcher | undefined;
  let debounce: NodeJS.Timeout | undefined;
  if (file !== undefined) {
    try {
      // A folder manifest is watched recursively; a file through its own inode (editors that replace
      // the file are caught by SIGHUP or the rename event, after which the watch is renewed).
      const arm = () => {
        watcher?.close();
        watcher = watch(file, { persistent: false, recursive: !file.endsWith('.yaml') && !file.endsWith('.yml') }, (type) => {
          if (debounce !== undefined) clearTimeout(debounce);
          debounce = setTimeout(() => {
            reload();
            if (type === 'rename' && existsSync(file)) arm();
          }, WATCH_DEBOUNCE_MS);
        });
      };
      arm();
    } catch (error) {
      ctx.log?.warn({ err: error, file }, 'cannot watch the policy manifest; reload it with SIGHUP');
    }
  }

  const s: PolicyServices = {
    authorizer,
    broker,
    manifest: () => manifest,
    reload,
    flush,
    async close() {
      process.off('SIGHUP', onHup);
      watcher?.close();
      if (debounce !== undefined) clearTimeout(debounce);
      await flush();
    },
  };
  services.set(ctx, s);
  return s;
}
