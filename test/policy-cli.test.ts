import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
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

describe('warden scan --policy: build-time drift', () => {
  const estate = join(packageRoot(), 'test', 'fixtures', 'policy', 'estate');
  const policy = join(packageRoot(), 'test', 'fixtures', 'policy', 'estate.policy.yaml');
  type Row = { ruleId: string; path: string; line: number; message: string; frameworks: string[] };
  const drift = (rows: Row[]) =>
    rows
      .filter((f) => f.ruleId.startsWith('policy.drift.'))
      .map((f) => `${f.ruleId} ${f.path}:${f.line}`)
      .sort();

  test('grants beyond allow, static credentials, lifetimes and undeclared identities, each at its IaC line citing the manifest', async () => {
    const r = await cli(['scan', estate, '--policy', policy, '--format', 'json'], { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    const findings = JSON.parse(r.stdout).findings as Row[];
    assert.deepEqual(drift(findings), [
      'policy.drift.grant-beyond-allow infra/main.tf:17',
      'policy.drift.grant-beyond-allow k8s/rbac.yaml:14',
      'policy.drift.grant-beyond-allow k8s/rbac.yaml:14',
      'policy.drift.grant-beyond-allow vault/app.hcl:4',
      'policy.drift.lifetime-over-max infra/main.tf:7',
      'policy.drift.static-credential .github/workflows/deploy.yml:10',
      'policy.drift.static-credential k8s/token.yaml:8',
      'policy.drift.undeclared-identity infra/main.tf:27',
      'policy.drift.undeclared-identity k8s/deploy.yaml:9',
    ]);
    const grant = findings.find((f) => f.ruleId === 'policy.drift.grant-beyond-allow' && f.path === 'infra/main.tf')!;
    assert.match(grant.message, /ci-deployer is granted iam:\* on \*.*estate\.policy\.yaml:9\)/);
    assert.ok(grant.frameworks.includes('owasp-nhi/NHI5:2025'));
    const lifetime = findings.find((f) => f.ruleId === 'policy.drift.lifetime-over-max')!;
    assert.match(lifetime.message, /lives 12h, over its maxLifetime 1h/);
  });

  test('the same drift in SARIF and JSON lines', async () => {
    const sarif = await cli(['scan', estate, '--policy', policy, '--format', 'sarif'], { cwd: dir });
    const run = JSON.parse(sarif.stdout).runs[0] as {
      results: Array<{
        ruleId: string;
        locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }>;
      }>;
      tool: { driver: { rules: Array<{ id: string }> } };
    };
    const results = run.results
      .filter((x) => x.ruleId.startsWith('policy.drift.'))
      .map(
        (x) =>
          `${x.ruleId} ${x.locations[0]!.physicalLocation.artifactLocation.uri}:${x.locations[0]!.physicalLocation.region.startLine}`,
      );
    assert.equal(results.length, 9);
    assert.ok(run.tool.driver.rules.some((x) => x.id === 'policy.drift.static-credential'));
    const jsonl = await cli(['scan', estate, '--policy', policy, '--format', 'jsonl'], { cwd: dir });
    assert.equal(
      drift(
        jsonl.stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Row),
      ).length,
      9,
    );
  });

  test('./warden.policy.yaml is picked up; a broken one stops the scan with exit 2 before anything is scanned', async () => {
    const work = join(dir, 'pickup');
    mkdirSync(work);
    copyFileSync(policy, join(work, 'warden.policy.yaml'));
    const picked = await cli(['scan', estate, '--format', 'json'], { cwd: work });
    assert.equal(drift(JSON.parse(picked.stdout).findings).length, 9);
    writeFileSync(
      join(work, 'warden.policy.yaml'),
      'version: 1\nidentities:\n  x:\n    owner: a\n    allow: [{ actions: ["s3:GetObject"], resouces: ["*"] }]\n',
    );
    const broken = await cli(['scan', estate, '--format', 'json'], { cwd: work });
    assert.equal(broken.code, 2);
    assert.equal(broken.stdout, '');
    assert.match(broken.stderr, /warden\.policy\.yaml:5: .*unknown key "resouces": did you mean "resources"\?/);
    // Without a manifest, no drift.
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const none = await cli(['scan', estate, '--format', 'json'], { cwd: empty });
    assert.equal(drift(JSON.parse(none.stdout).findings).length, 0);
  });
});
