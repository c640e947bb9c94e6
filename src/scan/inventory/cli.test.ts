import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { memoryIO, run } from '../../cli/index.js';
import { parseConfig } from '../../model/config.js';
import { InventoryRelationSchema } from '../../model/inventory.js';
import { runScan } from '../index.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-inventory-'));

before(() => {
  mkdirSync(join(dir, 'deploy'));
  writeFileSync(
    join(dir, 'deploy/app.yaml'),
    `apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
  namespace: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: { app: web }
  template:
    spec:
      serviceAccountName: web
      automountServiceAccountToken: false
      containers:
        - name: web
          image: registry.example/web:1.0
`,
  );
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('warden scan --format json: the report carries the inventory with the runs-as edge', async () => {
  const io = memoryIO({ cwd: dir });
  const code = await run(['scan', dir, '--format', 'json', '--no-progress'], io);
  assert.equal(code, 0, io.err());
  const report = JSON.parse(io.out());
  assert.ok(Array.isArray(report.inventory));
  for (const r of report.inventory) InventoryRelationSchema.parse(r);
  const runsAs = report.inventory.filter((r: { kind: string }) => r.kind === 'runs-as');
  assert.deepEqual(
    runsAs.map((r: { src: { id: string }; dst: { id: string }; path: string; line: number }) => [
      r.path,
      r.line,
      r.src.id,
      r.dst.id,
    ]),
    [['deploy/app.yaml', 17, 'k8s:shop/deployment/web', 'system:serviceaccount:shop:web']],
  );
});

test('warden scan --format sarif: no inventory in other formats', async () => {
  const io = memoryIO({ cwd: dir });
  await run(['scan', dir, '--format', 'sarif', '--no-progress'], io);
  assert.ok(!io.out().includes('"inventory"'));
});

test('runScan: inventory through worker threads matches the calling thread, sorted', async () => {
  const many = join(dir, 'many');
  mkdirSync(many);
  for (let i = 0; i < 80; i++) {
    writeFileSync(
      join(many, `sa-${String(i).padStart(2, '0')}.yaml`),
      `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa${i}\n  labels:\n    team: t${i % 3}\n`,
    );
  }
  const opts = { root: many, mode: 'tree' as const, config: parseConfig({}), inventory: true };
  const threaded = await runScan({ ...opts, threads: 2, eagerWorkers: true });
  const local = await runScan({ ...opts, threads: 0 });
  assert.equal(threaded.inventory.length, 80);
  assert.deepEqual(threaded.inventory, local.inventory);
  assert.deepEqual(
    threaded.inventory.slice(0, 2).map((r) => [r.path, r.src.id, r.dst.id]),
    [
      ['sa-00.yaml', 'system:serviceaccount:default:sa0', 't0'],
      ['sa-01.yaml', 'system:serviceaccount:default:sa1', 't1'],
    ],
  );
  const none = await runScan({ ...opts, inventory: false, threads: 0 });
  assert.deepEqual(none.inventory, []);
});
