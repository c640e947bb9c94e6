import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';
import { packageRoot } from '../src/model/package-root.js';
import { fakeSecrets, tempDir } from './helpers.js';

/*
 * The GitHub Action and the pre-commit hook, run as their users would get them: the action's `run:`
 * steps executed with the environment GitHub gives them, from a copy of this repository as the action's
 * own checkout; the hook through Debian's `pre-commit` tool against a throwaway repository.
 */

const root = packageRoot();
const { dir, cleanup } = tempDir();
after(cleanup);

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  shell?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface Action {
  inputs: Record<string, { default?: string }>;
  runs: { using: string; steps: Step[] };
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    encoding: 'utf8',
  });

/** A fresh repository holding one staged or committed file with a synthetic leaked key. */
function leakyRepo(name: string): string {
  const repo = join(dir, name);
  mkdirSync(repo, { recursive: true });
  git(repo, 'init', '-q', '-b', 'main');
  const s = fakeSecrets(31);
  writeFileSync(join(repo, 'deploy.env'), `AWS_ACCESS_KEY_ID=${s.awsKeyId}\nAWS_SECRET_ACCESS_KEY=${s.awsSecret}\n`);
  writeFileSync(join(repo, 'README.md'), '# app\n');
  return repo;
}

/** Evaluates the `${{ … }}` expressions the action uses, as the runner would. */
function expand(
  text: string,
  ctx: { inputs: Record<string, string>; actionPath: string; outputs: Record<string, string> },
): string {
  return text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expr: string) => {
    if (expr === 'github.action_path') return ctx.actionPath;
    const input = /^inputs\.([\w-]+)$/.exec(expr);
    if (input) return ctx.inputs[input[1]!] ?? '';
    const out = /^steps\.scan\.outputs\.([\w-]+)$/.exec(expr);
    if (out) return ctx.outputs[out[1]!] ?? '';
    throw new Error(`expression the test does not know: ${expr}`);
  });
}

describe('action.yml', () => {
  const action = parse(readFileSync(join(root, 'action.yml'), 'utf8')) as Action;

  test('is a composite action: sets up Node, builds from its own checkout, scans, uploads SARIF; actions pinned', () => {
    assert.equal(action.runs.using, 'composite');
    const uses = action.runs.steps.flatMap((s) => (s.uses ? [s.uses] : []));
    assert.ok(uses.some((u) => u.startsWith('actions/setup-node@')));
    assert.ok(uses.some((u) => u.startsWith('github/codeql-action/upload-sarif@')));
    for (const u of uses) assert.match(u, /@[0-9a-f]{40}$/, `${u} is pinned to a commit`);
    // Inputs reach scripts through the environment, never interpolated into them (script injection).
    for (const s of action.runs.steps) if (s.run) assert.doesNotMatch(s.run, /\$\{\{/, s.name);
    assert.ok(action.runs.steps.some((s) => s.run?.includes('npm run build')));
  });

  test('the run steps, executed as GitHub runs them, build Warden, write SARIF and fail on the leak', () => {
    // The action's own checkout: a copy of this repository's sources, dependencies shared.
    const actionPath = join(dir, 'action-checkout');
    mkdirSync(actionPath, { recursive: true });
    for (const f of ['src', 'test', 'bench', 'rules', 'frameworks', 'docs', 'web', 'package.json', 'tsconfig.json', 'action.yml'])
      cpSync(join(root, f), join(actionPath, f), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(actionPath, 'node_modules'));
    const workspace = leakyRepo('workspace');
    const inputs = Object.fromEntries(Object.entries(action.inputs).map(([k, v]) => [k, v.default ?? '']));
    const run = (overrides: Record<string, string>) => {
      const ctx = { inputs: { ...inputs, ...overrides }, actionPath, outputs: {} as Record<string, string> };
      const log: Array<{ name: string; status: number | null; out: string }> = [];
      for (const step of action.runs.steps) {
        if (step.if) {
          const cond = step.if.replace(/^\$\{\{|\}\}$/g, '');
          // The conditions the action uses: always() && … == 'x' && … != ''.
          const holds = cond
            .split('&&')
            .map((c) => c.trim())
            .every((c) => {
              if (c === 'always()') return true;
              const m = /^(.*?)\s*(==|!=)\s*'(.*)'$/.exec(c);
              if (!m) throw new Error(`condition the test does not know: ${c}`);
              const left = expand(`\${{ ${m[1]} }}`, ctx);
              return m[2] === '==' ? left === m[3] : left !== m[3];
            });
          if (!holds) continue;
        }
        if (step.uses) {
          log.push({
            name: step.uses,
            status: 0,
            out: JSON.stringify(
              step.with ? Object.fromEntries(Object.entries(step.with).map(([k, v]) => [k, expand(String(v), ctx)])) : {},
            ),
          });
          continue;
        }
        const outputFile = join(dir, `github-output-${log.length}`);
        writeFileSync(outputFile, '');
        const env = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(String(v), ctx)]));
        // As the runner does for `shell: bash`: bash --noprofile --norc -eo pipefail {0}.
        const script = join(dir, `step-${log.length}.sh`);
        writeFileSync(script, step.run!);
        const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
          cwd: workspace,
          encoding: 'utf8',
          env: {
            PATH: process.env.PATH,
            HOME: process.env.HOME,
            CI: 'true',
            GITHUB_WORKSPACE: workspace,
            GITHUB_OUTPUT: outputFile,
            ...env,
          },
        });
        for (const line of readFileSync(outputFile, 'utf8').split('\n')) {
          const eq = line.indexOf('=');
          if (eq > 0) ctx.outputs[line.slice(0, eq)] = line.slice(eq + 1);
        }
        log.push({ name: step.name ?? '', status: r.status, out: r.stdout + r.stderr });
        if (r.status !== 0) break;
      }
      return { log, outputs: ctx.outputs };
    };

    const failing = run({});
    const byName = (n: string) => failing.log.find((l) => l.name.startsWith(n));
    assert.equal(byName('Build')?.status, 0, byName('Build')?.out);
    assert.ok(existsSync(join(actionPath, 'dist/src/cli/bin.js')), 'built from the action checkout');
    assert.equal(byName('Scan')?.status, 0, byName('Scan')?.out);
    assert.equal(failing.outputs['exit-code'], '1');
    assert.ok(Number(failing.outputs.findings) >= 1);
    const sarif = JSON.parse(readFileSync(join(workspace, 'warden.sarif'), 'utf8'));
    assert.equal(sarif.runs[0].tool.driver.name, 'Warden');
    const upload = byName('github/codeql-action/upload-sarif@');
    assert.ok(upload, 'the upload step ran');
    assert.equal(JSON.parse(upload.out).sarif_file, 'warden.sarif');
    assert.equal(byName('Fail on findings')?.status, 1, 'the job fails on a leaked key');

    const lenient = run({ 'fail-on': 'never', upload: 'false' });
    assert.equal(lenient.outputs['exit-code'], '0');
    assert.ok(!lenient.log.some((l) => l.name.startsWith('github/codeql-action')), 'upload: false skips the upload');
    assert.ok(!lenient.log.some((l) => l.name.startsWith('Fail')));
  });
});

