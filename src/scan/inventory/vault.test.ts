import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InventoryRelation } from '../../model/inventory.js';
import { vaultPolicyExtractor } from './vault.js';

const rows = (rs: InventoryRelation[]) => rs.map((r) => [r.line, r.kind, r.src.id, r.dst.id, r.props ?? {}]);

test('vault-policy: one grant per path block; deny blocks give nothing; catch-all and sys sudo are admin', async () => {
  const text = `# app policy
path "secret/data/app/*" {
  capabilities = ["read", "list"]
}

path "secret/data/app/admin" {
  capabilities = ["deny"]
}

path "sys/audit" {
  capabilities = ["read", "sudo"]
}

path "+/*" {
  policy = "read"
}
`;
  const p = 'vault-policy:app';
  const got = rows(await vaultPolicyExtractor.extract('vault/policies/app.hcl', text)).sort(
    (a, b) => (a[0] as number) - (b[0] as number),
  );
  assert.deepEqual(got, [
    [2, 'can-access', p, 'vault:secret/data/app/*', { actions: ['read', 'list'], admin: false }],
    [10, 'can-access', p, 'vault:sys/audit', { actions: ['read', 'sudo'], admin: true }],
    [14, 'can-access', p, 'vault:+/*', { actions: ['read', 'list'], admin: true }],
  ]);
});

test('vault-policy: JSON policies', async () => {
  const text = '{\n  "path": {\n    "kv/data/ci/*": { "capabilities": ["read"] }\n  }\n}\n';
  assert.deepEqual(rows(await vaultPolicyExtractor.extract('policies/ci.json', text)), [
    [3, 'can-access', 'vault-policy:ci', 'vault:kv/data/ci/*', { actions: ['read'], admin: false }],
  ]);
});

test('vault-policy: malformed policies give nothing, without throwing', async () => {
  for (const [path, text] of [
    ['policies/a.hcl', 'path "x" {'],
    ['policies/a.hcl', `path "x" { capabilities = ${'['.repeat(400)} }`],
    ['policies/a.json', '{"path": {'],
    ['policies/a.hcl', 'job "x" { }'],
  ]) {
    assert.deepEqual(await vaultPolicyExtractor.extract(path!, text!), []);
  }
});
