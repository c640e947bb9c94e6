import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { packageRoot } from '../src/model/package-root.js';
import { cli, tempDir } from './helpers.js';

const { dir, cleanup } = tempDir('warden-policy-cli-');
after(cleanup);

describe('warden policy validate', () => {
  test('a valid manifest: exit 0 and a summary; ./warden.policy.yaml by default', async () => {
    copyFileSync(join(packageRoot(), 'test', 'fixtures', 'policy', 'contract.yaml'), join(dir, 'warden.policy.yaml'));
    const r = await cli(['policy', 'validate'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /valid \(1 identities, 1 trust entries, 1 file\)/);
    const j = await cli(['policy', 'validate', 'warden.policy.yaml', '--format', 'json'], { cwd: dir });
    assert.deepEqual(JSON.parse(j.stdout), { valid: true, files: ['warden.policy.yaml'], identities: 1, trust: 1 });
  });

  test('an invalid one: exit 2, every problem as file:line with the fix, nothing loaded', async () => {
    writeFileSync(
      join(dir, 'bad.yaml'),
      'version: 1\nidentities:\n  ci:\n    owner: t\n    alow: []\n    sources: { networks: ["10.0.0.0/33"] }\n',
    );
    const r = await cli(['policy', 'validate', 'bad.yaml'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.yaml:5: identities\.ci\.alow: unknown key "alow": did you mean "allow"\?/);
    assert.match(r.stderr, /bad\.yaml:6: identities\.ci\.sources\.networks\[0\]: prefix length must be 0–32/);
    const j = await cli(['policy', 'validate', 'bad.yaml', '--format', 'json'], { cwd: dir });
    assert.equal(JSON.parse(j.stdout).valid, false);
    assert.equal(JSON.parse(j.stdout).problems.length, 2);
  });

  test('a missing manifest is exit 2 naming it', async () => {
    const r = await cli(['policy', 'validate', 'nope.yaml'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /nope\.yaml/);
  });
});
