import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { z } from 'zod';
import { IdentityEventSchema } from './identity-event.js';
import { packageRoot } from './package-root.js';

/** The published schema is generated from the zod schema; this keeps the two identical. */
export function identityEventJsonSchema(): string {
  const schema = z.toJSONSchema(IdentityEventSchema, { target: 'draft-2020-12' });
  return `${JSON.stringify({ $id: 'https://warden.invalid/schemas/identity-event.json', title: 'Warden IdentityEvent', ...schema }, null, 2)}\n`;
}

test('docs/identity-event.schema.json is the JSON Schema of IdentityEvent', () => {
  const path = join(packageRoot(), 'docs', 'identity-event.schema.json');
  const want = identityEventJsonSchema();
  // WARDEN_UPDATE_SCHEMA=1 npm test rewrites the published file after a deliberate contract change.
  if (process.env.WARDEN_UPDATE_SCHEMA === '1') writeFileSync(path, want);
  assert.equal(readFileSync(path, 'utf8'), want, 'regenerate with WARDEN_UPDATE_SCHEMA=1 npm test');
});

test('a minimal event validates; a wrong outcome does not', () => {
  const e = {
    id: 'x',
    time: '2026-01-01T00:00:00.000Z',
    source: 'vault',
    identity: { id: 'entity-1', type: 'vault-token' },
    action: 'vault:read',
    outcome: 'success',
    client: {},
    tags: [],
    raw: { file: 'a.log', line: 1 },
  };
  assert.ok(IdentityEventSchema.safeParse(e).success);
  assert.ok(!IdentityEventSchema.safeParse({ ...e, outcome: 'maybe' }).success);
});
