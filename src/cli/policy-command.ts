import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { loadConfig } from '../model/config.js';
import { WardenError } from '../model/errors.js';
import type { IdentityEvent } from '../model/identity-event.js';
import { DEFAULT_POLICY_FILE, loadManifest, type Manifest, parseManifest } from '../policy/index.js';
import { termSafe } from '../report/terminal.js';
import type { CliIO } from './io.js';

/**
 * The manifest a command should use: `--policy FILE` (which must exist), else `./warden.policy.yaml`
 * when present and `autoPickUp`, else none.
 */
export function policyFlag(io: CliIO, explicit: string | undefined, autoPickUp: boolean): Manifest | undefined {
  if (explicit !== undefined) return loadManifest(resolve(io.cwd, explicit), io.cwd);
  const auto = resolve(io.cwd, DEFAULT_POLICY_FILE);
  return autoPickUp && existsSync(auto) ? loadManifest(auto, io.cwd) : undefined;
}

/** The manifest `warden scan` checks drift against: `--policy`, else warden.policy.yaml in the working directory or the scanned root. */
export function scanPolicy(io: CliIO, explicit: string | undefined, root: string): Manifest | undefined {
  const found = policyFlag(io, explicit, true);
  if (found || explicit !== undefined) return found;
  const atRoot = resolve(root, DEFAULT_POLICY_FILE);
  return existsSync(atRoot) ? loadManifest(atRoot, io.cwd) : undefined;
}

/**
 * `owner/repo` of a working tree's `origin` remote (GitHub-style URLs), so workflow identities
 * (`github-actions:repo:.`) meet the OIDC subjects the manifest lists; undefined outside a repository.
 */
export function repositoryOf(root: string): string | undefined {
  try {
    const url = execFileSync('git', ['-C', root, 'remote', 'get-url', 'origin'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    }).trim();
    // Only a hosted remote (https://host/owner/repo, git@host:owner/repo, ssh://…) names a repository; a
    // clone of a local folder (CI's checkout of a path, a file:// URL) says nothing about the workflow's repo.
    if (!/^(?:https?:\/\/|ssh:\/\/|git:\/\/|[\w.-]+@[\w.-]+:)/.test(url)) return undefined;
    const m = /[:/]([^/:]+\/[^/]+?)(?:\.git)?\/?$/.exec(url);
    return m?.[1];
  } catch {
    return undefined;
  }
}

/** Prints a manifest's problems (file:line: what and how to fix), terminal-safe. */
export function printPolicyProblems(io: CliIO, err: WardenError): void {
  io.stderr(`warden: ${termSafe(err.message, 400)}\n`);
  for (const i of err.issues) io.stderr(`  ${termSafe(i.path, 300)}: ${termSafe(i.message, 600)}\n`);
}

