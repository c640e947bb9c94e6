import { createReadStream, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { type Command, Option } from 'commander';
import { WardenError } from '../model/errors.js';
import type { CredentialChecker } from '../policy/authz/authorizer.js';
import type { Store } from '../store/index.js';
import type { CliIO } from './io.js';
import { policyFlag } from './policy-command.js';

const STORE_HELP =
  'store holding just-in-time credentials and signing keys: a SQLite file or postgres:// URL (default: WARDEN_DATABASE_URL, else .warden/warden.db)';

async function openStoreFor(store: string | undefined, io: CliIO): Promise<Store> {
  const { openStore } = await import('../store/index.js');
  return openStore(store ?? io.env.WARDEN_DATABASE_URL, { dir: io.cwd });
}

/**
 * The JIT services over a store: the key-encryption key (WARDEN_KEY_ENCRYPTION_KEY, else the key file
 * .warden/key-encryption.key, created on first use with a note on stderr), the keyring and the broker's repository.
 */
export async function jitServices(store: Store, io: CliIO) {
  const { jitRepository } = await import('../store/index.js');
  const { defaultKeyFile, loadKeyEncryptionKey } = await import('../policy/jit/kek.js');
  const { createKeyring } = await import('../policy/jit/keys.js');
  const kek = loadKeyEncryptionKey(io.env, defaultKeyFile(io.cwd), (path) =>
    io.stderr(
      `warden: created the key-encryption key ${path} (mode 0600); keep it with the database, or set WARDEN_KEY_ENCRYPTION_KEY\n`,
    ),
  );
  const repo = jitRepository(store);
  return { kek, repo, keyring: createKeyring(repo, kek) };
}

async function* lines(input: Readable): AsyncGenerator<string> {
  const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of rl) yield line;
}

/**
 * `warden authorize` (CONTRACTS §3): one JSON request per line in, one decision per line out; and
 * `warden keys rotate|list` for the just-in-time credential signing keys.
 */
