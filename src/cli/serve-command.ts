import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../model/config.js';
import { WardenError } from '../model/errors.js';
import { timeFlag } from './flags.js';
import type { CliIO } from './io.js';

export interface ServeFlags {
  listen: string;
  store?: string;
  bus?: string;
  policy?: string;
  learnUntil?: string;
  tlsCert?: string;
  tlsKey?: string;
  bodyLimit?: string;
  rateLimit?: string;
  config?: string;
}

/** Where `warden serve --learn-until` leaves its time for workers started without the flag. */
const LEARN_UNTIL_META = 'serve.learn-until';

/** `host:port` (IPv6 in brackets) from `--listen`. */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:]*)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535)
    throw new WardenError('WARDEN_USAGE', `--listen takes HOST:PORT such as 127.0.0.1:8080, not "${value}"`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

function positive(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new WardenError('WARDEN_USAGE', `${flag} takes a positive whole number, not "${value}"`);
  return n;
}

/** Waits for SIGTERM or SIGINT. */
function untilSignal(): Promise<string> {
  return new Promise((resolvePromise) => {
    const on = (signal: string) => {
      process.off('SIGTERM', term);
      process.off('SIGINT', int);
      resolvePromise(signal);
    };
    const term = () => on('SIGTERM');
    const int = () => on('SIGINT');
    process.once('SIGTERM', term);
    process.once('SIGINT', int);
  });
}

/** `warden serve`: the HTTP API, ingesting continuously. */
export function registerServe(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('serve')
    .description('run the Warden service: ingest logs over HTTP, detect continuously, serve alerts, risk and the audit trail')
    .option('--listen <host:port>', 'address to listen on (loopback unless you say otherwise)', '127.0.0.1:8080')
    .option(
      '--store <path|url>',
      'store: a SQLite file or postgres:// URL (default: WARDEN_DATABASE_URL, else .warden/warden.db)',
    )
    .option('--bus <url>', 'publish accepted records to NATS JetStream (nats://host:port); warden worker processes them')
    .option('--policy <file>', 'the policy manifest (warden.policy.yaml)')
    .option('--learn-until <time>', 'records before this ISO time train the baselines; only later ones alert')
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (with --tls-key)')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert')
    .option('--body-limit <bytes>', 'largest request body (gzip bodies may inflate to 4x this)', String(32 * 1024 * 1024))
    .option('--rate-limit <n>', 'requests per minute per token', '20000')
    .option('--config <file>', 'config file (default: warden.config.yaml in the current directory)')
    .addHelpText(
      'after',
      `
Examples:
  $ warden token create --name shipper --role ingest > shipper.token
  $ warden serve --listen 127.0.0.1:8080 --learn-until 2026-03-01T00:00:00Z
  $ curl -H "Authorization: Bearer $(cat shipper.token)" --data-binary @cloudtrail.json.gz http://127.0.0.1:8080/v1/ingest
  $ WARDEN_DATABASE_URL=postgres://warden@db/warden warden serve --bus nats://127.0.0.1:4222   (then: warden worker)

Logs are JSON lines (pino) on standard output; they never hold a token. SIGTERM or SIGINT stops
accepting, finishes in-flight requests and the detection batch in hand, and exits 0.
Exit codes: 0 stopped by a signal, 2 error (bad flags, store or bus unreachable, port taken).`,
    )
    .action(async (flags: ServeFlags) => setExit(await runServe(flags, io)));
}

