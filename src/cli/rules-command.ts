import { type Command, Option } from 'commander';
import type { CliIO } from './io.js';

/** `warden rules list`: every rule with its severity and framework references. */
export function registerRules(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const rules = program.command('rules').description('list and inspect detection rules');
  rules
    .command('list')
    .description('list every rule with its severity and framework references')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .addOption(new Option('--kind <kind>', 'only secret or posture rules').choices(['secret', 'posture']))
    .option('--provider <name>', 'only secret rules of this provider (case-insensitive)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ warden rules list\n  $ warden rules list --kind posture\n  $ warden rules list --provider aws --format json',
    )
    .action(async (flags: { format: 'table' | 'json'; provider?: string; kind?: 'secret' | 'posture' }) => {
      const { loadPostureRules } = await import('../scan/posture/index.js');
      const { loadSecretRules } = await import('../scan/secrets/load-rules.js');
      const secrets = loadSecretRules()
        .filter((r) => !flags.provider || r.provider.toLowerCase() === flags.provider.toLowerCase())
        .map((r) => ({
          id: r.id,
          kind: 'secret',
          title: r.title,
          provider: r.provider,
          severity: r.severity,
          frameworks: r.frameworks,
        }));
      const posture = [...loadPostureRules().values()].map((r) => ({
        id: r.id,
        kind: 'posture',
        title: r.title,
        severity: r.severity,
        frameworks: r.frameworks,
      }));
      const rows = [...(flags.kind !== 'posture' ? secrets : []), ...(flags.kind !== 'secret' && !flags.provider ? posture : [])];
      if (flags.format === 'json') io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
      else {
        const { formatTable, terminalWidth } = await import('../report/terminal.js');
        io.stdout(
          formatTable(
            [{ header: 'ID', min: 24 }, { header: 'SEVERITY' }, { header: 'TITLE', wrap: true, min: 20 }],
            rows.map((r) => [r.id, r.severity, `${r.title}  [${r.frameworks.join(', ')}]`]),
            terminalWidth(io),
          ),
        );
        io.stdout(`${rows.length} rules\n`);
      }
      setExit(0);
    });
}
