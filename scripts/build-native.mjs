#!/usr/bin/env node
// Builds the optional native keyword prefilter (native/keywords: Hyperscan through N-API) when the
// machine can: Linux on x86-64 with Hyperscan's header (Debian: libhyperscan-dev). Otherwise, or when
// the build fails, it prints one line and Warden uses its JavaScript matcher. Never fails the install.
// Runs as the package's postinstall and as `npm run build:native`; WARDEN_NATIVE=0 skips it.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dir = join(root, 'native', 'keywords');
const say = (msg) => console.log(`warden: native keyword prefilter ${msg}`);

function main() {
  if (process.env.WARDEN_NATIVE === '0') return say('not built (WARDEN_NATIVE=0)');
  if (process.platform !== 'linux' || process.arch !== 'x64')
    return say(`not built (Hyperscan: Linux x86-64 only); using JavaScript`);
  if (!existsSync(join(dir, 'binding.gyp'))) return say('not built (no sources); using JavaScript');
  const header = ['/usr/include/hs/hs.h', '/usr/local/include/hs/hs.h'].find((h) => existsSync(h));
  if (header === undefined) return say('not built (no Hyperscan header: apt-get install libhyperscan-dev); using JavaScript');

  // npm's own node-gyp: npm names it in lifecycle scripts, else it sits next to npm.
  const gyp = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ].find((p) => p !== undefined && p !== '' && existsSync(p));
  if (gyp === undefined) return say('not built (node-gyp not found); using JavaScript');

  const args = [gyp, 'rebuild'];
  // Build against the installed Node's headers rather than downloading them, when they are there.
  const prefix = dirname(dirname(process.execPath));
  if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h')))
    args.push(`--nodedir=${prefix}`);
  const run = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', timeout: 300_000 });
  const built = join(dir, 'build', 'Release', 'warden_keywords.node');
  if (run.status === 0 && existsSync(built)) return say('built (Hyperscan)');
  // A half-built tree must not be loaded.
  rmSync(join(dir, 'build'), { recursive: true, force: true });
  const lastError = `${run.stderr ?? ''}${run.error?.message ?? ''}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /error/i.test(l))
    .at(0)
    ?.slice(0, 200);
  return say(`not built (${lastError ?? `node-gyp exited ${run.status}`}); using JavaScript`);
}

try {
  main();
} catch (e) {
  say(`not built (${e instanceof Error ? e.message : String(e)}); using JavaScript`);
}
process.exit(0);
