import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { WardenError } from '../model/errors.js';
import { packageRoot } from '../model/package-root.js';
import { loadManifest, parseManifest } from './load.js';
import { resolveIdentity } from './resolve.js';

/** An AWS key id shape, assembled at run time so the repository holds none. */
const KEY_ID = ['AK', 'IA', 'EXAMPLEKEYID0001'].join('');

/** The manifest of CONTRACTS.md §2, verbatim. */
const CONTRACT_EXAMPLE = readFileSync(join(packageRoot(), 'test', 'fixtures', 'policy', 'contract.yaml'), 'utf8');

function problems(text: string): Array<{ path: string; message: string }> {
  const r = parseManifest(text, 'p.yaml');
  assert.equal(r.ok, false, 'expected the manifest to be refused');
  return r.ok ? [] : r.issues;
}

describe('loading the manifest', () => {
  test('the contract example loads, with lines and policy ids', () => {
    const r = parseManifest(CONTRACT_EXAMPLE, 'warden.policy.yaml');
    assert.ok(r.ok);
    const m = r.value;
    const id = m.identities[0]!;
    assert.equal(id.name, 'ci-deployer');
    assert.equal(id.at.line, 3);
    assert.equal(id.allow![1]!.id, 'ci-deployer/allow/1');
    assert.equal(id.allow![1]!.at.line, 13);
    assert.equal(id.windows![0]!.timezone, 'Europe/Berlin');
    assert.equal(id.credentials!.maxLifetimeSeconds, 3600);
    assert.equal(id.credentials!.longLived, false);
    assert.equal(m.trust[0]!.identity, 'ci-deployer');
    assert.ok(Object.isFrozen(id.allow), 'a loaded manifest is frozen');
  });

  test('a typo in a key names the file, line and the key meant', () => {
    const p = problems('version: 1\nidentities:\n  a:\n    owner: t\n    alow:\n      - actions: ["s3:GetObject"]\n');
    assert.equal(p.length, 1);
    assert.equal(p[0]!.path, 'p.yaml:5');
    assert.match(p[0]!.message, /unknown key "alow".*did you mean "allow"/);
  });

  test('unknown top-level keys and a missing version are errors', () => {
    const p = problems('identites:\n  a:\n    owner: t\n');
    assert.ok(p.some((i) => /did you mean "identities"/.test(i.message)));
    assert.ok(p.some((i) => /version: 1/.test(i.message)));
  });

  test('bad CIDR, glob, action, day, zone, duration: each at its line with a fix', () => {
    const p = problems(`version: 1
identities:
  a:
    owner: t
    allow:
      - actions: ["s3GetObject"]
        resources: ["arn:aws:s3:::b/[x]"]
    sources:
      networks: ["203.0.113.9/24"]
    windows:
      - days: [mon, tsu]
        from: "08:00"
        to: "10:00"
      - days: [sat]
        from: "08:00"
        to: "10:00"
        timezone: Mars/Olympus
    credentials: { maxLifetime: 1hour }
`);
    const at = (line: number, re: RegExp) =>
      assert.ok(
        p.some((i) => i.path === `p.yaml:${line}` && re.test(i.message)),
        `line ${line} ${re}`,
      );
    at(6, /service:action/);
    at(7, /character classes/);
    at(9, /did you mean 203\.0\.113\.0\/24/);
    at(11, /did you mean "thu"/);
    at(17, /IANA zone/);
    at(18, /not a duration/);
  });

  test('impossible and overlapping windows', () => {
    const empty = problems(
      'version: 1\nidentities:\n  a:\n    owner: t\n    windows:\n      - { days: [mon], from: "09:00", to: "09:00" }\n',
    );
    assert.match(empty[0]!.message, /empty window/);
    const backwards = problems(
      'version: 1\nidentities:\n  a:\n    owner: t\n    windows:\n      - { days: [mon], from: "18:00", to: "08:00" }\n',
    );
    assert.match(backwards[0]!.message, /ends after it starts.*two windows/);
    const hour = problems(
      'version: 1\nidentities:\n  a:\n    owner: t\n    windows:\n      - { days: [mon], from: "25:00", to: "26:00" }\n',
    );
    assert.match(hour[0]!.message, /HH:MM/);
    const overlap = problems(
      'version: 1\nidentities:\n  a:\n    owner: t\n    windows:\n      - { days: [mon], from: "09:00", to: "12:00" }\n      - { days: [mon, tue], from: "11:00", to: "13:00" }\n',
    );
    assert.equal(overlap[0]!.path, 'p.yaml:7');
    assert.match(overlap[0]!.message, /overlaps window 0 \(both cover mon 11:00\)/);
  });

  test('one match name claimed by two identities is refused, naming both', () => {
    const p = problems(
      'version: 1\nidentities:\n  a:\n    owner: t\n    match: [x, shared]\n  b:\n    owner: t\n    match: [shared]\n',
    );
    assert.equal(p.length, 1);
    assert.equal(p[0]!.path, 'p.yaml:8');
    assert.match(p[0]!.message, /"shared" is also claimed by identity "a" \(p\.yaml:3\)/);
  });

  test('trust must name a declared identity and use https', () => {
    const p = problems(
      'version: 1\nidentities:\n  deployer:\n    owner: t\ntrust:\n  - { issuer: "http://issuer.example", audience: w, subject: "repo:*", identity: deployer }\n',
    );
    assert.match(p[0]!.message, /https/);
    const q = problems(
      'version: 1\nidentities:\n  deployer:\n    owner: t\ntrust:\n  - { issuer: "http://127.0.0.1:8080", audience: w, subject: "repo:*", identity: deploer }\n',
    );
    assert.match(q[0]!.message, /did you mean "deployer"/);
  });

  test('not YAML, or not a mapping', () => {
    assert.match(problems('version: 1\nidentities: [\n')[0]!.message, /not valid YAML/);
    assert.match(problems('- a\n- b\n')[0]!.message, /mapping/);
    assert.match(problems('version: 1\nversion: 1\n')[0]!.message, /each key once/);
  });

  test('a folder loads as one manifest; duplicates across files are refused with both places', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-policy-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'teams'));
    writeFileSync(join(dir, 'a.yaml'), 'version: 1\nidentities:\n  a:\n    owner: t\n    match: [x]\n');
    writeFileSync(join(dir, 'teams', 'b.yml'), 'version: 1\nidentities:\n  b:\n    owner: u\n    match: [y]\n');
    const m = loadManifest(dir, dir);
    assert.deepEqual(
      m.identities.map((i) => `${i.name}@${i.at.file}:${i.at.line}`),
      ['a@a.yaml:3', 'b@teams/b.yml:3'],
    );
    writeFileSync(join(dir, 'teams', 'c.yaml'), 'version: 1\nidentities:\n  a:\n    owner: v\n');
    assert.throws(
      () => loadManifest(dir, dir),
      (err: unknown) =>
        err instanceof WardenError &&
        err.code === 'WARDEN_POLICY_INVALID' &&
        err.issues.some((i) => i.path === 'teams/c.yaml:3' && /declared twice \(also at a\.yaml:3\)/.test(i.message)),
    );
  });

  test('a missing path is an error naming it', () => {
    assert.throws(() => loadManifest('/nonexistent/warden.policy.yaml'), /not found: \/nonexistent\/warden\.policy\.yaml/);
  });
});

