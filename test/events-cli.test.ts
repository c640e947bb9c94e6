import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { IdentityEventSchema } from '../src/model/identity-event.js';
import * as agentTrace from '../src/telemetry/parsers/agent-trace.samples.js';
import * as cloudtrail from '../src/telemetry/parsers/cloudtrail.samples.js';
import * as githubAudit from '../src/telemetry/parsers/github-audit.samples.js';
import * as k8sAudit from '../src/telemetry/parsers/k8s-audit.samples.js';
import * as ocsf from '../src/telemetry/parsers/ocsf.samples.js';
import * as okta from '../src/telemetry/parsers/okta.samples.js';
import * as vault from '../src/telemetry/parsers/vault.samples.js';
import { cli, tempDir } from './helpers.js';

const { dir, cleanup } = tempDir();
after(cleanup);

const jsonl = (records: unknown[]) => `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;

describe('warden events', () => {
  test('replays every format mixed in one file, plus a gzipped CloudTrail Records file, into valid events', async () => {
    const mixed = [
      ...vault.sampleRecords(1),
      ...k8sAudit.sampleRecords(1),
      ...githubAudit.sampleRecords(1),
      ...okta.sampleRecords(1),
      ...agentTrace.sampleRecords(1),
      ...ocsf.sampleRecords(1),
    ];
    writeFileSync(join(dir, 'mixed.jsonl'), `${jsonl(mixed)}{"truncated": \nnot json at all\n`);
    writeFileSync(join(dir, 'trail.json.gz'), gzipSync(JSON.stringify({ Records: cloudtrail.sampleRecords(1) })));
    const r = await cli(['events', '--replay', join(dir, 'mixed.jsonl'), join(dir, 'trail.json.gz'), '--stats']);
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const sources = new Set(events.map((e) => e.source));
    assert.deepEqual([...sources].sort(), ['agent-trace', 'cloudtrail', 'github-audit', 'k8s-audit', 'ocsf', 'okta', 'vault']);
    for (const e of events) assert.ok(IdentityEventSchema.safeParse(e).success, JSON.stringify(e).slice(0, 300));
    // The raw pointer leads back to the file and line.
    const fromTrail = events.find((e) => e.source === 'cloudtrail');
    assert.equal(fromTrail.raw.file, join(dir, 'trail.json.gz'));
    // Both bad lines are counted with a reason, and the good records after them still came through.
    assert.match(r.stderr, /unknown\/malformed-json\s+2/);
    assert.match(r.stderr, /records \d+, events \d+/);
  });

  test('--source-type reads standard input as one format; other formats become rejections', async () => {
    const input = jsonl([...okta.sampleRecords(3), ...k8sAudit.sampleRecords(3).slice(0, 2)]);
    const r = await cli(['events', '--replay', '-', '--source-type', 'okta', '--stats'], {
      stdin: Readable.from([Buffer.from(input)]),
    });
    assert.equal(r.code, 0);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(events.length > 0);
    assert.ok(events.every((e) => e.source === 'okta'));
    assert.match(r.stderr, /okta\//);
  });

  test('-o writes to a file; table format is for people; a missing file is exit 2 naming it', async () => {
    const out = join(dir, 'events.jsonl');
    writeFileSync(join(dir, 'k8s.jsonl'), jsonl(k8sAudit.sampleRecords(2)));
    const r = await cli(['events', '--replay', join(dir, 'k8s.jsonl'), '-o', out, '--stats']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '');
    assert.ok(readFileSync(out, 'utf8').split('\n').length > 5);
    const missing = await cli(['events', '--replay', join(dir, 'k8s.jsonl'), join(dir, 'missing.jsonl')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing\.jsonl: no such file/);
    const t = await cli(['events', '--replay', join(dir, 'k8s.jsonl'), '--format', 'table'], { env: { COLUMNS: '160' } });
    assert.match(t.stdout, /k8s-audit/);
  });

  test('no files is a usage error with a hint', async () => {
    const r = await cli(['events']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--replay FILE/);
  });
});
