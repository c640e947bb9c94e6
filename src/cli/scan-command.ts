import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { loadConfig } from '../model/config.js';
import { WardenError } from '../model/errors.js';
import type { Finding } from '../model/finding.js';
import type { InventoryRelation } from '../model/inventory.js';
import { SEVERITIES, type Severity, severityRank } from '../model/severity.js';
import { terminalWidth } from '../report/terminal.js';
import type { ScanMode } from '../scan/index.js';
import type { VaultAuditHashConfig } from '../scan/secrets/vault-audit-hash.js';
import { sizeFlag } from './flags.js';
import type { CliIO } from './io.js';
import { requireOutput, writeOutput } from './paths.js';
import { repositoryOf, scanPolicy } from './policy-command.js';
import { checkKnownRuleSelectors, hasRuleSelectors } from './rule-check.js';

interface ScanFlags {
  git?: boolean;
  since?: string;
  staged?: boolean;
  stdin?: boolean;
  stdinName?: string;
  format: 'table' | 'json' | 'jsonl' | 'sarif';
  output?: string;
  failOn?: Severity;
  baseline?: string;
  rule?: string[];
  skipRule?: string[];
  maxFileSize?: string;
  threads?: string;
  config?: string;
  defaultExcludes: boolean;
  exclude?: string[];
  progress: boolean;
  color?: boolean;
  vaultAuditDevice?: string;
  policy?: string;
}

const SCAN_EXAMPLES = `
Examples:
  $ warden scan                          scan the current directory
  $ warden scan src --format sarif -o warden.sarif
  $ warden scan --git                    every blob in the repository's history, once
  $ warden scan --git --since origin/main   only commits not yet on main
  $ warden scan --staged                 what is about to be committed (pre-commit hook)
  $ cat .env | warden scan -             standard input
  $ warden scan --baseline .warden-baseline.json --fail-on high
  $ VAULT_ADDR=https://vault:8200 VAULT_TOKEN=… warden scan --vault-audit-device file --format json
                                         Vault token findings carry the audit HMAC Vault logs them under

Exit codes: 0 no finding at or above --fail-on, 1 findings, 2 error.
Silence one line with a comment containing "warden:ignore" (optionally followed by rule ids).`;

/** The Vault server to ask for audit HMACs, when --vault-audit-device asks for it; a usage error when VAULT_ADDR or VAULT_TOKEN is missing. */
function vaultAuditHashOf(flags: { vaultAuditDevice?: string }, io: CliIO): VaultAuditHashConfig | undefined {
  if (flags.vaultAuditDevice === undefined) return undefined;
  const addr = io.env.VAULT_ADDR;
  const token = io.env.VAULT_TOKEN;
  if (!addr || !token)
    throw new WardenError(
      'WARDEN_USAGE',
      '--vault-audit-device needs VAULT_ADDR and VAULT_TOKEN (a token that may update sys/audit-hash)',
    );
  return { addr, token, device: flags.vaultAuditDevice, namespace: io.env.VAULT_NAMESPACE };
}

function addSourceOptions(cmd: Command): Command {
  return cmd
    .argument('[path]', 'directory or file to scan ("-" for standard input)', '.')
    .option('--git', 'scan the whole git history of the repository at path')
    .option('--since <rev>', 'with --git: only commits not reachable from <rev>')
    .option('--staged', 'scan the staged version of changed files (pre-commit)')
    .option('--stdin-name <name>', 'path to report for standard input', '-')
    .option('--rule <ids...>', 'only these rules (ids or prefixes such as secret.aws.*)')
    .option('--skip-rule <ids...>', 'skip these rules')
    .option('--max-file-size <size>', 'skip files larger than this (e.g. 10MB)')
    .option('--exclude <patterns...>', 'gitignore-style patterns to skip')
    .option('--no-default-excludes', 'also scan vendored folders, lock files and binary extensions')
    .option(
      '--threads <n>',
      'scanning threads (default: one per core, one fewer for --git, where git takes a core; a tree scan counts the main thread among them)',
    )
    .option('--config <file>', 'config file (default: warden.config.yaml in the current directory)')
    .option('--no-progress', 'no progress line on a terminal')
    .option(
      '--vault-audit-device <path>',
      "ask Vault (VAULT_ADDR, VAULT_TOKEN) for the audit HMAC of each Vault token found, with this audit device's salt (WARDEN_VAULT_AUDIT_SALT does it offline)",
    );
}

