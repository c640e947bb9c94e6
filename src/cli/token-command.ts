import { type Command, Option } from 'commander';
import { termSafe } from '../report/terminal.js';
import { ROLES, type Role } from '../store/tokens.js';
import type { CliIO } from './io.js';

const STORE_HELP = 'store: a SQLite file or postgres:// URL (default: WARDEN_DATABASE_URL, else .warden/warden.db)';

/** `warden token create|list|revoke`: bearer tokens of `warden serve`, stored as hashes only. */
export function registerToken(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const token = program
    .command('token')
    .description('create, list and revoke the bearer tokens of warden serve (only their SHA-256 is stored)');
  const open = async (store?: string) => {
    const { openStore } = await import('../store/index.js');
    return openStore(store ?? io.env.WARDEN_DATABASE_URL, { dir: io.cwd });
  };

  token
    .command('create')
    .description('create a token; it is written alone on standard output, once, and never stored')
    .requiredOption('--name <name>', 'a name to list and revoke it by (letters, digits, . _ -)')
    .addOption(new Option('--role <role>', 'what it may do').choices(ROLES).makeOptionMandatory())
    .option('--store <path|url>', STORE_HELP)
    .addHelpText(
      'after',
      '\nExamples:\n  $ TOKEN=$(warden token create --name shipper --role ingest)\n  $ warden token create --name soc --role analyst --store postgres://warden@db/warden\n\nRoles: viewer < analyst < admin (people); ingest (log shippers, scan uploads); workload (authorization requests).\nExit codes: 0 created, 2 error (the name is taken, bad role).',
    )
    .action(async (flags: { name: string; role: Role; store?: string }) => {
      const { appendAudit, createToken } = await import('../store/index.js');
      const store = await open(flags.store);
      try {
        const created = await createToken(store, { name: flags.name, role: flags.role });
        await appendAudit(store, {
          actor: 'cli',
          action: 'token.create',
          target: flags.name,
          detail: { role: flags.role, preview: created.info.preview },
        });
        io.stdout(`${created.token}\n`);
        io.stderr(`created token "${termSafe(flags.name)}" with role ${flags.role}; it is shown once, keep it safe\n`);
        setExit(0);
      } finally {
        await store.close();
      }
    });

  token
    .command('list')
    .description('list tokens: name, role, preview, created, last used, revoked (never the token)')
    .option('--store <path|url>', STORE_HELP)
    .addOption(new Option('-f, --format <format>', 'table or json (default: table on a terminal)').choices(['table', 'json']))
    .action(async (flags: { store?: string; format?: 'table' | 'json' }) => {
      const { listTokens } = await import('../store/index.js');
      const store = await open(flags.store);
      try {
        const tokens = await listTokens(store);
        if ((flags.format ?? (io.stdoutIsTTY ? 'table' : 'json')) === 'json') {
          for (const t of tokens) io.stdout(`${JSON.stringify(t)}\n`);
          return;
        }
        io.stdout(
          `${'NAME'.padEnd(24)} ${'ROLE'.padEnd(9)} ${'PREVIEW'.padEnd(10)} ${'CREATED'.padEnd(24)} ${'LAST USED'.padEnd(24)} REVOKED\n`,
        );
        for (const t of tokens)
          io.stdout(
            `${termSafe(t.name).padEnd(24)} ${t.role.padEnd(9)} ${t.preview.padEnd(10)} ${t.createdAt.padEnd(24)} ${(t.lastUsedAt ?? '-').padEnd(24)} ${t.revokedAt ?? '-'}\n`,
          );
      } finally {
        await store.close();
      }
    });

  token
    .command('revoke')
    .description('revoke a token by name: it stops working at once')
    .argument('<name>', 'the token name')
    .option('--store <path|url>', STORE_HELP)
    .action(async (name: string, flags: { store?: string }) => {
      const { appendAudit, revokeToken } = await import('../store/index.js');
      const store = await open(flags.store);
      try {
        await revokeToken(store, name);
        await appendAudit(store, { actor: 'cli', action: 'token.revoke', target: name });
        io.stderr(`revoked token "${termSafe(name)}"\n`);
      } finally {
        await store.close();
      }
    });
}