export function registerAuthz(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('authorize')
    .description('decide requests against the manifest: JSON lines in (stdin or --request), one decision per line out')
    .requiredOption('--policy <file>', 'the policy manifest (file or folder)')
    .option('--request <file.jsonl>', 'requests, one JSON object per line (default: standard input)')
    .option('--store <path|url>', `${STORE_HELP}; needed only for just-in-time credentials as principals`)
    .option('--fail-on-deny', 'exit 1 when any request is denied')
    .addHelpText(
      'after',
      `
Each request: {"principal": NAME|MATCH|JIT-TOKEN, "action": "s3:GetObject", "resource": "arn:…",
               "context": {"time": ISO, "sourceIp": IP, "environment": NAME, "region": NAME}}
Each decision: {"decision": "allow"|"deny", "reasons": […], "policies": ["NAME/allow/N"]}
A line that is not a request is denied with the reason; the summary goes to standard error.
Exit codes: 0 decided (1 with --fail-on-deny and a denial), 2 error (missing file, invalid manifest).

Examples:
  $ echo '{"principal":"ci-deployer","action":"s3:GetObject","resource":"arn:aws:s3:::acme-artifacts/a","context":{…}}' | warden authorize --policy warden.policy.yaml
  $ warden authorize --policy policies/ --request requests.jsonl`,
    )
    .action(async (flags: { policy: string; request?: string; store?: string; failOnDeny?: boolean }) => {
      const manifest = policyFlag(io, flags.policy, false)!;
      let input: Readable = io.stdin;
      if (flags.request !== undefined) {
        const path = resolve(io.cwd, flags.request);
        if (!existsSync(path)) throw new WardenError('WARDEN_SOURCE_UNREADABLE', `no such request file: ${flags.request}`);
        input = createReadStream(path);
      }
      const { createAuthorizer } = await import('../policy/authz/authorizer.js');
      let store: Store | undefined;
      try {
        let credentials: CredentialChecker | undefined;
        if (flags.store !== undefined) {
          store = await openStoreFor(flags.store, io);
          const { keyring, repo } = await jitServices(store, io);
          const { createBroker, jitPolicyOf } = await import('../policy/jit/broker.js');
          const { createWorkloadVerifier } = await import('../policy/jit/oidc.js');
          credentials = createBroker({
            repo,
            keyring,
            verifier: createWorkloadVerifier(),
            policy: () => jitPolicyOf(manifest),
            issuer: io.env.WARDEN_ISSUER ?? 'http://127.0.0.1:8080',
          });
        }
        const authz = createAuthorizer(manifest, credentials === undefined ? {} : { credentials });
        const counts = { allow: 0, deny: 0, invalid: 0 };
        let n = 0;
        for await (const line of lines(input)) {
          n++;
          if (line.trim() === '') continue;
          let request: unknown;
          try {
            request = JSON.parse(line);
          } catch {
            counts.invalid++;
            counts.deny++;
            io.stdout(`${JSON.stringify({ decision: 'deny', reasons: [`line ${n}: not JSON`], policies: [] })}\n`);
            continue;
          }
          const d = await authz.authorize(request);
          if (d.reasons[0]?.startsWith('invalid request')) counts.invalid++;
          counts[d.decision]++;
          io.stdout(`${JSON.stringify(d)}\n`);
        }
        io.stderr(`warden authorize: ${counts.allow} allowed, ${counts.deny} denied (${counts.invalid} unreadable)\n`);
        setExit(flags.failOnDeny === true && counts.deny > 0 ? 1 : 0);
      } finally {
        await store?.close();
      }
    });

  const keys = program.command('keys').description("Warden's signing keys for just-in-time credentials");
  keys
    .command('rotate')
    .description('make a new signing key; the old ones stay published until the last credential they signed expires')
    .addOption(new Option('--store <path|url>', STORE_HELP))
    .addHelpText('after', '\nExamples:\n  $ warden keys rotate\n  $ WARDEN_DATABASE_URL=postgres://… warden keys rotate')
    .action(async (flags: { store?: string }) => {
      const store = await openStoreFor(flags.store, io);
      try {
        const { keyring } = await jitServices(store, io);
        const r = await keyring.rotate();
        io.stdout(`${JSON.stringify(r)}\n`);
        io.stderr(
          `warden: signing key ${r.kid} now signs; ${r.retired.length} retired (published until their credentials expire), ${r.pruned.length} removed\n`,
        );
        setExit(0);
      } finally {
        await store.close();
      }
    });
  keys
    .command('list')
    .description('every signing key held: kid, created, retired, published until (no private material)')
    .addOption(new Option('--store <path|url>', STORE_HELP))
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']))
    .action(async (flags: { store?: string; format?: 'table' | 'json' }) => {
      const store = await openStoreFor(flags.store, io);
      try {
        const { repo } = await jitServices(store, io);
        const list = (await repo.listKeys()).map((k) => ({
          kid: k.kid,
          alg: k.alg,
          createdAt: new Date(k.createdAt).toISOString(),
          retiredAt: k.retiredAt === null ? null : new Date(k.retiredAt).toISOString(),
          publishedUntil: k.retiredAt === null ? null : new Date(k.lastExpiresAt).toISOString(),
          kekId: k.kekId,
        }));
        if ((flags.format ?? (io.stdoutIsTTY ? 'table' : 'json')) === 'json') io.stdout(`${JSON.stringify(list, null, 2)}\n`);
        else {
          io.stdout('KID                              CREATED                   STATE\n');
          for (const k of list)
            io.stdout(
              `${k.kid.padEnd(32)} ${k.createdAt}  ${k.retiredAt === null ? 'signing' : `retired, published until ${k.publishedUntil}`}\n`,
            );
        }
        setExit(0);
      } finally {
        await store.close();
      }
    });
}
