import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createRandom, expandExample } from '../src/scan/secrets/examples.js';
import { generateScenario, writeScenario } from '../src/scenario/generate.js';
import type { Episode } from '../src/scenario/types.js';
import { cli, tempDir } from './helpers.js';

/**
 * The correlation path as a user runs it: a repository whose history leaked three AWS keys, a week
 * of vendor-format logs in which one of them is used from a network its owner never used, then
 * `warden scan --git` → `warden detect --replay` → `warden import` → `warden risk` / `blast-radius`.
 * The leaked key in use from the unknown network must rank first, with its evidence one call away.
 */
const { dir, cleanup } = tempDir('warden-graph-cli-');
const logs = join(dir, 'logs');
const repo = join(dir, 'repo');
const db = join(dir, 'graph.db');
const scan = join(dir, 'scan.json');
const tree = join(dir, 'tree.json');
const START = '2026-02-02';
const DAYS = 6;

let attack: Episode;
let attackKey: string;
let ownerKey: string;
let unusedKey: string;
const secrets: string[] = [];

/** Writes files and commits them with author and committer date `date`. */
function commit(message: string, date: string, files: Record<string, string>): void {
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'dev',
    GIT_AUTHOR_EMAIL: 'dev@example.com',
    GIT_COMMITTER_NAME: 'dev',
    GIT_COMMITTER_EMAIL: 'dev@example.com',
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_DATE: date,
    GIT_CONFIG_NOSYSTEM: '1',
    HOME: dir,
  };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe', env });
  mkdirSync(repo, { recursive: true });
  if (message === 'init') git('init', '-q', '-b', 'main');
  for (const [path, text] of Object.entries(files)) writeFileSync(join(repo, path), text);
  git('add', '.');
  git('commit', '-q', '-m', message);
}

before(() => {
  const scenario = generateScenario({ seed: 11, identities: 30, days: DAYS, start: START, attacks: 'all', attackDays: 2 });
  writeScenario(logs, scenario);
  attack = scenario.truth.find((e) => e.variant === 'new-source.aws-key-from-vps')!;
  assert.ok(attack, 'the scenario plants an AWS key used from a new network');
  attackKey = attack.credentials.find((k) => k.startsWith('AKIA'))!;
  // A key its owner keeps using from its usual places, and one nobody uses.
  const attacked = new Set(scenario.truth.flatMap((e) => e.credentials));
  // The busiest long-term key no attack presents, of another identity, still in use at the end.
  const end = Date.parse(`${START}T00:00:00Z`) + DAYS * 86_400_000;
  const uses = new Map<string, { n: number; first: number; last: number }>();
  for (const f of scenario.files.filter((x) => x.format === 'cloudtrail'))
    for (const line of f.lines) {
      const arn = /"userIdentity":\{[^}]*?"arn":"([^"]+)"/.exec(line)?.[1];
      const t = Date.parse(/"eventTime":"([^"]+)"/.exec(line)?.[1] ?? '');
      if (arn === undefined || arn === attack.identity) continue;
      for (const m of line.matchAll(/"accessKeyId":"(AKIA[A-Z0-9]{16})"/g)) {
        if (attacked.has(m[1]!)) continue;
        const u = uses.get(m[1]!) ?? { n: 0, first: t, last: t };
        uses.set(m[1]!, { n: u.n + 1, first: Math.min(u.first, t), last: Math.max(u.last, t) });
      }
    }
  const owner = [...uses.entries()]
    .filter(([, u]) => u.last > end - 86_400_000 && u.n >= 10)
    .sort((a, b) => b[1].n - a[1].n || (a[0] < b[0] ? -1 : 1))[0];
  assert.ok(owner, 'the scenario has a benign long-term key in use to the end');
  ownerKey = owner[0];
  const rnd = createRandom(5);
  unusedKey = expandExample('@@lit:AK|IA@@@@b32:16@@', rnd);
  const secret = () => {
    const s = expandExample('@@b64:40@@', rnd).replace(/[+/=]/g, 'x');
    secrets.push(s);
    return s;
  };

  // Each leak is committed halfway through its key's use (the owner's) or the day before the attack,
  // so the graph has seen both keys used before they leaked.
  mkdirSync(join(repo, 'deploy'), { recursive: true });
  mkdirSync(join(repo, 'ci'), { recursive: true });
  commit('init', `${START}T00:00:00Z`, { 'README.md': '# api\n' });
  commit('ci credentials', new Date(Math.round((owner[1].first + owner[1].last) / 2000) * 1000).toISOString(), {
    'ci/creds.env': `AWS_ACCESS_KEY_ID=${ownerKey}\nAWS_SECRET_ACCESS_KEY=${secret()}\n`,
    'ci/old.env': `AWS_ACCESS_KEY_ID=${unusedKey}\nAWS_SECRET_ACCESS_KEY=${secret()}\n`,
  });
  commit('deploy config', new Date(Date.parse(attack.start) - 86_400_000).toISOString(), {
    'deploy/.env': `AWS_ACCESS_KEY_ID=${attackKey}\nAWS_SECRET_ACCESS_KEY=${secret()}\n`,
  });
  // The IaC that grants the attacked user everything (written without the account, as Terraform does).
  const user = attack.identity.slice(attack.identity.lastIndexOf('/') + 1);
  mkdirSync(join(repo, 'infra'), { recursive: true });
  writeFileSync(
    join(repo, 'infra/iam.tf'),
    `resource "aws_iam_user" "svc" {
  name = "${user}"
  tags = { Owner = "payments" }
}

resource "aws_iam_user_policy" "svc" {
  name   = "svc-everything"
  user   = "${user}"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }]
  })
}
`,
  );
});
after(cleanup);