function modeOf(path: string, flags: ScanFlags): ScanMode {
  const modes = [flags.git && '--git', flags.staged && '--staged', path === '-' && 'standard input'].filter(Boolean);
  if (modes.length > 1) throw new WardenError('WARDEN_USAGE', `choose one of ${modes.join(', ')}`);
  if (flags.since && !flags.git) throw new WardenError('WARDEN_USAGE', '--since goes with --git');
  if (flags.git) return 'git';
  if (flags.staged) return 'staged';
  return path === '-' ? 'stdin' : 'tree';
}

function numberFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new WardenError('WARDEN_USAGE', `${name} takes a whole number, not "${value}"`);
  return n;
}

async function scanOptionsFrom(path: string, flags: ScanFlags, io: CliIO) {
  const root = resolve(io.cwd, path === '-' ? '.' : path);
  const loaded = loadConfig(io.cwd, flags.config);
  if (hasRuleSelectors(flags, loaded)) await checkKnownRuleSelectors(flags, loaded);
  // Flags extend the config file: --exclude adds patterns, --no-default-excludes turns them off.
  const config = {
    ...loaded,
    scan: {
      ...loaded.scan,
      defaultExcludes: loaded.scan.defaultExcludes && flags.defaultExcludes,
      exclude: [...loaded.scan.exclude, ...(flags.exclude ?? [])],
    },
  };
  return {
    root,
    mode: modeOf(path, flags),
    config,
    stdin: io.stdin,
    stdinName: flags.stdinName,
    since: flags.since,
    rules: flags.rule,
    skipRules: flags.skipRule,
    maxFileSize: sizeFlag(flags.maxFileSize, '--max-file-size'),
    threads: numberFlag(flags.threads, '--threads'),
    vaultAuditSalt: io.env.WARDEN_VAULT_AUDIT_SALT,
    vaultAuditHash: vaultAuditHashOf(flags, io),
  };
}