/** `warden policy …`: validate, explain, init and suggest over the identity manifest. */
export function registerPolicy(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const policy = program
    .command('policy')
    .description('the identity manifest (warden.policy.yaml): validate, explain, draft and tighten it');
  policy
    .command('validate')
    .description('check a manifest (file or folder): every problem as file:line with its fix; exit 2 when invalid')
    .argument('[path]', 'manifest file or folder', DEFAULT_POLICY_FILE)
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', '\nExamples:\n  $ warden policy validate\n  $ warden policy validate policies/ --format json')
    .action((path: string, flags: { format: 'text' | 'json' }) => {
      let manifest: Manifest;
      try {
        manifest = loadManifest(resolve(io.cwd, path), io.cwd);
      } catch (err) {
        if (!(err instanceof WardenError) || err.code !== 'WARDEN_POLICY_INVALID') throw err;
        if (flags.format === 'json') io.stdout(`${JSON.stringify({ valid: false, problems: err.issues }, null, 2)}\n`);
        printPolicyProblems(io, err);
        setExit(2);
        return;
      }
      if (flags.format === 'json') {
        io.stdout(
          `${JSON.stringify({ valid: true, files: manifest.files, identities: manifest.identities.length, trust: manifest.trust.length }, null, 2)}\n`,
        );
      } else {
        io.stdout(
          `${termSafe(path)}: valid (${manifest.identities.length} identities, ${manifest.trust.length} trust entries, ${manifest.files.length} file${manifest.files.length === 1 ? '' : 's'})\n`,
        );
      }
      setExit(0);
    });

  policy
    .command('explain')
    .description('what a declared identity may do, where its credentials are, and how it was last used')
    .argument('<name>', 'the Warden name, or any name its match lists')
    .option('--policy <file>', 'manifest file or folder (default: ./warden.policy.yaml)')
    .option('--scan <report>', 'a warden scan JSON report: credentials declared or leaked in code and IaC')
    .option('--store <path|url>', 'identity graph store (default: WARDEN_DATABASE_URL, else .warden/warden.db when present)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      '\nExamples:\n  $ warden policy explain ci-deployer\n  $ warden policy explain arn:aws:iam::123456789012:role/ci-deployer --scan scan.json --format json',
    )
    .action(async (name: string, flags: { policy?: string; scan?: string; store?: string; format: 'text' | 'json' }) => {
      const manifest = policyFlag(io, flags.policy ?? DEFAULT_POLICY_FILE, false)!;
      const { explainIdentity, explanationText } = await import('./policy-explain.js');
      const e = await explainIdentity(io, manifest, name, { scan: flags.scan, store: flags.store });
      io.stdout(flags.format === 'json' ? `${JSON.stringify(e, null, 2)}\n` : explanationText(e));
      setExit(0);
    });

  policy
    .command('init')
    .description('draft a manifest from a scan report and logs: least privilege from what each identity actually did')
    .option('--scan <report>', 'a warden scan JSON (or SARIF) report: owners and identities declared in code and IaC')
    .option('--logs <files...>', 'log files or folders to learn from (any format warden detect reads)')
    .option('--config <file>', 'config file whose detect.windows are carried over')
    .option('-o, --output <file>', 'write the draft here instead of standard output')
    .option('--force', 'overwrite the output file')
    .addHelpText(
      'after',
      '\nExamples:\n  $ warden scan --format json -o scan.json && warden policy init --scan scan.json --logs cloudtrail/ vault_audit.log -o warden.policy.yaml\n\nThe draft validates and, fed back to warden detect --policy, raises nothing on the logs it was drawn from. Review it: owners the scan does not name are written as "unassigned".',
    )
    .action(async (flags: { scan?: string; logs?: string[]; config?: string; output?: string; force?: boolean }) => {
      if (!flags.scan && !flags.logs?.length)
        throw new WardenError('WARDEN_USAGE', 'give --scan REPORT and/or --logs FILES to draft from');
      const { draftManifest } = await import('../policy/draft.js');
      const { observe } = await import('../policy/observe.js');
      const report = flags.scan ? await readReport(io, flags.scan) : undefined;
      const events = flags.logs?.length ? await readEvents(io, flags.logs) : [];
      const config = loadConfig(io.cwd, flags.config);
      const text = draftManifest({
        observations: observe(events),
        inventory: report?.inventory,
        legacyWindows: config.detect.windows,
      });
      // The draft must load: a bug here must never hand the user a manifest that fails validation.
      const check = parseManifest(text, flags.output ?? DEFAULT_POLICY_FILE);
      if (!check.ok)
        throw new WardenError(
          'WARDEN_POLICY_INVALID',
          'the draft manifest does not validate (a bug: please report it)',
          check.issues,
        );
      writeOut(io, flags.output, text, flags.force);
      io.stderr(
        `warden: drafted ${check.value.identities.length} identities from ${events.length} events${report ? ` and ${report.inventory.length} declared relations` : ''}\n`,
      );
      setExit(0);
    });

  policy
    .command('suggest')
    .description('propose a tighter manifest from what run time saw: a unified diff (or SARIF) for review, never applied')
    .argument('[path]', 'manifest file or folder', DEFAULT_POLICY_FILE)
    .requiredOption('--logs <files...>', 'log files or folders observed since the manifest was written')
    .option('--scan <report>', 'a warden scan report: leaked credentials mark their identity longLived: false')
    .option('--days <n>', 'only what was used in the last N days (counted back from the newest event)', '30')
    .addOption(
      new Option(
        '-f, --format <format>',
        'diff (unified, for review), sarif (results against the manifest), json, or yaml (the proposed manifest, one-file manifests)',
      )
        .choices(['diff', 'sarif', 'json', 'yaml'])
        .default('diff'),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ warden policy suggest --logs cloudtrail/ --days 30 > tighten.patch && git apply tighten.patch\n  $ warden policy suggest --logs logs/ --format yaml -o proposed.policy.yaml\n  $ warden policy suggest --logs logs/ --scan scan.json --format sarif -o policy.sarif\n\nExit codes: 0 nothing to suggest, 1 suggestions printed, 2 error. Nothing is written to the manifest.',
    )
    .option('-o, --output <file>', 'write the diff or SARIF here instead of standard output')
    .action(
      async (
        path: string,
        flags: { logs: string[]; scan?: string; days: string; format: 'diff' | 'sarif' | 'json' | 'yaml'; output?: string },
      ) => {
        const days = Number(flags.days);
        if (!Number.isFinite(days) || days <= 0)
          throw new WardenError('WARDEN_USAGE', `--days takes a positive number, not "${flags.days}"`);
        const { observe } = await import('../policy/observe.js');
        const { suggestChanges, unifiedDiff } = await import('../policy/suggest.js');
        const manifestPath = resolve(io.cwd, path);
        const manifest = loadManifest(manifestPath, io.cwd);
        const report = flags.scan ? await readReport(io, flags.scan) : undefined;
        const events = await readEvents(io, flags.logs);
        const newest = events.reduce((m, e) => Math.max(m, Date.parse(e.time) || 0), 0);
        const observations = observe(events, newest - days * 86_400_000);
        const texts = new Map(manifest.files.map((f) => [f, readFileSync(resolve(io.cwd, f), 'utf8')]));
        const leakedKeys = new Set(
          (report?.findings ?? []).flatMap((f) => (f.kind === 'secret' && f.credentialKey ? [f.credentialKey.value] : [])),
        );
        const { suggestions, patched } = suggestChanges({ manifest, texts, observations, leakedKeys });
        let out: string;
        if (flags.format === 'json') out = `${JSON.stringify({ suggestions }, null, 2)}\n`;
        else if (flags.format === 'yaml') {
          if (manifest.files.length !== 1)
            throw new WardenError('WARDEN_USAGE', '--format yaml needs a one-file manifest; use the diff for a folder');
          const file = manifest.files[0]!;
          out = patched.get(file) ?? texts.get(file)!;
        } else if (flags.format === 'sarif') {
          const { suggestionFindings } = await import('../policy/suggest-findings.js');
          const { toSarif } = await import('../report/sarif.js');
          out = `${JSON.stringify(toSarif(suggestionFindings(suggestions), io.cwd), null, 2)}\n`;
        } else {
          out = [...patched].map(([file, text]) => unifiedDiff(texts.get(file)!, text, `a/${file}`, `b/${file}`)).join('');
        }
        writeOut(io, flags.output, out, true);
        io.stderr(
          `warden: ${suggestions.length} suggestion(s) for ${manifest.identities.length} identities from ${events.length} events (last ${days} days); nothing was changed\n`,
        );
        setExit(suggestions.length > 0 ? 1 : 0);
      },
    );
}

