import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Alert } from '../src/model/alert.js';
import { cli, tempDir } from './helpers.js';

/**
 * Detection rules as data from the command line (CONTRACTS §6): `warden detect --rules`, `detect.rules`
 * in the config, `warden rules validate --format json`, and the bundled pack on by default.
 */
const { dir, cleanup } = tempDir();
after(cleanup);

const rules = join(dir, 'sigma');
mkdirSync(rules);
writeFileSync(
  join(rules, 'exec.yml'),
  `title: Remote command execution in a pod
id: 0b9f3c4e-1111-4e2a-9c1b-5d7e8f9a0b1c
status: experimental
tags:
  - attack.execution
  - attack.t1609
logsource:
  category: application
  product: kubernetes
  service: audit
detection:
  selection:
    verb: create
    objectRef.resource: pods
    objectRef.subresource: exec
  condition: selection
level: high
`,
);
writeFileSync(
  join(rules, 'bad.yml'),
  `title: catastrophic
logsource:
  product: github
  service: audit
detection:
  sel:
    action|re: '(a+)+$'
  condition: sel
---
title: windows
logsource:
  product: windows
  category: process_creation
detection:
  sel:
    Image|endswith: '\\\\cmd.exe'
  condition: sel
`,
);
const pack = JSON.parse(
  readFileSync(new URL('../../rules/detections/kubernetes/examples/k8s-exec-into-pod.json', import.meta.url), 'utf8'),
) as {
  rule: string;
  match: unknown[];
  nomatch: unknown[];
};
const log = join(dir, 'audit.jsonl');
writeFileSync(log, `${[...pack.match, ...pack.nomatch].map((r) => JSON.stringify(r)).join('\n')}\n`);

const alertsOf = (stdout: string) =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Alert);

describe('Sigma rules on the command line', () => {
  test('rules validate reports what loaded and what is unsupported, with reasons', async () => {
    const r = await cli(['rules', 'validate', rules, '--format', 'json']);
    assert.equal(r.code, 0);
    const out = JSON.parse(r.stdout) as { loaded: number; unsupported: Array<{ path: string; reason: string }> };
    assert.equal(out.loaded, 1);
    assert.equal(out.unsupported.length, 2);
    assert.ok(out.unsupported.every((u) => u.path.includes('bad.yml') && u.reason.length > 0));
    assert.match(out.unsupported.map((u) => u.reason).join('\n'), /nested quantifiers/);
    assert.match(out.unsupported.map((u) => u.reason).join('\n'), /logsource/);
    assert.equal((await cli(['rules', 'validate', rules, '--strict'])).code, 1);
    const missing = await cli(['rules', 'validate', join(dir, 'nope')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope/);
  });

  test('detect --rules raises an alert per matched rule: title, id as analytic uid, level, ATT&CK, evidences', async () => {
    const r = await cli(['detect', '--replay', log, '--rules', rules, '--no-persist', '--format', 'jsonl']);
    assert.equal(r.code, 0, r.stderr);
    const alerts = alertsOf(r.stdout);
    const mine = alerts.find((a) => a.detectionId === '0b9f3c4e-1111-4e2a-9c1b-5d7e8f9a0b1c');
    assert.ok(mine, JSON.stringify(alerts.map((a) => a.title)));
    assert.equal(mine.title, 'Remote command execution in a pod');
    assert.equal(mine.severity, 'high');
    assert.deepEqual(
      mine.attacks.map((a) => [a.id, a.tactic]),
      [['T1609', 'Execution']],
    );
    // The rule has no filter for denied requests: the exec (line 1) and the denied exec (line 3) are its evidences.
    assert.deepEqual(
      mine.evidences.map((e) => e.raw.line),
      [1, 3],
    );
    assert.ok(mine.evidences.every((e) => e.id.length > 0));
    // The bundled pack is on by default.
    assert.ok(alerts.some((a) => a.detectionId === pack.rule));
    const ocsf = await cli(['detect', '--replay', log, '--rules', rules, '--no-persist', '--format', 'ocsf']);
    const finding = ocsf.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .find((f) => f.finding_info.analytic.uid === '0b9f3c4e-1111-4e2a-9c1b-5d7e8f9a0b1c');
    assert.equal(finding.finding_info.title, 'Remote command execution in a pod');
    assert.equal(finding.finding_info.analytic.type, 'Rule');
  });

  test('detect.rules in the config, --no-builtin-rules, and a missing rules path', async () => {
    const cwd = join(dir, 'proj');
    mkdirSync(cwd);
    writeFileSync(join(cwd, 'warden.config.yaml'), `detect:\n  rules: [${JSON.stringify(rules)}]\n  builtinRules: false\n`);
    const r = await cli(['detect', '--replay', log, '--no-persist', '--format', 'jsonl'], { cwd });
    assert.equal(r.code, 0, r.stderr);
    const ids = alertsOf(r.stdout).map((a) => a.detectionId);
    assert.ok(ids.includes('0b9f3c4e-1111-4e2a-9c1b-5d7e8f9a0b1c'));
    assert.ok(!ids.includes(pack.rule));
    const none = await cli(['detect', '--replay', log, '--no-persist', '--no-builtin-rules', '--format', 'jsonl']);
    assert.ok(!alertsOf(none.stdout).some((a) => a.detectionId === pack.rule));
    const missing = await cli(['detect', '--replay', log, '--no-persist', '--rules', join(dir, 'absent')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /absent/);
  });
});