/** `warden scan`: secrets in files, history, staged changes or stdin; exit 0 clean, 1 findings, 2 error. */
export function registerScan(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const cmd = program
    .command('scan')
    .description('find exposed credentials in files, git history, staged changes or standard input');
  addSourceOptions(cmd)
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json', 'jsonl', 'sarif']).default('table'))
    .option('-o, --output <file>', 'write the report to a file instead of standard output')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices(SEVERITIES))
    .option('--baseline <file>', 'report only findings not in this baseline (see warden baseline)')
    .option('--no-color', 'no colour in the table')
    .option('--policy <file>', 'check drift against this identity manifest (default: ./warden.policy.yaml when present)')
    .addHelpText('after', SCAN_EXAMPLES)
    .action(async (path: string, flags: ScanFlags) => {
      // Loaded on use: `warden --help` and other commands do not pay for the scanner's modules.
      const { compareFindings, emptySummary, readBaseline, runScan, scanFindings } = await import('../scan/index.js');
      const { toJsonReport } = await import('../report/json.js');
      const { toSarif } = await import('../report/sarif.js');
      const { toTable } = await import('../report/table.js');
      const { createScanProgress } = await import('./progress.js');
      const base = await scanOptionsFrom(path, flags, io);
      // The manifest is read before anything is scanned: a broken one stops here with exit 2.
      const manifest = scanPolicy(io, flags.policy, base.root);
      // Checked before the scan: a long scan must not end in "cannot write".
      const output = flags.output === undefined ? undefined : requireOutput(flags.output, io);
      const progress = createScanProgress(flags.progress && io.stderrIsTTY && !io.env.CI);
      const opts = {
        ...base,
        baseline: flags.baseline ? readBaseline(resolve(io.cwd, flags.baseline)) : undefined,
        onProgress: progress.update,
        // The JSON report carries the identity inventory (tree and staged scans) beside the findings when
        // the rule selection keeps posture rules (the configuration side of a scan); policy drift always reads it.
        inventory: manifest !== undefined ? true : flags.format === 'json' ? ('with-posture' as const) : false,
      };
      const drift = async (found: Finding[], relations: InventoryRelation[]): Promise<Finding[]> => {
        if (!manifest) return [];
        const { policyDrift } = await import('../policy/drift.js');
        return policyDrift(manifest, relations, found, { repository: repositoryOf(base.root), severity: base.config.severity });
      };
      const failOn = flags.failOn ?? base.config.scan.failOn;
      let findings: Finding[];
      let summary: ReturnType<typeof emptySummary>;
      let inventory: InventoryRelation[] = [];
      try {
        if (flags.format === 'jsonl') {
          // Streaming: each finding is written as soon as it is found.
          summary = emptySummary();
          findings = [];
          const write = flags.output ? undefined : io.stdout;
          const lines: string[] = [];
          const streamed: InventoryRelation[] = [];
          const emit = (f: Finding) => {
            findings.push(f);
            const line = `${JSON.stringify(f)}\n`;
            if (write) write(line);
            else lines.push(line);
          };
          for await (const f of scanFindings({ ...opts, onInventory: (r) => streamed.push(...r) }, summary)) emit(f);
          for (const f of await drift([...findings], streamed)) emit(f);
          if (output) writeOutput(output, lines.join(''), flags.output!);
        } else {
          ({ findings, summary, inventory } = await runScan(opts));
          const extra = await drift(findings, inventory);
          if (extra.length > 0) findings = [...findings, ...extra].sort(compareFindings);
        }
      } finally {
        progress.stop();
      }
      if (flags.format !== 'jsonl') {
        const report =
          flags.format === 'json'
            ? toJsonReport(findings, summary, base.mode === 'tree' || base.mode === 'staged' ? inventory : undefined)
            : flags.format === 'sarif'
              ? `${JSON.stringify(toSarif(findings, summary.root || base.root), null, 2)}\n`
              : toTable(
                  findings,
                  summary,
                  (flags.color ?? true) && io.stdoutIsTTY && !io.env.NO_COLOR && !flags.output,
                  terminalWidth(io),
                );
        if (output) writeOutput(output, report, flags.output!);
        else io.stdout(report);
      }
      if (flags.output || flags.format !== 'table') {
        io.stderr(
          `warden: ${findings.length} finding(s) in ${summary.files} files (${(summary.bytes / 1e6).toFixed(1)} MB)${flags.output ? `, report written to ${flags.output}` : ''}\n`,
        );
      }
      for (const w of summary.warnings ?? []) io.stderr(`warden: warning: ${w}\n`);
      const failing = findings.some((f) => severityRank(f.severity) >= severityRank(failOn));
      setExit(failing ? 1 : 0);
    });
}

/** `warden baseline`: writes the current findings as accepted, so later scans report only new ones. */
export function registerBaseline(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const cmd = program
    .command('baseline')
    .description('record current findings as accepted; later scans with --baseline report only new ones');
  addSourceOptions(cmd)
    .option('-o, --output <file>', 'baseline file to write', '.warden-baseline.json')
    .addHelpText(
      'after',
      `
Examples:
  $ warden baseline                      writes .warden-baseline.json for the current directory
  $ warden baseline --git -o baseline.json
  $ warden scan --baseline .warden-baseline.json

The baseline holds rule ids, paths and SHA-256 fingerprints, never a secret.`,
    )
    .action(async (path: string, flags: ScanFlags & { output: string }) => {
      const { createBaseline, runScan, writeBaseline } = await import('../scan/index.js');
      const base = await scanOptionsFrom(path, flags, io);
      const out = requireOutput(flags.output, io);
      const { findings } = await runScan(base);
      writeBaseline(out, createBaseline(findings));
      io.stderr(`warden: baseline of ${findings.length} finding(s) written to ${flags.output}\n`);
      setExit(0);
    });
}