function writeOut(io: CliIO, output: string | undefined, text: string, force = false): void {
  if (output === undefined) {
    io.stdout(text);
    return;
  }
  const target = resolve(io.cwd, output);
  if (!force && existsSync(target))
    throw new WardenError('WARDEN_USAGE', `${output} exists: choose another --output or add --force`);
  writeFileSync(target, text);
}

async function readReport(io: CliIO, path: string) {
  const { readScanReport } = await import('../report/read.js');
  const file = resolve(io.cwd, path);
  if (!existsSync(file)) throw new WardenError('WARDEN_SOURCE_UNREADABLE', `scan report not found: ${path}`);
  try {
    return readScanReport(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new WardenError('WARDEN_INPUT_INVALID', `${path} is not a warden scan report: ${(err as Error).message}`);
  }
}

/** Every identity event of the given log files (folders expanded), in no particular order. */
async function readEvents(io: CliIO, paths: readonly string[]): Promise<IdentityEvent[]> {
  const { emptyTelemetryStats, expandInputs, groupFilesBySource, normalizeRecords, recordsOfFiles } = await import(
    '../telemetry/normalize.js'
  );
  for (const p of paths)
    if (p !== '-' && !existsSync(resolve(io.cwd, p)))
      throw new WardenError('WARDEN_SOURCE_UNREADABLE', `log file not found: ${p}`);
  const files = expandInputs(paths.map((f) => (f === '-' ? f : resolve(io.cwd, f))));
  const stats = emptyTelemetryStats();
  const events: IdentityEvent[] = [];
  for (const group of await groupFilesBySource(files)) {
    for await (const e of normalizeRecords(recordsOfFiles(group, io.stdin), {}, stats)) events.push(e);
  }
  return events;
}
