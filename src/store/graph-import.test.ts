import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { Finding } from '../model/finding.js';
import type { IdentityEvent } from '../model/identity-event.js';
import type { InventoryRelation } from '../model/inventory.js';
import { githubHashedToken, vaultAuditHmac } from '../scan/secrets/redact.js';
import { getGraphNode, listGraphEdges } from './graph.js';
import { importEvents, importEventsOnce, importFindings, importInventory } from './graph-import.js';
import { explainExposure, exposureOf, listIdentities, rescoreGraph } from './graph-query.js';
import { openStore, type Store } from './store.js';
import { type Backend, postgresBackend, SKIP_PG, sqliteBackend } from './testing.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

// Planted secrets: made up here, never stored (the test checks the database for them).
const LEAKED_AWS_ID = 'AKIAZ7Q3PLANTEDKEY01';
// Assembled at run time so the repository holds nothing a secret scanner (ours included) takes for a key.
const LEAKED_AWS_SECRET = ['wJalrXUtnFEMI', 'K7MDENG', 'bPxRfiCYPLANTEDKEY01'].join('/');
const OWNER_ONLY_AWS_ID = 'AKIAZ7Q3PLANTEDKEY02';
const REVOKED_AWS_ID = 'AKIAZ7Q3PLANTEDKEY03';
const NEVER_USED_AWS_ID = 'AKIAZ7Q3PLANTEDKEY04';
const UNLEAKED_AWS_ID = 'AKIAZ7Q3PLANTEDKEY05';
const GITHUB_TOKEN = `ghp_${'Pl4nt3dT0k3n'.repeat(3)}`;
const VAULT_TOKEN = ['hvs', 'CAESIPlantedVaultTokenForTheGraphTest'].join('.');
const VAULT_SALT = 'audit-device-salt-1';

/** When the scan found the leaks: baseline events come before, the attacker's after. */
const FOUND_AT = '2025-03-01T00:00:00Z';

function secretFinding(secret: string, path: string, credentialKey?: Finding['credentialKey']): Finding {
  return {
    ruleId: 'test.secret',
    kind: 'secret',
    title: 'Planted secret',
    severity: 'critical',
    message: 'a planted secret',
    path,
    line: 7,
    column: 3,
    fingerprint: sha(secret),
    preview: `${secret.slice(0, 4)}…`,
    commit: {
      sha: 'c0ffee0000000000000000000000000000000001',
      author: 'dev',
      email: 'dev@example.com',
      // Committed when the scan found it: exposure starts at the introducing commit.
      date: FOUND_AT,
    },
    frameworks: [],
    ...(credentialKey ? { credentialKey } : {}),
  };
}

const findings: Finding[] = [
  secretFinding(LEAKED_AWS_SECRET, 'deploy/.env', { type: 'aws-access-key-id', value: LEAKED_AWS_ID }),
  secretFinding(`${OWNER_ONLY_AWS_ID}-secret`, 'ci/creds', { type: 'aws-access-key-id', value: OWNER_ONLY_AWS_ID }),
  secretFinding(`${REVOKED_AWS_ID}-secret`, 'old/creds', { type: 'aws-access-key-id', value: REVOKED_AWS_ID }),
  secretFinding(`${NEVER_USED_AWS_ID}-secret`, 'old/unused', { type: 'aws-access-key-id', value: NEVER_USED_AWS_ID }),
  secretFinding(GITHUB_TOKEN, 'scripts/release.sh', { type: 'github-hashed-token', value: githubHashedToken(GITHUB_TOKEN) }),
  secretFinding(VAULT_TOKEN, 'k8s/vault.yaml', { type: 'vault-hmac', value: vaultAuditHmac(VAULT_TOKEN, VAULT_SALT) }),
];

let seq = 0;
function ev(
  source: IdentityEvent['source'],
  time: string,
  identity: string,
  credential: IdentityEvent['credential'],
  client: IdentityEvent['client'],
  resource?: string,
): IdentityEvent {
  return {
    id: `${source}-${seq++}`,
    time,
    source,
    identity: { id: identity, type: 'iam-user', name: identity.split('/').pop()! },
    ...(credential ? { credential } : {}),
    action: 's3:GetObject',
    ...(resource ? { resource: { type: 'AWS::S3::Object', id: resource } } : {}),
    outcome: 'success',
    client,
    tags: [],
    raw: {},
  };
}

