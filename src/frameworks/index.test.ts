import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WardenError } from '../model/errors.js';
import { loadSecretRules } from '../scan/secrets/load-rules.js';
import { assertRefsResolve, loadCatalogues, resolveRef } from './index.js';

test('all six framework catalogues load with unique control ids', () => {
  const cats = loadCatalogues();
  assert.deepEqual([...cats.keys()].sort(), [
    'csa-maestro',
    'nist-800-207',
    'nist-ai-rmf',
    'nist-csf-2',
    'owasp-asi',
    'owasp-nhi',
  ]);
  for (const c of cats.values()) {
    assert.equal(new Set(c.controls.map((x) => x.id)).size, c.controls.length, c.id);
  }
  assert.equal(cats.get('owasp-nhi')!.controls.length, 10);
  assert.equal(cats.get('nist-800-207')!.controls.length, 7);
});

test('references resolve to titles from the source', () => {
  assert.equal(resolveRef('owasp-nhi/NHI2:2025')?.control.title, 'Secret Leakage');
  assert.equal(resolveRef('owasp-nhi/NHI7:2025')?.control.title, 'Long-Lived Secrets');
  assert.ok(resolveRef('nist-csf-2/PR.AA-05')?.control.aliases?.includes('PR.AC-4'));
  assert.equal(resolveRef('owasp-nhi/NHI11:2025'), undefined);
  assert.equal(resolveRef('nope/NHI2:2025'), undefined);
  assert.equal(resolveRef('no-slash'), undefined);
});

test('every secret rule maps to frameworks that resolve', () => {
  const rules = loadSecretRules();
  assert.doesNotThrow(() => assertRefsResolve(rules));
  for (const r of rules) assert.ok(r.frameworks.length > 0, `${r.id} has no framework reference`);
});

test('an unknown reference is reported with its owner', () => {
  assert.throws(
    () => assertRefsResolve([{ id: 'secret.x.y', frameworks: ['owasp-nhi/NHI99:2025'] }]),
    (e: unknown) => e instanceof WardenError && e.code === 'WARDEN_FRAMEWORK_REF_UNKNOWN' && e.issues[0]!.path === 'secret.x.y',
  );
});
