import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IdentityEvent } from '../model/identity-event.js';
import { evaluateEvent } from './evaluate.js';
import { parseManifest } from './load.js';
import { observe } from './observe.js';
import { suggestChanges, unifiedDiff } from './suggest.js';

const KEY_ID = ['AK', 'IA', 'EXAMPLEKEYID0077'].join('');
const TEXT = `version: 1
identities:
  exporter:
    owner: data  # the data team
    match: ["arn:aws:iam::123456789012:user/exporter"]
    allow:
      - actions: ["s3:*"]
        resources: ["*"]
      - actions: ["kms:Decrypt"]
    sources:
      networks: ["10.0.0.0/24"]
      regions: [eu-west-1]
`;

function event(action: string, resource: string, ip: string, region: string): IdentityEvent {
  return {
    id: `${action}${ip}`,
    time: '2026-03-02T10:00:00Z',
    source: 'cloudtrail',
    identity: { id: 'arn:aws:iam::123456789012:user/exporter', type: 'iam-user' },
    credential: { key: KEY_ID, type: 'aws-access-key', lifecycle: 'used' },
    action,
    resource: { id: resource },
    outcome: 'success',
    client: { ip, region },
    tags: [],
    raw: {},
  };
}

test('suggest: tighten to what was used, add observed sources, mark a leaked identity short-lived; the result validates and passes its own logs', () => {
  const r = parseManifest(TEXT, 'p.yaml');
  assert.ok(r.ok);
  const events = [
    event('s3:GetObject', 'arn:aws:s3:::exports/2026/a.csv', '10.0.0.7', 'eu-west-1'),
    event('s3:PutObject', 'arn:aws:s3:::exports/2026/b.csv', '192.0.2.10', 'eu-central-1'),
  ];
  const { suggestions, patched } = suggestChanges({
    manifest: r.value,
    texts: new Map([['p.yaml', TEXT]]),
    observations: observe(events),
    leakedKeys: new Set([KEY_ID]),
  });
  assert.deepEqual(suggestions.map((s) => s.ruleId).sort(), [
    'policy.suggest.add-source',
    'policy.suggest.add-source',
    'policy.suggest.mark-short-lived',
    'policy.suggest.tighten-allow',
    'policy.suggest.tighten-allow',
    'policy.suggest.tighten-allow',
  ]);
  const after = patched.get('p.yaml')!;
  assert.match(after, /# the data team/, 'comments survive');
  const again = parseManifest(after, 'p.yaml');
  assert.ok(again.ok, JSON.stringify(!again.ok && again.issues));
  const id = again.value.identities[0]!;
  assert.deepEqual(
    id.allow?.map((a) => [a.actions, a.resources]),
    [[['s3:GetObject', 's3:PutObject'], ['arn:aws:s3:::exports/*']]],
  );
  assert.deepEqual(id.sources?.networks, ['10.0.0.0/24', '192.0.2.0/24']);
  assert.deepEqual(id.sources?.regions, ['eu-west-1', 'eu-central-1']);
  assert.equal(id.credentials?.longLived, false);
  for (const e of events) assert.deepEqual(evaluateEvent(again.value, e)?.violations, []);
  // The diff is what a reviewer sees.
  const diff = unifiedDiff(TEXT, after, 'a/p.yaml', 'b/p.yaml');
  assert.match(diff, /^--- a\/p\.yaml\n\+\+\+ b\/p\.yaml\n@@ -\d+,\d+ \+\d+,\d+ @@\n/);
  assert.match(diff, /^- {6}- actions: \["s3:\*"\]$/m);
  assert.match(diff, /^- {6}- actions: \["kms:Decrypt"\]$/m);
  assert.equal(unifiedDiff(TEXT, TEXT, 'a', 'b'), '');
});
