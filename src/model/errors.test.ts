import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ERROR_CODES, WardenError } from './errors.js';
import { packageRoot } from './package-root.js';

test('docs/errors.md documents exactly the error codes the code defines', () => {
  const doc = readFileSync(join(packageRoot(), 'docs/errors.md'), 'utf8');
  const documented = [...doc.matchAll(/^\| `(WARDEN_[A-Z_]+)` \|/gm)].map((m) => m[1]);
  assert.deepEqual([...documented].sort(), [...ERROR_CODES].sort());
});

test('WardenError carries a code and the issues', () => {
  const e = new WardenError('WARDEN_USAGE', 'bad', [{ path: 'a', message: 'b' }]);
  assert.equal(e.code, 'WARDEN_USAGE');
  assert.equal(e.issues.length, 1);
  assert.ok(e instanceof Error);
});