describe('.pre-commit-hooks.yaml with the pre-commit tool', () => {
  const tool = spawnSync('pre-commit', ['--version'], { encoding: 'utf8' });
  const skip = tool.status === 0 ? false : 'the pre-commit tool is not installed (apt-get install pre-commit; .ci/run does)';

  test('the warden hook blocks a commit that stages a leaked key and lets a clean one through', { skip }, () => {
    // The hook repository, as pre-commit clones it: this repository's hook manifest at a commit.
    const hooks = join(dir, 'hooks-repo');
    mkdirSync(hooks, { recursive: true });
    git(hooks, 'init', '-q', '-b', 'main');
    cpSync(join(root, '.pre-commit-hooks.yaml'), join(hooks, '.pre-commit-hooks.yaml'));
    git(hooks, 'add', '.');
    git(hooks, 'commit', '-q', '-m', 'hooks');
    const rev = git(hooks, 'rev-parse', 'HEAD').trim();
    // `warden` on the PATH, as `npm link` puts it.
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'warden'), `#!/bin/sh\nexec node "${join(root, 'dist/src/cli/bin.js')}" "$@"\n`, { mode: 0o755 });

    const repo = leakyRepo('precommit-target');
    writeFileSync(
      join(repo, '.pre-commit-config.yaml'),
      `repos:\n  - repo: ${hooks}\n    rev: ${rev}\n    hooks:\n      - id: warden\n`,
    );
    const env = {
      ...process.env,
      PATH: `${bin}${delimiter}${process.env.PATH}`,
      PRE_COMMIT_HOME: join(dir, 'pre-commit-home'),
      CI: '1',
    };
    git(repo, 'add', 'README.md', '.pre-commit-config.yaml');
    const clean = spawnSync('pre-commit', ['run', 'warden'], { cwd: repo, env, encoding: 'utf8' });
    assert.equal(clean.status, 0, clean.stdout + clean.stderr);
    git(repo, 'add', 'deploy.env');
    const leak = spawnSync('pre-commit', ['run', 'warden'], { cwd: repo, env, encoding: 'utf8' });
    assert.equal(leak.status, 1, leak.stdout + leak.stderr);
    assert.match(leak.stdout, /deploy\.env/);
    assert.match(leak.stdout, /secret\.aws\.access-key-id/);
    // And as a real git hook: the commit is refused.
    spawnSync('pre-commit', ['install'], { cwd: repo, env, encoding: 'utf8' });
    const commit = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-m', 'leak'], {
      cwd: repo,
      env,
      encoding: 'utf8',
    });
    assert.notEqual(commit.status, 0, commit.stdout + commit.stderr);
  });
});
