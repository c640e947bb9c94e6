import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { parseDocument } from 'yaml';
import type { Alert } from '../src/model/alert.js';
import { generateScenario, writeScenario } from '../src/scenario/generate.js';
import { cli, tempDir } from './helpers.js';

/**
 * Run time feeds build time, end to end through the CLI: logs from the scenario generator →
 * `warden policy init` → a manifest that validates and, fed back to `warden detect --policy`, raises
 * nothing on the logs it was drawn from and raises runtime.policy.violation on a planted
 * out-of-policy event; then `warden policy suggest` tightens a widened manifest the same way.
 */
const { dir, cleanup } = tempDir('warden-policy-e2e-');
const logs = join(dir, 'logs');
const planted = join(dir, 'planted');
after(cleanup);

interface CloudTrailRecord {
  eventID: string;
  eventName: string;
  eventSource: string;
  eventTime: string;
  userIdentity: { type: string; arn?: string };
  [k: string]: unknown;
}

let template: CloudTrailRecord;

before(() => {
  const scenario = generateScenario({ seed: 21, identities: 12, days: 4, start: '2026-02-02', attacks: [] });
  writeScenario(logs, scenario);
  // An IAM user's ordinary call, to clone into an out-of-policy one.
  for (const f of readdirSync(join(logs, 'cloudtrail')).sort()) {
    const bytes = readFileSync(join(logs, 'cloudtrail', f));
    const text = (bytes[0] === 0x1f ? gunzipSync(bytes) : bytes).toString('utf8');
    const rec = (JSON.parse(text) as { Records: CloudTrailRecord[] }).Records.find(
      (r) => r.userIdentity.type === 'IAMUser' && r.eventSource === 's3.amazonaws.com',
    );
    if (rec) {
      template = rec;
      break;
    }
  }
  assert.ok(template, 'the scenario has an IAM user calling S3');
  mkdirSync(planted);
  const out: CloudTrailRecord = {
    ...template,
    eventID: '00000000-0000-4000-8000-00000000beef',
    eventSource: 'iam.amazonaws.com',
    eventName: 'CreateAccessKey',
  };
  writeFileSync(join(planted, 'planted.json'), JSON.stringify({ Records: [out] }));
});

async function violations(policy: string, inputs: string[]): Promise<Alert[]> {
  const r = await cli(['detect', '--replay', ...inputs, '--policy', policy, '--no-persist', '--format', 'jsonl'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Alert)
    .filter((a) => a.detectionId === 'runtime.policy.violation');
}

describe('policy init and suggest, fed back to detect', () => {
  test('init drafts a manifest that validates and raises nothing on its own logs, and one violation on a planted event', async () => {
    const init = await cli(['policy', 'init', '--logs', 'logs', '-o', 'draft.yaml'], { cwd: dir });
    assert.equal(init.code, 0, init.stderr);
    const valid = await cli(['policy', 'validate', 'draft.yaml'], { cwd: dir });
    assert.equal(valid.code, 0, valid.stderr);
    assert.deepEqual(await violations('draft.yaml', ['logs']), []);

    const raised = await violations('draft.yaml', ['logs', 'planted']);
    assert.equal(raised.length, 1, JSON.stringify(raised.map((a) => a.message)));
    const a = raised[0]!;
    assert.equal(a.evidences[0]!.id, '00000000-0000-4000-8000-00000000beef');
    assert.equal(a.policy?.kind, 'action');
    assert.equal(a.policy?.file, 'draft.yaml');
    assert.match(a.message, /iam:CreateAccessKey.*draft\.yaml:\d+/);
    // The manifest entry it cites is the planted user's.
    const doc = parseDocument(readFileSync(join(dir, 'draft.yaml'), 'utf8')).toJS() as {
      identities: Record<string, { match: string[] }>;
    };
    assert.ok(doc.identities[a.policy!.identity]!.match.includes(template.userIdentity.arn!));

    // The OCSF rendering cites the entry too.
    const ocsf = await cli(['detect', '--replay', 'logs', 'planted', '--policy', 'draft.yaml', '--no-persist'], { cwd: dir });
    const finding = ocsf.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { finding_info: { analytic: { uid: string } }; unmapped: { policy?: { entry: string } } })
      .find((f) => f.finding_info.analytic.uid === 'runtime.policy.violation');
    assert.equal(finding?.unmapped.policy?.entry, `${a.policy!.identity}/allow`);
  });

  test('suggest tightens a widened manifest into one that validates and still catches the planted event', async () => {
    const doc = parseDocument(readFileSync(join(dir, 'draft.yaml'), 'utf8'));
    const name = (doc.toJS() as { identities: Record<string, { match: string[] }> }).identities;
    const user = Object.keys(name).find((k) => name[k]!.match.includes(template.userIdentity.arn!))!;
    doc.setIn(['identities', user, 'allow'], doc.createNode([{ actions: ['*'] }]));
    const wide = doc.toString({ lineWidth: 0 });
    writeFileSync(join(dir, 'wide.yaml'), wide);
    // Wide open, the planted call passes.
    assert.deepEqual(await violations('wide.yaml', ['logs', 'planted']), []);

    const diff = await cli(['policy', 'suggest', 'wide.yaml', '--logs', 'logs', '--days', '30'], { cwd: dir });
    assert.equal(diff.code, 1, diff.stderr);
    assert.match(diff.stdout, /^--- a\/wide\.yaml\n\+\+\+ b\/wide\.yaml\n@@ /);
    assert.match(diff.stdout, /^- {6}- actions:\n- {10}- "\*"\n\+ {6}- actions: \[/m);
    assert.equal(readFileSync(join(dir, 'wide.yaml'), 'utf8'), wide, 'suggest never edits the manifest');

    const proposed = await cli(['policy', 'suggest', 'wide.yaml', '--logs', 'logs', '--format', 'yaml', '-o', 'tight.yaml'], {
      cwd: dir,
    });
    assert.equal(proposed.code, 1, proposed.stderr);
    assert.equal((await cli(['policy', 'validate', 'tight.yaml'], { cwd: dir })).code, 0);
    assert.deepEqual(await violations('tight.yaml', ['logs']), []);
    const raised = await violations('tight.yaml', ['logs', 'planted']);
    assert.deepEqual(
      raised.map((a) => [a.policy?.identity, a.evidences[0]!.id]),
      [[user, '00000000-0000-4000-8000-00000000beef']],
    );

    const sarif = await cli(['policy', 'suggest', 'wide.yaml', '--logs', 'logs', '--format', 'sarif'], { cwd: dir });
    const run = (JSON.parse(sarif.stdout) as { runs: Array<{ results: Array<{ ruleId: string; locations: unknown[] }> }> })
      .runs[0]!;
    assert.ok(run.results.some((r) => r.ruleId === 'policy.suggest.tighten-allow'));
    assert.match(JSON.stringify(run.results[0]!.locations), /wide\.yaml/);
  });

  test('a manifest with no suggestion left: exit 0, empty diff', async () => {
    const r = await cli(['policy', 'suggest', 'tight.yaml', '--logs', 'logs'], { cwd: dir });
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.stdout, '');
  });
});
