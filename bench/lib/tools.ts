import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A tool ready to run, or why it is not. */
export type Availability<T> = { ok: true; value: T } | { ok: false; reason: string };

function firstLine(s: string | Buffer | null | undefined): string {
  return (s?.toString() ?? '').trim().split('\n').filter(Boolean).pop() ?? '';
}

function version(cmd: string, args: readonly string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split('\n')[0] : undefined;
}

/**
 * ripgrep from PATH; when missing, one `apt-get install -y ripgrep` (Debian's package), refreshing the
 * package lists once if apt does not know it yet.
 */
export function ensureRipgrep(log: (s: string) => void): Availability<{ bin: string; version: string }> {
  let v = version('rg', ['--version']);
  if (v === undefined) {
    log('rg not found: trying apt-get install -y ripgrep');
    const install = (): ReturnType<typeof spawnSync> =>
      spawnSync('apt-get', ['install', '-y', '-qq', 'ripgrep'], {
        encoding: 'utf8',
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    let r = install();
    if (r.status !== 0 && /Unable to locate/i.test(String(r.stderr))) {
      spawnSync('apt-get', ['update', '-qq'], { encoding: 'utf8' });
      r = install();
    }
    if (r.error || r.status !== 0)
      return { ok: false, reason: `rg missing and apt-get install ripgrep failed: ${r.error?.message ?? firstLine(r.stderr)}` };
    v = version('rg', ['--version']);
    if (v === undefined) return { ok: false, reason: 'rg still not on PATH after apt-get install ripgrep' };
  }
  return { ok: true, value: { bin: 'rg', version: v } };
}

export interface Secretlint {
  /** The Node 22 binary secretlint 13 needs (Warden's machines run Node 20). */
  node: string;
  script: string;
  rcFile: string;
  version: string;
  nodeVersion: string;
}

/**
 * secretlint 13 and a Node 22 binary (the `node` npm package ships one) in `toolsDir`, installed with
 * npm on first use. The recommended preset is the configuration its README starts users with.
 */
export function ensureSecretlint(toolsDir: string, log: (s: string) => void): Availability<Secretlint> {
  const node = join(toolsDir, 'node_modules', 'node', 'bin', 'node');
  const script = join(toolsDir, 'node_modules', 'secretlint', 'bin', 'secretlint.js');
  const preset = join(toolsDir, 'node_modules', '@secretlint', 'secretlint-rule-preset-recommend', 'package.json');
  if (!existsSync(node) || !existsSync(script) || !existsSync(preset)) {
    log(`installing node@22 and secretlint@13 into ${toolsDir}`);
    mkdirSync(toolsDir, { recursive: true });
    // npm_* variables from an enclosing `npm run` would point this install at Warden's own package.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
    const r = spawnSync(
      'npm',
      [
        'install',
        '--prefix',
        toolsDir,
        '--no-audit',
        '--no-fund',
        'node@22',
        'secretlint@13',
        '@secretlint/secretlint-rule-preset-recommend@13',
      ],
      { encoding: 'utf8', env },
    );
    if (r.error || r.status !== 0)
      return { ok: false, reason: `npm install of secretlint failed: ${r.error?.message ?? firstLine(r.stderr)}` };
  }
  const nodeVersion = version(node, ['--version']);
  if (nodeVersion === undefined || !nodeVersion.startsWith('v22.')) {
    return {
      ok: false,
      reason: `the node@22 package did not provide a working Node 22 binary (${nodeVersion ?? 'does not run'})`,
    };
  }
  const slVersion = version(node, [script, '--version']);
  if (slVersion === undefined) return { ok: false, reason: 'secretlint does not start' };
  const rcFile = join(toolsDir, '.secretlintrc.json');
  writeFileSync(rcFile, `${JSON.stringify({ rules: [{ id: '@secretlint/secretlint-rule-preset-recommend' }] }, null, 2)}\n`);
  return { ok: true, value: { node, script, rcFile, version: slVersion, nodeVersion } };
}
