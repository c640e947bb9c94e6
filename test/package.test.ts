import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { packageRoot } from '../src/model/package-root.js';
import { fakeSecrets, tempDir } from './helpers.js';

/*
 * The package as npm would publish it: packed into a tarball, unpacked, and used from a project that
 * imports 'warden' by name. Offline: the project's node_modules holds the unpacked package and links
 * to the dependencies it declares (nothing is fetched), so an import of an undeclared package fails.
 */

const root = packageRoot();
const { dir, cleanup } = tempDir();
after(cleanup);
const project = join(dir, 'project');
const pkgDir = join(project, 'node_modules', 'warden');
let files: string[] = [];

function walk(d: string, base = ''): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(d, e.name), `${base}${e.name}/`) : [`${base}${e.name}`],
  );
}

before(() => {
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', dir], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  ) as Array<{ filename: string }>;
  mkdirSync(pkgDir, { recursive: true });
  execFileSync('tar', ['xzf', join(dir, packed[0]!.filename), '-C', pkgDir, '--strip-components=1']);
  files = walk(pkgDir);
  // The dependencies the package declares, and nothing else, from the shared install.
  const deps = Object.keys(
    (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: object }).dependencies,
  );
  for (const dep of deps) {
    const link = join(project, 'node_modules', dep);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(root, 'node_modules', dep), link);
  }
  writeFileSync(join(project, 'package.json'), '{"name":"consumer","type":"module","private":true}\n');
});

describe('the published package', () => {
  test('holds the runtime only: no tests, test helpers or samples; declarations, rules and frameworks', () => {
    assert.ok(files.length > 100);
    const leaked = files.filter((f) =>
      /\.test\.|(^|\/)testing\.|\.samples\.|fast-path-agreement|^dist\/test\/|^dist\/bench\//.test(f),
    );
    assert.deepEqual(leaked, []);
    for (const f of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/bin.js', 'package.json', 'action.yml'])
      assert.ok(files.includes(f), f);
    assert.ok(files.some((f) => f.startsWith('rules/secrets/')));
    assert.ok(files.some((f) => f.startsWith('frameworks/')));
  });

  test('carries the native keyword prefilter as source, and its build step builds it where Hyperscan is', () => {
    for (const f of ['native/keywords/binding.gyp', 'native/keywords/keywords.c', 'scripts/build-native.mjs'])
      assert.ok(files.includes(f), f);
    assert.deepEqual(
      files.filter((f) => f.startsWith('native/keywords/build/')),
      [],
      'no build output is packed',
    );
    // What the package's postinstall runs; it never fails, and says in one line what it did.
    const r = spawnSync(process.execPath, ['scripts/build-native.mjs'], {
      cwd: pkgDir,
      encoding: 'utf8',
      env: { ...process.env, WARDEN_NATIVE: '' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^warden: native keyword prefilter (built \(Hyperscan\)|not built \(.*\); using JavaScript)\n$/);
    const canBuild = process.platform === 'linux' && process.arch === 'x64' && existsSync('/usr/include/hs/hs.h');
    assert.equal(existsSync(join(pkgDir, 'native/keywords/build/Release/warden_keywords.node')), canBuild, r.stdout);
  });

  test("import { runScan } from 'warden' works from the unpacked tarball, and deep imports are closed", () => {
    const tree = join(project, 'tree');
    mkdirSync(tree, { recursive: true });
    writeFileSync(join(tree, 'x.env'), `token=${fakeSecrets(41).githubPat}\n`);
    const script = `
      import { runScan, parseConfig } from 'warden';
      const { findings } = await runScan({ root: ${JSON.stringify(tree)}, mode: 'tree', config: parseConfig({}), threads: 1 });
      let deep = 'open';
      try { await import('warden/dist/src/cli/index.js'); } catch (e) { deep = e.code; }
      console.log(JSON.stringify({ rules: findings.map((f) => f.ruleId), deep }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: project, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { rules: string[]; deep: string };
    assert.deepEqual(out.rules, ['secret.github.classic-pat']);
    assert.equal(out.deep, 'ERR_PACKAGE_PATH_NOT_EXPORTED');
    const cli = spawnSync(process.execPath, [join(pkgDir, 'dist/src/cli/bin.js'), 'rules', 'list', '--format', 'json'], {
      cwd: project,
      encoding: 'utf8',
    });
    assert.equal(cli.status, 0, cli.stderr);
    assert.ok((JSON.parse(cli.stdout) as unknown[]).length > 100);
  });

  test('TypeScript finds the types through package.json', () => {
    writeFileSync(
      join(project, 'consumer.ts'),
      "import { runScan, type Finding, type ScanOptions } from 'warden';\nexport async function f(o: ScanOptions): Promise<Finding[]> {\n  return (await runScan(o)).findings;\n}\n",
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2023',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [join(root, 'node_modules/@types')],
        },
        files: ['consumer.ts'],
      }),
    );
    const r = spawnSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(project, 'tsconfig.json')], {
      cwd: project,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  test('.ci/run fails when npm install rewrites the lock', () => {
    const ci = readFileSync(join(root, '.ci/run'), 'utf8');
    const install = ci.indexOf('npm install');
    const check = ci.indexOf('git diff --exit-code --stat -- package-lock.json');
    assert.ok(install > 0 && check > install, 'the lock is checked right after the install');
  });
});