describe('warden import, risk, blast-radius', () => {
  test('scan, replay and import put the key used from an unknown network first', async () => {
    const s = await cli(['scan', repo, '--git', '--format', 'json', '-o', scan]);
    assert.equal(s.code, 1, s.stderr);
    const report = JSON.parse(readFileSync(scan, 'utf8')) as { findings: Array<{ credentialKey?: { value: string } }> };
    const keys = report.findings.map((f) => f.credentialKey?.value).filter(Boolean);
    for (const k of [attackKey, ownerKey, unusedKey]) assert.ok(keys.includes(k), `scan found ${k.slice(0, 4)}…`);

    // The working tree too: it carries the inventory (who may do what) that history scans do not.
    const t = await cli(['scan', repo, '--format', 'json', '-o', tree]);
    assert.equal(t.code, 1, t.stderr);
    const inventory = (JSON.parse(readFileSync(tree, 'utf8')) as { inventory: Array<{ kind: string }> }).inventory;
    assert.ok(inventory.some((r) => r.kind === 'can-access'));

    const learnUntil = new Date(Date.parse(`${START}T00:00:00Z`) + (DAYS - 2) * 86_400_000).toISOString();
    const d = await cli(['detect', '--replay', logs, '--learn-until', learnUntil, '--store', db, '--format', 'jsonl']);
    assert.equal(d.code, 0, d.stderr);

    const i = await cli([
      'import',
      scan,
      tree,
      logs,
      '--store',
      db,
      '--repo',
      'acme/api',
      '--visibility',
      'private',
      '--as-of',
      new Date(Date.parse(`${START}T00:00:00Z`) + DAYS * 86_400_000).toISOString(),
      '--format',
      'json',
    ]);
    assert.equal(i.code, 0, i.stderr);
    const summary = JSON.parse(i.stdout) as { findings: number; events: { imported: number }; rescored: { identities: number } };
    assert.ok(summary.findings >= 3);
    assert.ok(summary.events.imported > 1000);
    assert.ok(summary.rescored.identities >= 30);

    const r = await cli(['risk', '--store', db, '--format', 'json', '--limit', '50']);
    assert.equal(r.code, 0, r.stderr);
    const risk = JSON.parse(r.stdout) as {
      identities: Array<{ id: string; score: number; detail: { exposure: string } }>;
      findings: Array<{ id: string; score: number; detail: { credential: string; exposure: string; path: string } }>;
    };
    assert.equal(risk.identities[0]!.id, `identity:${attack.identity}`, JSON.stringify(risk.identities.slice(0, 3), null, 1));
    assert.equal(risk.identities[0]!.detail.exposure, 'leaked-in-use-unknown-source');
    // The IaC grant joined the logged identity: admin-equivalent, owned by payments.
    const top = risk.identities[0] as unknown as {
      factors: Array<{ factor: string; reasons: string[] }>;
      detail: { owners: string[] };
    };
    assert.match(top.factors.find((f) => f.factor === 'privilege')!.reasons[0]!, /admin-equivalent/);
    // Scored as of the end of the logs (--as-of), not today: recent, not stale.
    assert.match(
      top.factors.find((f) => f.factor === 'activity')!.reasons[0]!,
      /^(active in the last day|last active [12] days ago)$/,
    );
    assert.deepEqual(top.detail.owners, ['payments']);
    // Findings: in use by someone else > still valid, used by its owner > never used.
    const rank = (key: string) => risk.findings.findIndex((f) => f.detail.credential === `credential:aws-key:${key}`);
    assert.equal(rank(attackKey), 0);
    assert.ok(
      rank(attackKey) < rank(ownerKey) && rank(ownerKey) < rank(unusedKey),
      JSON.stringify(risk.findings.map((f) => f.detail)),
    );
    const ownerEvidence = await cli(['risk', ownerKey, '--store', db, '--format', 'table']);
    assert.equal(risk.findings[rank(ownerKey)]!.detail.exposure, 'leaked-in-use-by-owner', ownerEvidence.stdout);
    assert.equal(risk.findings[rank(unusedKey)]!.detail.exposure, 'leaked-never-seen');
    // Scores are strictly ordered, and the identities list is sorted by them.
    for (let k = 1; k < risk.identities.length; k++) assert.ok(risk.identities[k - 1]!.score >= risk.identities[k]!.score);
  });

  test('the evidence chain is one query away: finding, uses with raw pointers, alerts', async () => {
    const r = await cli(['risk', attackKey, '--store', db, '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const e = JSON.parse(r.stdout) as {
      identities: string[];
      findings: Array<{ path: string; commit?: string }>;
      uses: Array<{ unknown: boolean; source: string; event?: { file?: string; line?: number } }>;
      alerts: Array<{ detectionId: string }>;
      risk: { score: number; factors: Array<{ factor: string; reasons: string[] }> };
    };
    assert.deepEqual(e.identities, [`identity:${attack.identity}`]);
    assert.equal(e.findings[0]?.path, 'deploy/.env');
    assert.match(e.findings[0]?.commit ?? '', /^[0-9a-f]{40}$/);
    const unknown = e.uses.filter((u) => u.unknown);
    assert.ok(unknown.length > 0);
    assert.ok(unknown[0]!.event?.file?.startsWith(logs) && typeof unknown[0]!.event.line === 'number');
    assert.ok(e.alerts.some((a) => a.detectionId === 'runtime.credential.new-source'));

    const t = await cli(['risk', attackKey, '--store', db, '--format', 'table']);
    assert.match(t.stdout, /leaked-in-use-unknown-source/);
    assert.match(t.stdout, /UNKNOWN /);
  });

  test('blast radius of the key reaches its identity and what it touched', async () => {
    const r = await cli(['blast-radius', attackKey, '--store', db, '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const b = JSON.parse(r.stdout) as {
      identities: Array<{ id: string; path: Array<{ kind: string }> }>;
      resources: Array<{ id: string; access: string }>;
    };
    assert.equal(b.identities[0]?.id, `identity:${attack.identity}`);
    assert.deepEqual(
      b.identities[0]?.path.map((p) => p.kind),
      ['credential-of'],
    );
    assert.ok(b.resources.length > 0 && b.resources.every((x) => x.access !== undefined));
    const everything = b.resources.find((x) => x.id === 'resource:*') as { admin?: boolean } | undefined;
    assert.equal(everything?.admin, true);
    const missing = await cli(['blast-radius', 'no-such-thing', '--store', db]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /not in the graph/);
  });

  test('identities lists the estate; re-import adds nothing; no secret reaches the store', async () => {
    const l = await cli(['identities', '--store', db, '--format', 'jsonl']);
    assert.equal(l.code, 0, l.stderr);
    const rows = l.stdout
      .trim()
      .split('\n')
      .map((x) => JSON.parse(x) as { id: string; score?: number });
    assert.ok(rows.length >= 30);
    assert.equal(rows[0]!.id, `identity:${attack.identity}`);

    const again = await cli(['import', scan, tree, logs, '--store', db, '--repo', 'acme/api', '--format', 'json']);
    const s = JSON.parse(again.stdout) as { findings: number; events: { imported: number; skipped: number } };
    assert.equal(s.findings, 0);
    assert.equal(s.events.imported, 0);
    assert.ok(s.events.skipped > 1000);

    const bytes = readFileSync(db).toString('latin1');
    for (const secret of secrets) assert.ok(!bytes.includes(secret), 'a secret reached the store');
  });
});
