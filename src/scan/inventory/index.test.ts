import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InventoryRelationSchema } from '../../model/inventory.js';
import { compareRelations, EXTRACTORS, extractInventory, inventoryAccepts } from './index.js';
import type { InventoryExtractor } from './types.js';

const SA = 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: api\n  labels:\n    owner: Core\n';

test('extractInventory: relations match the model schema and every extractor is listed once', async () => {
  const rs = await extractInventory('k8s/sa.yaml', SA);
  assert.equal(rs.length, 1);
  for (const r of rs) InventoryRelationSchema.parse(r);
  assert.deepEqual(
    EXTRACTORS.map((e) => e.id),
    ['kubernetes', 'terraform', 'cloudformation', 'iam-json', 'github-actions', 'vault-policy'],
  );
});

test('extractInventory: an extractor that throws costs only its own relations; duplicates are dropped', async () => {
  const boom: InventoryExtractor = {
    id: 'boom',
    accepts: () => true,
    extract: () => {
      throw new Error('parser bug');
    },
  };
  const twice: InventoryExtractor = {
    id: 'twice',
    accepts: () => true,
    extract: (path, text) => EXTRACTORS[0]!.extract(path, text),
  };
  const rs = await extractInventory('k8s/sa.yaml', SA, [boom, EXTRACTORS[0]!, twice]);
  assert.deepEqual(
    rs.map((r) => [r.kind, r.src.id, r.dst.id]),
    [['owned-by', 'system:serviceaccount:default:api', 'core']],
  );
});

test('inventoryAccepts: by path and head', () => {
  assert.equal(inventoryAccepts('main.tf', ''), true);
  assert.equal(inventoryAccepts('.github/workflows/ci.yml', ''), true);
  assert.equal(inventoryAccepts('k8s/app.yaml', 'apiVersion: v1\nkind: Pod\n'), true);
  assert.equal(inventoryAccepts('iam/p.json', '{"Statement": []}'), true);
  assert.equal(inventoryAccepts('README.md', 'apiVersion: v1\nkind: Pod\n'), false);
  assert.equal(inventoryAccepts('config.yaml', 'name: x\n'), false);
});

test('compareRelations: path, line, kind, source id, destination id', () => {
  const r = (path: string, line: number, kind: 'runs-as' | 'owned-by', src: string, dst: string) => ({
    kind,
    path,
    line,
    src: { kind: 'workload' as const, id: src },
    dst: { kind: 'identity' as const, id: dst },
  });
  const list = [
    r('b', 1, 'runs-as', 'a', 'a'),
    r('a', 2, 'runs-as', 'a', 'a'),
    r('a', 2, 'owned-by', 'z', 'a'),
    r('a', 2, 'owned-by', 'a', 'b'),
    r('a', 2, 'owned-by', 'a', 'a'),
  ];
  assert.deepEqual(
    list.sort(compareRelations).map((x) => `${x.path}:${x.line}:${x.kind}:${x.src.id}:${x.dst.id}`),
    ['a:2:owned-by:a:a', 'a:2:owned-by:a:b', 'a:2:owned-by:z:a', 'a:2:runs-as:a:a', 'b:1:runs-as:a:a'],
  );
});

test('extractInventory: hostile input in every accepted format gives no relation and no throw', async () => {
  const junk = ['\u0000\u0001', '{'.repeat(5000), '- '.repeat(3000), 'a: &a [*a]\n', '%YAML 9\n---\n'];
  for (const path of ['main.tf', 'k8s/x.yaml', 'cfn/t.yaml', 'iam/p.json', '.github/workflows/x.yml', 'policies/x.hcl']) {
    for (const text of junk)
      assert.deepEqual(await extractInventory(path, text, EXTRACTORS), [], `${path}: ${JSON.stringify(text.slice(0, 20))}`);
  }
});