/** The work of `warden serve`: returns the exit code once a signal stopped it. */
export async function runServe(flags: ServeFlags, io: CliIO): Promise<number> {
  const { buildServer, createServerContext } = await import('../server/index.js');
  const { host, port } = parseListen(flags.listen);
  const learnUntil = timeFlag(flags.learnUntil, '--learn-until');
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined))
    throw new WardenError('WARDEN_USAGE', '--tls-cert and --tls-key go together');
  let https: { cert: Buffer; key: Buffer } | undefined;
  if (flags.tlsCert !== undefined && flags.tlsKey !== undefined) {
    try {
      https = { cert: readFileSync(resolve(io.cwd, flags.tlsCert)), key: readFileSync(resolve(io.cwd, flags.tlsKey)) };
    } catch (error) {
      throw new WardenError('WARDEN_USAGE', `cannot read the TLS certificate or key: ${(error as Error).message}`);
    }
  }
  const config = loadConfig(io.cwd, flags.config);
  const storeUrl = flags.store ?? io.env.WARDEN_DATABASE_URL;
  const { partitionCount } = await import('../detect/partition.js');
  const partitions = partitionCount(io.env.WARDEN_PARTITIONS);
  let pipeline: Parameters<typeof createServerContext>[0] extends infer O
    ? O extends { pipeline?: infer P }
      ? P
      : never
    : never;
  if (flags.bus !== undefined) {
    const { busPipelineFactory } = await import('../bus/index.js');
    pipeline = busPipelineFactory({ url: flags.bus, env: io.env });
  }
  const ctx = await createServerContext({
    store: storeUrl,
    cwd: io.cwd,
    learnUntil,
    policyFile: flags.policy === undefined ? undefined : resolve(io.cwd, flags.policy),
    bodyLimit: positive(flags.bodyLimit, '--body-limit'),
    rateLimit: positive(flags.rateLimit, '--rate-limit'),
    partitions,
    detect: { config: config.detect, severity: config.severity },
    pipeline,
  });
  // Workers started without --learn-until take the server's (the flag is easy to give one and not the other).
  const { setMeta } = await import('../store/index.js');
  await setMeta(ctx.store, LEARN_UNTIL_META, learnUntil ?? null);
  const app = await buildServer(ctx, { https });
  try {
    await app.listen({ host, port });
  } catch (error) {
    await ctx.close();
    throw new WardenError('WARDEN_USAGE', `cannot listen on ${host}:${port}: ${(error as Error).message}`);
  }
  const address = app.server.address();
  const where =
    typeof address === 'object' && address !== null
      ? `${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`
      : `${host}:${port}`;
  io.stderr(
    `warden serve: listening on ${https ? 'https' : 'http'}://${where} (${ctx.pipeline.mode}, store ${ctx.store.dialect})\n`,
  );
  const signal = await untilSignal();
  io.stderr(`warden serve: ${signal}: finishing in-flight requests and the batch in hand\n`);
  // app.close stops accepting and waits for in-flight requests; then the pipeline commits and stops.
  await app.close();
  await ctx.close();
  io.stderr('warden serve: stopped\n');
  return 0;
}

/** `--partitions 0,1,5-7` as a sorted list, each below `count`. */
export function parsePartitions(value: string | undefined, count: number): number[] | undefined {
  if (value === undefined) return undefined;
  const out = new Set<number>();
  for (const part of value.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new WardenError('WARDEN_USAGE', `--partitions takes a list such as 0,1,4-7, not "${value}"`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from || to >= count)
      throw new WardenError(
        'WARDEN_USAGE',
        `--partitions: ${part.trim()} is outside 0-${count - 1} (WARDEN_PARTITIONS is ${count})`,
      );
    for (let p = from; p <= to; p++) out.add(p);
  }
  return [...out].sort((a, b) => a - b);
}

