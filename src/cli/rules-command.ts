import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import type { CliIO } from './io.js';

type Kind = 'secret' | 'posture' | 'policy' | 'detection' | 'sigma';

interface Row {
  id: string;
  kind: Kind;
  title: string;
  provider?: string;
  severity: string;
  frameworks: string[];
  /** Sigma rules: where the rule is, its status and the log source it reads. */
  path?: string;
  status?: string;
  logsource?: string;
  attacks?: string[];
}

/** Sigma rows: the bundled pack (unless `builtin` is false) and any paths given. */
async function sigmaRows(paths: readonly string[], builtin: boolean, cwd: string): Promise<Row[]> {
  const { builtinRulesDir, checkRulePaths, loadSigmaRules } = await import('../detect/sigma/index.js');
  const { packageRoot } = await import('../model/package-root.js');
  const resolved = paths.map((p) => resolve(cwd, p));
  checkRulePaths(resolved);
  const sets = [...(builtin ? [loadSigmaRules([builtinRulesDir()], packageRoot())] : []), loadSigmaRules(resolved, cwd)];
  const rows: Row[] = [];
  for (const set of sets) {
    for (const r of [...set.rules.filter((x) => x.generate), ...set.correlations]) {
      rows.push({
        id: r.id,
        kind: 'sigma',
        title: r.title,
        severity: r.level,
        frameworks: r.frameworks,
        path: r.path,
        status: r.status,
        logsource: r.kind === 'rule' ? r.source : `correlation:${r.type}`,
        attacks: r.attacks.map((a) => a.id),
      });
    }
  }
  return rows;
}

/** `warden rules list|validate`: every rule of every kind; Sigma rule sets checked before use. */
export function registerRules(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const rules = program
    .command('rules')
    .description('list and validate rules: secret, posture, behavioural detections and Sigma');
  rules
    .command('list')
    .description(
      'list every rule with its severity and framework references: secret and posture rules, behavioural detections, Sigma rules',
    )
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .addOption(
      new Option('--kind <kind>', 'only rules of this kind').choices(['secret', 'posture', 'policy', 'detection', 'sigma']),
    )
    .option('--provider <name>', 'only secret rules of this provider (case-insensitive)')
    .option('--rules <path>', 'also list the Sigma rules in this file or folder (repeatable)', (v: string, p: string[] = []) => [
      ...p,
      v,
    ])
    .addHelpText(
      'after',
      '\nExamples:\n  $ warden rules list\n  $ warden rules list --kind posture\n  $ warden rules list --kind sigma --rules my-rules/\n  $ warden rules list --provider aws --format json',
    )
    .action(async (flags: { format: 'table' | 'json'; provider?: string; kind?: Kind; rules?: string[] }) => {
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
      const policy: Row[] = [...loadPolicyRules().values()].map((r) => ({
        id: r.id,
        kind: 'policy',
        title: r.title,
        severity: r.severity,
        frameworks: r.frameworks,
      }));
      const { DETECTIONS } = await import('../detect/index.js');
      const detections: Row[] = DETECTIONS.map((d) => ({
        id: d.meta.id,
        kind: 'detection',
        title: d.meta.title,
        severity: d.meta.severity,
        frameworks: d.meta.frameworks,
        attacks: d.meta.attacks.map((a) => a.id),
      }));
      const want = (k: Kind) => (flags.kind === undefined || flags.kind === k) && (!flags.provider || k === 'secret');
      const rows: Row[] = [
        ...(want('secret') ? secrets : []),
        ...(want('posture') ? (posture as Row[]) : []),
        ...(want('policy') ? policy : []),
        ...(want('detection') ? detections : []),
        ...(want('sigma') ? await sigmaRows(flags.rules ?? [], true, io.cwd) : []),
      ] as Row[];
      if (flags.format === 'json') io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
      else {
        const { formatTable, terminalWidth } = await import('../report/terminal.js');
        io.stdout(
          formatTable(
            [{ header: 'ID', min: 24 }, { header: 'KIND' }, { header: 'SEVERITY' }, { header: 'TITLE', wrap: true, min: 20 }],
            rows.map((r) => [r.id, r.kind, r.severity, `${r.title}  [${r.frameworks.join(', ')}]`]),
            terminalWidth(io),
          ),
        );
        const counts = (['secret', 'posture', 'policy', 'detection', 'sigma'] as const)
          .map((k) => [k, rows.filter((r) => r.kind === k).length] as const)
          .filter(([, n]) => n > 0)
          .map(([k, n]) => `${n} ${k}`);
        io.stdout(`${rows.length} rules (${counts.join(', ')})\n`);
      }
      setExit(0);
    });

  rules
    .command('validate')
    .description('load Sigma rules as `warden detect --rules` would and report what is unsupported, and why')
    .argument('<paths...>', 'Sigma rule files or folders')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--strict', 'exit 1 when any rule is unsupported')
    .addHelpText(
      'after',
      `
Examples:
  $ warden rules validate rules/detections
  $ warden rules validate sigma/rules/cloud --format json

JSON: {"loaded": N, "unsupported": [{"path", "reason"}]}; loaded counts detection and correlation rules.
Exit codes: 0 (1 with --strict and an unsupported rule), 2 when a path does not exist.`,
    )
    .action(async (paths: string[], flags: { format: 'table' | 'json'; strict?: boolean }) => {
      const { checkRulePaths, loadSigmaRules } = await import('../detect/sigma/index.js');
      const { termSafe } = await import('../report/terminal.js');
      const resolved = paths.map((p) => resolve(io.cwd, p));
      checkRulePaths(resolved);
      const set = loadSigmaRules(resolved, io.cwd);
      const loaded = set.rules.length + set.correlations.length;
      if (flags.format === 'json') io.stdout(`${JSON.stringify({ loaded, unsupported: set.unsupported })}\n`);
      else {
        for (const u of set.unsupported) io.stdout(`unsupported  ${termSafe(u.path, 120)}: ${termSafe(u.reason, 200)}\n`);
        io.stdout(`${loaded} rules loaded, ${set.unsupported.length} unsupported\n`);
      }
      setExit(flags.strict && set.unsupported.length > 0 ? 1 : 0);
    });
}