const DEPLOY = 'arn:aws:iam::123456789012:user/deploy';
const aws = (key: string, lifecycle: 'used' | 'revoked' = 'used', subject?: string) => ({
  key,
  type: 'aws-access-key',
  lifecycle,
  ...(subject ? { subject } : {}),
});

function events(): IdentityEvent[] {
  seq = 0;
  const out: IdentityEvent[] = [];
  const bucket = 'arn:aws:s3:::acme-artifacts/release.tgz';
  // Baseline: the owners use their keys from their own network before the leak is found.
  for (const day of ['01', '02', '03'])
    out.push(
      ev('cloudtrail', `2025-02-${day}T10:00:00Z`, DEPLOY, aws(LEAKED_AWS_ID), { ip: '10.0.0.5' }, bucket),
      ev('cloudtrail', `2025-02-${day}T11:00:00Z`, DEPLOY, aws(OWNER_ONLY_AWS_ID), { ip: '10.0.0.6' }, bucket),
      ev('cloudtrail', `2025-02-${day}T12:00:00Z`, DEPLOY, aws(UNLEAKED_AWS_ID), { ip: '10.0.0.7' }, bucket),
      ev('cloudtrail', `2025-02-${day}T13:00:00Z`, DEPLOY, aws(REVOKED_AWS_ID), { ip: '10.0.0.8' }, bucket),
    );
  // After: the leaked key is used from a network it never used; the others keep to their own.
  out.push(
    ev(
      'cloudtrail',
      '2025-03-02T03:00:00Z',
      DEPLOY,
      aws(LEAKED_AWS_ID),
      { ip: '203.0.113.9' },
      'arn:aws:s3:::acme-secrets/db.dump',
    ),
    ev('cloudtrail', '2025-03-02T04:00:00Z', DEPLOY, aws(LEAKED_AWS_ID), { ip: '10.0.0.5' }, bucket),
    ev('cloudtrail', '2025-03-02T05:00:00Z', DEPLOY, aws(OWNER_ONLY_AWS_ID), { ip: '10.0.0.6' }, bucket),
    ev(
      'cloudtrail',
      '2025-03-03T00:00:00Z',
      'arn:aws:iam::123456789012:user/admin',
      aws('AKIAZ7Q3ADMINKEY0001', 'revoked', REVOKED_AWS_ID),
      {
        ip: '10.0.0.1',
      },
    ),
  );
  // GitHub: the token is used by its CI runner before and after the leak was found.
  const hashed = githubHashedToken(GITHUB_TOKEN);
  for (const time of ['2025-02-10T00:00:00Z', '2025-03-05T00:00:00Z'])
    out.push({
      ...ev(
        'github-audit',
        time,
        'github:bot-release',
        { key: hashed, type: 'Personal access token (classic)', lifecycle: 'used' },
        {
          ip: '192.0.2.10',
          workload: 'actions-runner-release',
        },
      ),
      action: 'git.clone',
      resource: { type: 'repository', id: 'acme/api' },
    });
  // Vault: the token is first seen after the leak was found, from an unknown pod.
  out.push({
    ...ev(
      'vault',
      '2025-03-04T00:00:00Z',
      'vault:entity/7f1c',
      { key: vaultAuditHmac(VAULT_TOKEN, VAULT_SALT), type: 'vault-token', lifecycle: 'used' },
      {
        ip: '198.51.100.20',
      },
    ),
    action: 'vault:read',
    resource: { type: 'vault-path', id: 'secret/data/prod/db' },
  });
  return out;
}

async function tableCounts(store: Store): Promise<Record<string, number>> {
  const n = async (q: ReturnType<typeof sql<{ n: number | string }>>) => Number((await q.execute(store.db)).rows[0]!.n);
  return {
    nodes: await n(sql`select count(*) as n from graph_nodes`),
    edges: await n(sql`select count(*) as n from graph_edges`),
    uses: await n(sql`select coalesce(sum(count), 0) as n from graph_edges`),
  };
}