describe('resolving names', () => {
  const r = parseManifest(
    `version: 1
identities:
  ci-deployer:
    owner: platform
    match:
      - arn:aws:iam::123456789012:role/ci-deployer
      - system:serviceaccount:prod:api
      - ${KEY_ID}
  agents:
    owner: ml
    match: ["agent:support-*"]
`,
    'p.yaml',
  );
  assert.ok(r.ok);
  const m = r.value;
  test('by Warden name, ARN, assumed-role session, service account, credential key, glob', () => {
    assert.equal(resolveIdentity(m, 'ci-deployer')?.name, 'ci-deployer');
    assert.equal(resolveIdentity(m, 'arn:aws:iam::123456789012:role/ci-deployer')?.name, 'ci-deployer');
    assert.equal(resolveIdentity(m, 'arn:aws:sts::123456789012:assumed-role/ci-deployer/run-42')?.name, 'ci-deployer');
    assert.equal(resolveIdentity(m, 'system:serviceaccount:prod:api')?.name, 'ci-deployer');
    assert.equal(resolveIdentity(m, KEY_ID)?.name, 'ci-deployer');
    assert.equal(resolveIdentity(m, 'agent:support-bot')?.name, 'agents');
    assert.equal(resolveIdentity(m, 'arn:aws:iam::*:role/ci-deployer')?.name, 'ci-deployer', 'IaC without an account');
    assert.equal(resolveIdentity(m, 'system:serviceaccount:prod:web'), undefined);
  });
});

