import { type Command, Option } from 'commander';
import type { CliIO } from './io.js';

/** `warden rules list`: every rule with its severity and framework references. */
export function registerRules(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const rules = program.command('rules').description('list and inspect detection rules');
  rules
    .command('list')
    .description('list every rule with its severity and framework references')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .addOption(new Option('--kind <kind>', 'only secret, posture or policy rules').choices(['secret', 'posture', 'policy']))
    .option('--provider <name>', 'only secret rules of this provider (case-insensitive)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ warden rules list\n  $ warden rules list --kind posture\n  $ warden rules list --provider aws --format json',
    )
    .action(async (flags: { format: 'table' | 'json'; provider?: string; kind?: 'secret' | 'posture' | 'policy' }) => {
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
      const { loadPolicyRules } = await import('../policy/rules.js');
      const policy = [...loadPolicyRules().values()].map((r) => ({
        id: r.id,
        kind: 'policy',
        title: r.title,
        severity: r.severity,
        frameworks: r.frameworks,
      }));
      const want = (k: string) => flags.kind === undefined || flags.kind === k;
      const rows = [
        ...(want('secret') ? secrets : []),
        ...(want('posture') && !flags.provider ? posture : []),
        ...(want('policy') && !flags.provider ? policy : []),
      ];
      if (flags.format === 'json') io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
      else {
        const w = Math.max(...rows.map((r) => r.id.length), 2);
        io.stdout(`${'ID'.padEnd(w)}  SEVERITY  TITLE\n`);
        for (const r of rows) io.stdout(`${r.id.padEnd(w)}  ${r.severity.padEnd(8)}  ${r.title}  [${r.frameworks.join(', ')}]\n`);
        io.stdout(`${rows.length} rules\n`);
      }
      setExit(0);
    });
}
