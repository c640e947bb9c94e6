import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateScenario, writeScenario } from '../src/scenario/generate.js';
import { cli, tempDir } from './helpers.js';

/**
 * The manifest feeds the identity graph: a declared owner is an owned-by edge (so `identities
 * --posture` stops calling the identity ownerless), match names fold into one identity, and the
 * allow list stands in for the privilege of an identity no IaC grant was imported for.
 */
const { dir, cleanup } = tempDir('warden-policy-graph-');
after(cleanup);
const store = join(dir, 'graph.db');

before(async () => {
  writeScenario(join(dir, 'logs'), generateScenario({ seed: 3, identities: 6, days: 2, start: '2026-02-02', attacks: [] }));
  const imported = await cli(['import', 'logs', '--store', store], { cwd: dir });
  assert.equal(imported.code, 0, imported.stderr);
});

type Posture = { identity: string; ruleId: string };
const noOwner = async () =>
  (await cli(['identities', '--posture', '--store', store, '--format', 'jsonl'], { cwd: dir })).stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Posture)
    .filter((p) => p.ruleId === 'graph.identity.no-owner')
    .map((p) => p.identity);

test('declared owners, aliases and grants reach the graph', async () => {
  const before = await noOwner();
  assert.ok(before.length > 0, 'the scenario has identities nobody owns');
  const init = await cli(['policy', 'init', '--logs', 'logs', '-o', 'warden.policy.yaml'], { cwd: dir });
  assert.equal(init.code, 0, init.stderr);
  // Every drafted entry gets an owner; the manifest is picked up from the working directory.
  const { readFileSync } = await import('node:fs');
  writeFileSync(
    join(dir, 'warden.policy.yaml'),
    readFileSync(join(dir, 'warden.policy.yaml'), 'utf8').replaceAll('owner: unassigned', 'owner: platform-team'),
  );
  const again = await cli(['import', 'logs', '--store', store], { cwd: dir });
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(await noOwner(), []);

  const list = (await cli(['identities', '--store', store, '--format', 'jsonl'], { cwd: dir })).stdout;
  const rows = list
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { id: string; detail: { owners: string[] } });
  assert.ok(rows.length > 0 && rows.every((r) => r.detail.owners.includes('platform-team')));
  // Names from match (display names, service accounts) are aliases, not identities of their own.
  assert.equal(new Set(rows.map((r) => r.id)).size, rows.length);

  const user = rows.find((r) => r.id.includes(':user/'));
  assert.ok(user, 'the scenario has an IAM user');
  const risk = JSON.parse((await cli(['risk', user.id, '--store', store, '--format', 'json'], { cwd: dir })).stdout) as {
    risk: { factors: Array<{ factor: string; reasons: string[] }> };
  };
  const privilege = risk.risk.factors.find((f) => f.factor === 'privilege')!;
  assert.match(privilege.reasons.join(' '), /via manifest .*\/allow\/\d/);

  // explain: the declaration, and from the graph how it was last used.
  const name = user.id.slice('identity:'.length);
  const explained = await cli(['policy', 'explain', name, '--store', store, '--format', 'json'], { cwd: dir });
  assert.equal(explained.code, 0, explained.stderr);
  const e = JSON.parse(explained.stdout) as {
    owner: string;
    allow: unknown[];
    lastUsed?: { time: string };
    credentialsFound: unknown[];
  };
  assert.equal(e.owner, 'platform-team');
  assert.ok(e.allow.length > 0 && e.credentialsFound.length > 0);
  assert.ok(e.lastUsed && Date.parse(e.lastUsed.time) > 0);
  const missing = await cli(['policy', 'explain', 'no-such-identity', '--store', store], { cwd: dir });
  assert.equal(missing.code, 2);
});