describe('declared changes in the manifest', () => {
  const head = 'version: 1\nidentities:\n  ci-runner:\n    owner: platform\n    match: ["arn:aws:iam::*:role/ci-runner"]\n';

  test('a change names declared identities or an owner, with its time and where to', () => {
    const r = parseManifest(
      `${head}changes:\n  - reason: CHG-7 runner pool moves\n    from: 2026-03-05T06:00:00Z\n    to: "2026-03-05T18:00:00+01:00"\n    identities: [ci-runner]\n    networks: ["198.51.100.0/24", 192.0.2.7]\n    regions: [eu-central-1]\n  - reason: platform rollout\n    from: 2026-03-06T00:00:00Z\n    to: 2026-03-07T00:00:00Z\n    owner: platform\n`,
      'p.yaml',
    );
    assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.issues));
    assert.equal(r.value.changes.length, 2);
    assert.deepEqual(r.value.changes[0]!.identities, ['ci-runner']);
    assert.equal(r.value.changes[0]!.at.line, 7);
    assert.equal(r.value.changes[1]!.owner, 'platform');
    const none = parseManifest(head, 'p.yaml');
    assert.deepEqual(none.ok && none.value.changes, []);
  });

  test('an undeclared identity, an unknown owner, a backwards time and a misspelt key are each refused at their line', () => {
    const p = problems(
      `${head}changes:\n  - reason: r\n    from: 2026-03-05T06:00:00Z\n    to: 2026-03-06T06:00:00Z\n    identities: [ci-runer]\n  - reason: r\n    from: 2026-03-05T06:00:00Z\n    to: 2026-03-06T06:00:00Z\n    owner: platfrom\n`,
    );
    assert.deepEqual(
      p.map((i) => i.path),
      ['p.yaml:7', 'p.yaml:11'],
    );
    assert.match(p[0]!.message, /"ci-runer" is not a declared identity: did you mean "ci-runner"/);
    assert.match(p[1]!.message, /no declared identity has owner "platfrom": did you mean "platform"/);
    const backwards = problems(
      `${head}changes:\n  - reason: r\n    from: 2026-03-06T06:00:00Z\n    to: 2026-03-05T06:00:00Z\n    owner: platform\n`,
    );
    assert.match(backwards[0]!.message, /ends after it starts/);
    assert.equal(backwards[0]!.path, 'p.yaml:9');
    const typo = problems(
      `${head}changes:\n  - reason: r\n    from: 2026-03-05T06:00:00Z\n    to: 2026-03-06T06:00:00Z\n    owner: platform\n    network: ["198.51.100.0/24"]\n`,
    );
    assert.match(typo[0]!.message, /unknown key "network".*did you mean "networks"/);
    const nobody = problems(`${head}changes:\n  - reason: r\n    from: 2026-03-05T06:00:00Z\n    to: 2026-03-06T06:00:00Z\n`);
    assert.match(nobody[0]!.message, /name the identities the change is for/);
    const date = problems(
      `${head}changes:\n  - reason: r\n    from: 2026-03-05\n    to: 2026-03-06T06:00:00Z\n    owner: platform\n`,
    );
    assert.match(date[0]!.message, /changes\[0\]\.from: a time like/);
    const cidr = problems(
      `${head}changes:\n  - reason: r\n    from: 2026-03-05T06:00:00Z\n    to: 2026-03-06T06:00:00Z\n    owner: platform\n    networks: ["198.51.100.0/33"]\n`,
    );
    assert.equal(cidr[0]!.path, 'p.yaml:11');
  });
});
