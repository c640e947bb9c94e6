import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { WardenError } from '../model/errors.js';
import { DEFAULT_POLICY_FILE, loadManifest, type Manifest } from '../policy/index.js';
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
}