function graphSuite(backend: Backend): void {
  describe(`identity graph on ${backend.name}`, () => {
    let store: Store;

    before(async () => {
      await backend.start();
      store = await openStore(await backend.fresh());
      const f = await importFindings(store, findings, { repo: 'github.com/acme/api', foundAt: FOUND_AT });
      assert.deepEqual(f, { imported: findings.length, skipped: 0 });
      const e = await importEvents(store, events());
      assert.equal(e.imported, events().length);
    });
    after(async () => {
      await store?.close();
      await backend.cleanup();
    });

    test('a leaked AWS key used from a new network is leaked-in-use-unknown-source', async () => {
      const exposure = await explainExposure(store, `aws-key:${LEAKED_AWS_ID}`);
      assert.equal(exposure.status, 'leaked-in-use-unknown-source');
      assert.equal(exposure.foundAt, Date.parse(FOUND_AT));
      const unknown = exposure.sources.filter((s) => s.unknown).map((s) => s.source);
      assert.deepEqual(unknown, ['network:203.0.113.9']);
      const home = exposure.sources.find((s) => s.source === 'network:10.0.0.5');
      assert.equal(home?.count, 4);
      // The evidence chain: where it leaked, and who it belongs to.
      const [detectedBy] = await listGraphEdges(store, `credential:aws-key:${LEAKED_AWS_ID}`, {
        kind: 'detected',
        direction: 'in',
      });
      const [leak] = await listGraphEdges(store, detectedBy!.src, { kind: 'found-in' });
      assert.equal(leak?.dst, 'repository:github.com/acme/api');
      assert.equal(leak?.props.path, 'deploy/.env');
      assert.equal(leak?.props.line, 7);
      assert.equal(leak?.props.commit, 'c0ffee0000000000000000000000000000000001');
      assert.equal(leak?.props.exposedAt, Date.parse(FOUND_AT));
      const owners = await listGraphEdges(store, `credential:aws-key:${LEAKED_AWS_ID}`, { kind: 'credential-of' });
      assert.deepEqual(
        owners.map((o) => [o.dst, o.count]),
        [[`identity:${DEPLOY}`, 5]],
      );
      const detected = await listGraphEdges(store, `credential:aws-key:${LEAKED_AWS_ID}`, { kind: 'detected', direction: 'in' });
      assert.equal(detected.length, 1);
    });

    test('keys used only from their usual source, never used, revoked or never leaked', async () => {
      assert.equal(await exposureOf(store, `aws-key:${OWNER_ONLY_AWS_ID}`), 'leaked-in-use-by-owner');
      assert.equal(await exposureOf(store, `aws-key:${NEVER_USED_AWS_ID}`), 'leaked-never-seen');
      assert.equal(await exposureOf(store, `aws-key:${REVOKED_AWS_ID}`), 'leaked-revoked');
      assert.equal(await exposureOf(store, `aws-key:${UNLEAKED_AWS_ID}`), 'not-leaked');
      assert.equal(await exposureOf(store, 'aws-key:AKIAZ7Q3NOWHERE00001'), 'not-leaked');
      const revoked = await explainExposure(store, `credential:aws-key:${REVOKED_AWS_ID}`);
      assert.equal(revoked.revokedAt, Date.parse('2025-03-03T00:00:00Z'));
    });

    test('a GitHub token joins its audit-log uses through hashed_token', async () => {
      const key = `github:${githubHashedToken(GITHUB_TOKEN)}`;
      const exposure = await explainExposure(store, key);
      assert.equal(exposure.status, 'leaked-in-use-by-owner');
      assert.deepEqual(
        exposure.sources.map((s) => [s.source, s.count]),
        [['workload:actions-runner-release', 2]],
      );
      const runsAs = await listGraphEdges(store, 'workload:actions-runner-release', { kind: 'runs-as' });
      assert.deepEqual(
        runsAs.map((e) => e.dst),
        ['identity:github:bot-release'],
      );
    });

    test('a Vault token joins through the audit HMAC with the right salt only', async () => {
      assert.equal(await exposureOf(store, `vault:${vaultAuditHmac(VAULT_TOKEN, VAULT_SALT)}`), 'leaked-in-use-unknown-source');
      assert.equal(await exposureOf(store, `vault:${vaultAuditHmac(VAULT_TOKEN, 'another-salt')}`), 'not-leaked');
    });

    test('identity used resource edges aggregate count and first/last seen', async () => {
      const used = await listGraphEdges(store, `identity:${DEPLOY}`, { kind: 'used' });
      const bucket = used.find((e) => e.dst === 'resource:arn:aws:s3:::acme-artifacts/release.tgz');
      assert.equal(bucket?.count, 14);
      assert.equal(bucket?.firstSeen, Date.parse('2025-02-01T10:00:00Z'));
      assert.equal(bucket?.lastSeen, Date.parse('2025-03-02T05:00:00Z'));
    });

    test('re-importing the same findings and events changes nothing', async () => {
      const before = await tableCounts(store);
      assert.deepEqual(await importFindings(store, findings, { repo: 'github.com/acme/api', foundAt: '2026-01-01T00:00:00Z' }), {
        imported: 0,
        skipped: findings.length,
      });
      const again = await importEvents(store, [...events(), ...events()]);
      assert.equal(again.imported, 0);
      assert.deepEqual(await tableCounts(store), before);
      assert.equal(await exposureOf(store, `aws-key:${LEAKED_AWS_ID}`), 'leaked-in-use-unknown-source');
    });

    test('a key seen in the logs first and found by a later scan keeps both sides in its node', async () => {
      const id = 'AKIAZ7Q3LATERSCAN001';
      await importEvents(store, [
        { ...ev('cloudtrail', '2025-05-01T00:00:00Z', DEPLOY, aws(id), { ip: '10.0.0.5' }), id: 'later-1' },
      ]);
      await importFindings(
        store,
        // A working-tree finding (no commit): exposed since the scan found it, after the logged use.
        [{ ...secretFinding(`${id}-secret`, 'late/.env', { type: 'aws-access-key-id', value: id }), commit: undefined }],
        { repo: 'github.com/acme/api', foundAt: '2025-06-01T00:00:00Z' },
      );
      const node = await getGraphNode(store, `credential:aws-key:${id}`);
      assert.equal(node?.props.type, 'aws-access-key');
      assert.equal(node?.props.preview, 'AKIA…');
      assert.equal(await exposureOf(store, `aws-key:${id}`), 'leaked-in-use-by-owner');
    });

    test('no raw secret is stored', async () => {
      const nodes = await store.db.selectFrom('graph_nodes').selectAll().execute();
      const edges = await store.db.selectFrom('graph_edges').selectAll().execute();
      const dump = JSON.stringify([nodes, edges]);
      for (const secret of [LEAKED_AWS_SECRET, GITHUB_TOKEN, VAULT_TOKEN])
        assert.ok(!dump.includes(secret), 'secret in the graph');
    });

    test('hostile text (NUL, lone surrogates) is stored cleaned on both dialects, and claimed once', async () => {
      const nul = String.fromCharCode(0);
      const lone = String.fromCharCode(0xd800);
      const hostile: IdentityEvent = {
        ...ev('cloudtrail', '2025-05-02T00:00:00Z', `arn:aws:iam::1:user/evil${nul}x`, aws('AKIAZ7Q3HOSTILE00001'), {
          ip: '10.9.9.9',
          userAgent: `Mozilla/5.0 ${lone}`,
        }),
        id: `hostile${nul}1`,
        resource: { type: `T${lone}`, id: `arn:aws:s3:::b${nul}/k` },
      };
      hostile.identity.scope = `scope${nul}`;
      assert.equal((await importEvents(store, [hostile])).imported, 1);
      assert.equal((await importEvents(store, [hostile])).imported, 0);
      const node = await getGraphNode(store, 'identity:arn:aws:iam::1:user/evil\uFFFDx');
      assert.equal(node?.props.scope, 'scope\uFFFD');
      const used = await listGraphEdges(store, 'identity:arn:aws:iam::1:user/evil\uFFFDx', { kind: 'used' });
      assert.deepEqual(
        used.map((e) => e.dst),
        ['resource:arn:aws:s3:::b\uFFFD/k'],
      );
    });

    test('declared relations import once and keep their props', async () => {
      const rel = (
        kind: InventoryRelation['kind'],
        src: InventoryRelation['src'],
        dst: InventoryRelation['dst'],
        props?: Record<string, unknown>,
      ): InventoryRelation => ({
        kind,
        src,
        dst,
        path: 'infra/iam.tf',
        line: 3,
        ...(props ? { props } : {}),
      });
      const relations = [
        rel(
          'can-access',
          { kind: 'identity', id: 'arn:aws:iam::*:user/deploy' },
          { kind: 'resource', id: '*' },
          { actions: ['*'], admin: true },
        ),
        rel('owned-by', { kind: 'identity', id: 'arn:aws:iam::*:user/deploy' }, { kind: 'owner', id: 'Payments' }),
      ];
      assert.deepEqual(await importInventory(store, relations, { repo: 'acme/infra' }), { imported: 2, skipped: 0 });
      assert.deepEqual(await importInventory(store, relations, { repo: 'acme/infra' }), { imported: 0, skipped: 2 });
      const grants = await listGraphEdges(store, 'identity:arn:aws:iam::*:user/deploy', { kind: 'can-access' });
      assert.equal(grants.length, 1);
      assert.equal(grants[0]!.count, 1);
      assert.deepEqual(grants[0]!.props.actions, ['*']);
      assert.equal(grants[0]!.props.declared, 'acme/infra:infra/iam.tf:3');
      const owner = await listGraphEdges(store, 'identity:arn:aws:iam::*:user/deploy', { kind: 'owned-by' });
      assert.deepEqual(
        owner.map((e) => e.dst),
        ['owner:payments'],
      );
    });

    test('20,000 events import in batches', async () => {
      const many: IdentityEvent[] = [];
      for (let i = 0; i < 20_000; i++)
        many.push({
          ...ev(
            'cloudtrail',
            new Date(Date.parse('2025-04-01T00:00:00Z') + i * 1000).toISOString(),
            `arn:aws:iam::1:user/u${i % 500}`,
            aws(`AKIAZ7Q3BULK${String(i % 1000).padStart(8, '0')}`),
            {
              ip: `10.1.${i % 200}.${i % 7}`,
            },
            `arn:aws:s3:::bulk/${i % 300}`,
          ),
          id: `bulk-${i}`,
        });
      const started = performance.now();
      const result = await importEvents(store, many);
      const ms = performance.now() - started;
      assert.equal(result.imported, 20_000);
      const used = await listGraphEdges(store, 'identity:arn:aws:iam::1:user/u0', { kind: 'used' });
      assert.equal(
        used.reduce((s, e) => s + e.count, 0),
        40,
      );
      // Generous: a regression to row-at-a-time writes takes far longer.
      assert.ok(ms < 60_000, `20,000 events took ${Math.round(ms)} ms`);
    });

    test('a log that grew since its last import adds only its new events', async () => {
      const grow = (n: number) =>
        Array.from({ length: n }, (_, i) => ({
          ...ev(
            'cloudtrail',
            new Date(Date.parse('2025-07-01T00:00:00Z') + i * 1000).toISOString(),
            'arn:aws:iam::1:user/grow',
            undefined,
            {},
            `arn:aws:s3:::grow/${i % 10}`,
          ),
          id: `grow-${i}`,
        }));
      const total = async () =>
        (await listGraphEdges(store, 'identity:arn:aws:iam::1:user/grow', { kind: 'used' })).reduce((a, e) => a + e.count, 0);
      // Several content-defined chunks and a tail each time; the second input starts with the first.
      assert.equal((await importEvents(store, grow(3000))).imported, 3000);
      assert.equal(await total(), 3000);
      const second = await importEvents(store, grow(7000));
      assert.equal(second.imported, 4000);
      assert.equal(second.skipped, 3000);
      assert.equal(await total(), 7000);
      assert.equal((await importEvents(store, grow(7000))).imported, 0);
      assert.equal(await total(), 7000);
    });

    test('a large import checks chunks as they come: same counts, re-imports add nothing, a concurrent import fails it', async () => {
      const events = (who: string, n: number) =>
        Array.from({ length: n }, (_, i) => ({
          ...ev(
            'cloudtrail',
            new Date(Date.parse('2025-08-01T00:00:00Z') + i * 1000).toISOString(),
            `arn:aws:iam::1:user/${who}`,
            undefined,
            {},
            `arn:aws:s3:::${who}/${i % 10}`,
          ),
          id: `${who}-${i}`,
        }));
      const total = async (who: string) =>
        (await listGraphEdges(store, `identity:arn:aws:iam::1:user/${who}`, { kind: 'used' })).reduce((a, e) => a + e.count, 0);
      // Held 300 events at most, a flush every 2,500: several windows, each checked before it is folded.
      const small = { holdEvents: 300, flushEvents: 2500 };
      const first = await importEvents(store, events('held', 6000), small);
      assert.deepEqual(first, { imported: 6000, skipped: 0 });
      assert.equal(await total('held'), 6000);
      assert.deepEqual(await importEvents(store, events('held', 6000), small), { imported: 0, skipped: 6000 });
      const grown = await importEvents(store, events('held', 9000), small);
      assert.deepEqual(grown, { imported: 3000, skipped: 6000 });
      assert.equal(await total('held'), 9000);

      // Another import stores the same events while this one reads them: this one fails, nothing counts twice.
      const racing = events('race', 5000);
      async function* withRace(): AsyncGenerator<IdentityEvent> {
        for (const [i, e] of racing.entries()) {
          if (i === 4000) assert.equal((await importEvents(store, racing)).imported, 5000);
          yield e;
        }
      }
      await assert.rejects(importEvents(store, withRace(), { holdEvents: 300 }), { code: 'WARDEN_IMPORT_CONFLICT' });
      assert.equal(await total('race'), 5000);
      assert.deepEqual(await importEvents(store, racing, small), { imported: 0, skipped: 5000 });
    });

    test('importEventsOnce writes the rows importEvents writes, claims nothing, and counts a repeated event once', async () => {
      const claimed = await openStore(await backend.fresh());
      const once = await openStore(await backend.fresh());
      try {
        const all = events();
        await importEvents(claimed, all);
        // A shipper's retry within the batch: the event is folded once.
        assert.deepEqual(await importEventsOnce(once, [...all, all[3]!]), { imported: all.length, skipped: 1 });
        assert.deepEqual(await tableCounts(once), await tableCounts(claimed));
        const rows = async (st: Store) =>
          (
            await sql<{ src: string; kind: string; dst: string; count: number | string }>`
              select src, kind, dst, count from graph_edges order by src, kind, dst`.execute(st.db)
          ).rows.map((r) => [r.src, r.kind, r.dst, Number(r.count)]);
        assert.deepEqual(await rows(once), await rows(claimed));
        const claims = async (st: Store) =>
          Number((await sql<{ n: number | string }>`select count(*) as n from graph_imported`.execute(st.db)).rows[0]!.n);
        assert.ok((await claims(claimed)) > 0);
        assert.equal(await claims(once), 0, 'the caller settles exactly-once: no claim rows');
        // In a transaction the caller rolls back, nothing stays.
        await assert.rejects(
          once.transaction(async (trx) => {
            await importEventsOnce(trx, [
              { ...all[0]!, id: 'rolled-back', resource: { type: 's3-object', id: 'arn:aws:s3:::gone/x' } },
            ]);
            throw new Error('step failed');
          }),
          /step failed/,
        );
        assert.deepEqual(await tableCounts(once), await tableCounts(claimed));
      } finally {
        await claimed.close();
        await once.close();
      }
    });

    test('identities page riskiest first, then the ones added since the last rescore, by id', async () => {
      await rescoreGraph(store, { now: Date.parse('2025-06-01T00:00:00Z') });
      await importEvents(store, [
        { ...ev('cloudtrail', '2025-05-03T00:00:00Z', 'arn:aws:iam::1:user/zz-new', undefined, {}), id: 'unscored-2' },
        { ...ev('cloudtrail', '2025-05-03T00:00:00Z', 'arn:aws:iam::1:user/aa-new', undefined, {}), id: 'unscored-1' },
      ]);
      const all = await listIdentities(store, { limit: 10_000 });
      // Every identity once, but the IaC user written without its account: it folds into the logged one.
      const ids = (await sql<{ id: string }>`select id from graph_nodes where kind = 'identity'`.execute(store.db)).rows.map(
        (r) => r.id,
      );
      assert.deepEqual(
        ids.filter((i) => !all.some((r) => r.id === i)),
        ['identity:arn:aws:iam::*:user/deploy'],
      );
      const total = all.length;
      assert.equal(new Set(all.map((r) => r.id)).size, total);
      const scored = all.filter((r) => r.score !== undefined);
      assert.equal(scored.length, total - 2);
      for (let i = 1; i < scored.length; i++) assert.ok(scored[i - 1]!.score! >= scored[i]!.score!);
      assert.deepEqual(
        all.slice(-2).map((r) => r.id),
        ['identity:arn:aws:iam::1:user/aa-new', 'identity:arn:aws:iam::1:user/zz-new'],
      );
      assert.equal(all[0]!.id, `identity:${DEPLOY}`);
      // Pages of 7 (crossing from scored to unscored) give the same list.
      const paged: string[] = [];
      for (let offset = 0; offset < total; offset += 7)
        paged.push(...(await listIdentities(store, { limit: 7, offset })).map((r) => r.id));
      assert.deepEqual(
        paged,
        all.map((r) => r.id),
      );
    });
  });
}

graphSuite(sqliteBackend('warden-graph-'));
if (SKIP_PG) test.skip('identity graph on postgres (WARDEN_SKIP_POSTGRES=1)', () => {});
else graphSuite(postgresBackend('warden_graph_test'));
