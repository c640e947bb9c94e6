import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Alert } from '../model/alert.js';
import {
  createResponseLedger,
  DETECT_CREDENTIAL_SCOPE,
  getStates,
  listResponseAudit,
  loadIncident,
  openStore,
  recordRevocation,
  type Store,
  upsertAlerts,
  upsertGraphEdges,
  upsertGraphNodes,
} from './index.js';
import { type Backend, postgresBackend, SKIP_PG, sqliteBackend } from './testing.js';

const KEY = ['AKIA', 'RESPOND', 'TESTKEY', '01'].join('');
const USER = 'arn:aws:iam::123456789012:user/svc-ci';

const alert: Alert = {
  uid: 'a1',
  detectionId: 'runtime.credential.new-source',
  title: 'Credential used from a new source',
  severity: 'high',
  message: 'used from 203.0.113.9',
  identity: { id: USER, type: 'iam-user', name: 'svc-ci' },
  credential: { key: KEY, type: 'aws-access-key' },
  firstSeen: '2026-01-10T00:00:00Z',
  lastSeen: '2026-01-10T00:00:00Z',
  count: 1,
  evidences: [],
  frameworks: [],
  attacks: [],
};

function suite(backend: Backend): void {
  describe(`response ledger on ${backend.name}`, () => {
    let store: Store;
    before(async () => {
      await backend.start();
      store = await openStore(await backend.fresh());
    });
    after(async () => {
      await store?.close();
      await backend.cleanup();
    });

    test('step state round-trips and updates in place', async () => {
      const ledger = createResponseLedger(store);
      const step = {
        id: 's1',
        alertUid: 'a1',
        playbookId: 'p',
        position: 0,
        action: 'notify.webhook' as const,
        subject: 'x',
        status: 'running' as const,
        approvedBy: 'cli:alice',
        updatedAt: 1,
      };
      await ledger.putStep(step);
      assert.deepEqual(await ledger.getStep('s1'), step);
      await ledger.putStep({
        ...step,
        status: 'done',
        result: { outcome: 'done' },
        undo: [{ method: 'POST', url: 'u' }],
        updatedAt: 2,
      });
      const done = await ledger.getStep('s1');
      assert.equal(done?.status, 'done');
      assert.deepEqual(done?.undo, [{ method: 'POST', url: 'u' }]);
      assert.equal(await ledger.getStep('nope'), undefined);
    });

    test('steps go to the service audit trail as response.* entries, oldest first, per alert', async () => {
      const ledger = createResponseLedger(store);
      await ledger.audit({
        at: 1,
        actor: 'cli:alice',
        action: 'notify.webhook',
        event: 'response.step.before',
        target: 'a1',
        ref: 'r1',
        outcome: 'running',
        detail: { n: 1 },
      });
      await ledger.audit({
        at: 2,
        actor: 'cli:alice',
        action: 'notify.webhook',
        event: 'response.step.after',
        target: 'a1',
        ref: 'r1',
        outcome: 'done',
        detail: { n: 2 },
      });
      await ledger.audit({
        at: 3,
        actor: 'cli:bob',
        action: 'notify.webhook',
        event: 'response.step.after',
        target: 'b2',
        ref: 'r2',
        outcome: 'done',
        detail: {},
      });
      const a1 = await listResponseAudit(store, { alertUid: 'a1' });
      assert.deepEqual(
        a1.map((e) => [e.action, e.outcome, (e.detail as { n: number }).n]),
        [
          ['response.step.before', 'running', 1],
          ['response.step.after', 'done', 2],
        ],
      );
      assert.ok(a1[0]!.id < a1[1]!.id);
      assert.equal(a1[0]!.ref, 'r1');
      assert.equal((a1[0]!.detail as { action: string }).action, 'notify.webhook');
      assert.equal((await listResponseAudit(store)).length, 3);
    });

    test('a revocation reaches the detector state, keeping what it knew and the earliest time', async () => {
      await recordRevocation(store, KEY, 5000);
      await recordRevocation(store, KEY, 9000);
      assert.deepEqual((await getStates(store, DETECT_CREDENTIAL_SCOPE, [KEY])).get(KEY), { revokedAt: 5000 });
      const other = 'hmac-sha256:ab';
      const { putStates } = await import('./index.js');
      await putStates(store, DETECT_CREDENTIAL_SCOPE, [{ key: other, state: { first: 1, usedDays: 3, revokedAt: 0 } }]);
      await recordRevocation(store, other, 7000);
      assert.deepEqual((await getStates(store, DETECT_CREDENTIAL_SCOPE, [other])).get(other), {
        first: 1,
        usedDays: 3,
        revokedAt: 7000,
      });
    });

    test('an incident carries the graph: credential owner, policies, workloads, owners, leaks and a review task', async () => {
      await upsertAlerts(store, [alert]);
      const t = 1000;
      const node = (id: string, kind: string, props: Record<string, unknown> = {}) => ({
        id,
        kind,
        label: id.slice(id.indexOf(':') + 1),
        props,
        firstSeen: t,
        lastSeen: t,
      });
      const edge = (src: string, kind: string, dst: string, props: Record<string, unknown> = {}) => ({
        src,
        dst,
        kind,
        props,
        count: 1,
        firstSeen: t,
        lastSeen: t,
      });
      const cred = `credential:aws-key:${KEY}`;
      await upsertGraphNodes(store, [
        node(cred, 'credential', { keys: [`aws-key:${KEY}`, 'sha256:00'] }),
        node(`identity:${USER}`, 'identity'),
        node('identity:arn:aws:iam::123456789012:role/deploy', 'identity'),
        node('policy:arn:aws:iam::123456789012:policy/deploy', 'policy'),
        node('resource:arn:aws:s3:::artifacts', 'resource'),
        node('workload:ci-runner', 'workload'),
        node('owner:platform-team', 'owner'),
        node('finding:f1', 'finding'),
        node('repository:acme/app', 'repository'),
      ]);
      await upsertGraphEdges(store, [
        edge(cred, 'credential-of', `identity:${USER}`),
        edge(`identity:${USER}`, 'has-policy', 'policy:arn:aws:iam::123456789012:policy/deploy'),
        edge(`identity:${USER}`, 'assumes', 'identity:arn:aws:iam::123456789012:role/deploy'),
        edge('identity:arn:aws:iam::123456789012:role/deploy', 'can-access', 'resource:arn:aws:s3:::artifacts', {
          actions: ['s3:PutObject'],
        }),
        edge('workload:ci-runner', 'runs-as', `identity:${USER}`),
        edge(`identity:${USER}`, 'owned-by', 'owner:platform-team'),
        edge('identity:arn:aws:iam::123456789012:role/deploy', 'owned-by', 'owner:release-team'),
        edge('finding:f1', 'detected', cred),
        edge('finding:f1', 'found-in', 'repository:acme/app', { path: 'deploy/.env', line: 3 }),
      ]);
      const inc = await loadIncident(store, 'a1');
      assert.ok(inc);
      assert.equal(inc.credentialNode, cred);
      assert.deepEqual(inc.credentialKeys, [`aws-key:${KEY}`, 'sha256:00']);
      assert.deepEqual(inc.credentialOf, [USER]);
      assert.deepEqual(inc.policies, ['arn:aws:iam::123456789012:policy/deploy']);
      assert.deepEqual(inc.workloads, ['ci-runner']);
      assert.deepEqual(inc.owners, ['platform-team']);
      assert.deepEqual(inc.leaks, [{ repository: 'acme/app', path: 'deploy/.env', line: 3 }]);
      const review = await inc.review();
      assert.deepEqual(
        review.identities.map((i) => [i.id, i.owners]),
        [
          [`identity:${USER}`, ['platform-team']],
          ['identity:arn:aws:iam::123456789012:role/deploy', ['release-team']],
        ],
      );
      assert.deepEqual(
        review.credentials.map((c) => [c.id, c.owners]),
        [[cred, ['platform-team']]],
      );
      assert.deepEqual(
        review.permissions.map((p) => [p.resource, p.access, p.actions]),
        [['arn:aws:s3:::artifacts', 'granted', ['s3:PutObject']]],
      );
      assert.equal(await loadIncident(store, 'missing'), undefined);
    });
  });
}

suite(sqliteBackend('warden-respond-'));
if (!SKIP_PG) suite(postgresBackend('warden_respond'));