/** `warden worker`: consumes the bus, detects, stores alerts; many may run side by side. */
export function registerWorker(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('worker')
    .description('process records that warden serve --bus published: detection state and alerts in PostgreSQL')
    .requiredOption('--bus <url>', 'NATS JetStream server (nats://host:port)')
    .option('--store <url>', 'postgres:// URL shared by every worker and the server (default: WARDEN_DATABASE_URL)')
    .option(
      '--partitions <list>',
      'only these partitions, e.g. 0-7 (default: a fair share of all, rebalanced as workers come and go)',
    )
    .option('--learn-until <time>', 'records before this ISO time train the baselines (default: the one warden serve was given)')
    .option('--config <file>', 'config file (default: warden.config.yaml in the current directory)')
    .option('--policy <file>', 'the policy manifest: raise runtime.policy.violation as warden serve --policy does')
    .addHelpText(
      'after',
      `
Examples:
  $ export WARDEN_DATABASE_URL=postgres://warden@db/warden
  $ warden worker --bus nats://127.0.0.1:4222 &
  $ warden worker --bus nats://127.0.0.1:4222 &                 (a second one takes half the partitions)
  $ warden worker --bus nats://nats:4222 --partitions 0-7

Each partition is one ordered stream with one detector, so the alerts are the same with one worker or
ten. A worker acknowledges records only after their state and alerts are committed; if it dies, another
takes its partitions over within 10 s and continues from the last commit. SIGTERM finishes the batch
in hand and exits 0. Exit codes: 0 stopped by a signal, 2 error.`,
    )
    .action(
      async (flags: {
        bus: string;
        store?: string;
        partitions?: string;
        learnUntil?: string;
        config?: string;
        policy?: string;
      }) => setExit(await runWorkerCommand(flags, io)),
    );
}

/**
 * The server's --learn-until as it left it in the store (null: it was given none). A worker started in
 * the same breath as the server waits for it up to 30 s, rather than detecting without it.
 */
async function serverLearnUntil(read: () => Promise<unknown>): Promise<number | undefined> {
  for (let waited = 0; waited < 30_000; waited += 250) {
    const value = await read();
    if (value !== undefined) return typeof value === 'number' ? value : undefined;
    await new Promise((r) => setTimeout(r, 250));
  }
  return undefined;
}

async function runWorkerCommand(
  flags: { bus: string; store?: string; partitions?: string; learnUntil?: string; config?: string; policy?: string },
  io: CliIO,
): Promise<number> {
  const { busNames, connectBus, runWorker } = await import('../bus/index.js');
  const { getMeta, learnedExceptions, openStore } = await import('../store/index.js');
  const { partitionCount } = await import('../detect/partition.js');
  const learnUntil = timeFlag(flags.learnUntil, '--learn-until');
  const partitions = partitionCount(io.env.WARDEN_PARTITIONS);
  const only = parsePartitions(flags.partitions, partitions);
  const config = loadConfig(io.cwd, flags.config);
  const { policyFlag } = await import('./policy-command.js');
  const { manifestDetectorOptions } = await import('../detect/policy-violation.js');
  const manifest = policyFlag(io, flags.policy, false);
  // The manifest's expectations and declared changes, and who its identities are.
  const declared = manifestDetectorOptions(manifest, config.detect);
  const store = await openStore(flags.store ?? io.env.WARDEN_DATABASE_URL, { dir: io.cwd });
  try {
    const bus = await connectBus(flags.bus, busNames(io.env));
    const controller = new AbortController();
    void untilSignal().then((signal) => {
      io.stderr(`warden worker: ${signal}: finishing the batch in hand\n`);
      controller.abort();
    });
    const leaseMs = Number(io.env.WARDEN_LEASE_MS) > 0 ? Number(io.env.WARDEN_LEASE_MS) : undefined;
    const stats = await runWorker({
      bus,
      store,
      partitions,
      only,
      detect: async () => ({
        learnUntil: learnUntil ?? (await serverLearnUntil(() => getMeta(store, LEARN_UNTIL_META))),
        // Exceptions learned from triage ("expected change") join the configured ones.
        config: { ...declared.config, exceptions: [...config.detect.exceptions, ...(await learnedExceptions(store))] },
        severity: config.severity,
        expectations: declared.expectations,
        ownerOf: declared.ownerOf,
        nameOf: declared.nameOf,
      }),
      signal: controller.signal,
      leaseMs,
      log: (line) => io.stderr(`warden worker: ${line}\n`),
    });
    await bus.close();
    io.stderr(`warden worker: stopped after ${stats.processed} events, ${stats.alerts} alerts, ${stats.commits} commits\n`);
    return 0;
  } finally {
    await store.close();
  }
}
