import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPostureContext } from './context.js';
import { loadPostureRules } from './load-rules.js';
import { vaultPolicyAnalyzer } from './vault-policy.js';

/** Rule ids raised by one `path` block with the given capabilities. */
async function rulesFor(path: string, caps: string[], file = 'policies/app.hcl'): Promise<string[]> {
  const text = `path "${path}" {\n  capabilities = [${caps.map((c) => `"${c}"`).join(', ')}]\n}\n`;
  const run = createPostureContext(file, text, loadPostureRules());
  await vaultPolicyAnalyzer.analyze(run.ctx);
  assert.deepEqual(run.malformed, []);
  return [...new Set(run.findings.map((f) => f.ruleId))].sort();
}

const cases: Array<[string, string[], string[]]> = [
  ['secret/data/app/*', ['read', 'list'], []],
  ['secret/data/app/*', ['create', 'update'], []],
  ['secret/data/+/config', ['read'], ['posture.vault.mount-wide-read']],
  ['secret/data/*', ['read'], ['posture.vault.mount-wide-read']],
  ['secret/metadata/*', ['read', 'list'], []],
  ['secret/metadata/*', ['delete'], ['posture.vault.mount-wide-write']],
  ['kv/*', ['update'], ['posture.vault.mount-wide-write']],
  ['database/creds/*', ['read'], ['posture.vault.mount-wide-read']],
  ['database/creds/app', ['read'], []],
  ['transit/encrypt/*', ['update'], []],
  ['cubbyhole/*', ['create', 'read', 'update', 'delete'], []],
  ['+/*', ['list'], ['posture.vault.catch-all-path']],
  ['*', ['read'], ['posture.vault.catch-all-path']],
  ['sys/policies/acl/app', ['read'], []],
  ['sys/policies/acl/*', ['update'], ['posture.vault.sys-auth-write']],
  ['sys/audit/*', ['sudo', 'read'], ['posture.vault.sudo-capability']],
  ['auth/token/renew-self', ['update'], []],
  ['auth/approle/role/ci/secret-id', ['update'], []],
  ['auth/approle/role/*', ['update'], ['posture.vault.sys-auth-write']],
  ['secret/*', ['deny'], []],
];
for (const [path, caps, expected] of cases) {
  test(`vault: path "${path}" [${caps.join(', ')}] -> ${expected.join(', ') || 'clean'}`, async () => {
    assert.deepEqual(await rulesFor(path, caps), expected);
  });
}

test('vault: a policy named for administrators may manage sys/ but not hold a catch-all', async () => {
  assert.deepEqual(await rulesFor('sys/mounts/*', ['create', 'update', 'sudo'], 'policies/vault-admin.hcl'), []);
  assert.deepEqual(await rulesFor('*', ['sudo'], 'policies/vault-admin.hcl'), ['posture.vault.catch-all-path']);
});

test('vault: accepts policy HCL, not Terraform or Nomad files', () => {
  assert.ok(vaultPolicyAnalyzer.accepts('vault/app.hcl', 'path "secret/*" {\n'));
  assert.ok(vaultPolicyAnalyzer.accepts('policies/app.json', '{ "path": { "secret/*": { "capabilities": ["read"] } } }'));
  assert.ok(!vaultPolicyAnalyzer.accepts('terragrunt.hcl', 'include "root" {\n  path = find_in_parent_folders()\n}'));
  assert.ok(!vaultPolicyAnalyzer.accepts('main.tf', 'path "x" {'));
});
