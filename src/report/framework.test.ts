import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Alert } from '../model/alert.js';
import { upsertAlerts } from '../store/alerts.js';
import { upsertGraphNodes } from '../store/graph.js';
import { openStore } from '../store/store.js';
import { frameworkReport, REPORT_FRAMEWORKS, reportCatalogueId } from './framework.js';
import { frameworkReportHtml } from './framework-html.js';

const T = Date.parse('2026-03-02T10:00:00Z');

function alert(uid: string, detectionId: Alert['detectionId'], identity: string): Alert {
  return {
    uid,
    detectionId,
    title: 'Credential used from a new source',
    severity: 'high',
    message: 'used from a new network',
    identity: { id: identity, type: 'iam-user', name: identity },
    firstSeen: new Date(T).toISOString(),
    lastSeen: new Date(T + 60_000).toISOString(),
    count: 1,
    evidences: [],
    frameworks: [],
    attacks: [],
  } as Alert;
}

test('every report name resolves to a catalogue, catalogue ids are accepted, anything else lists the names', () => {
  for (const [name, id] of Object.entries(REPORT_FRAMEWORKS)) {
    assert.equal(reportCatalogueId(name), id);
    assert.equal(reportCatalogueId(id), id);
  }
  assert.throws(
    () => reportCatalogueId('pci-dss'),
    (e: Error & { code?: string }) => e.code === 'WARDEN_USAGE' && e.message.includes('owasp-nhi, nist-csf'),
  );
});

test('coverage comes from rule and detection references; uncovered controls are reported as gaps', async () => {
  for (const name of Object.keys(REPORT_FRAMEWORKS)) {
    const r = await frameworkReport(name);
    assert.ok(r.controls.length > 0, name);
    assert.equal(r.summary.covered, r.controls.filter((c) => c.rules.length > 0).length);
    assert.equal(r.summary.findings, 0);
  }
  const nhi = await frameworkReport('owasp-nhi');
  const leakage = nhi.controls.find((c) => c.id === 'NHI2:2025')!;
  assert.ok(leakage.covered);
  assert.ok(leakage.rules.some((r) => r.id === 'secret.aws.access-key-id' && r.kind === 'secret'));
  assert.ok(leakage.rules.some((r) => r.id === 'runtime.credential.new-source' && r.kind === 'detection'));
});

test('stored findings and alerts fall under the controls of their rule or detection, counted whole, open apart', async () => {
  const store = await openStore(':memory:');
  try {
    await upsertGraphNodes(store, [
      {
        id: 'finding:f1',
        kind: 'finding',
        label: 'AWS access key id',
        props: {
          ruleId: 'secret.aws.access-key-id',
          severity: 'critical',
          repository: 'acme/api',
          path: 'deploy/<x>.env',
          line: 3,
        },
        firstSeen: T,
        lastSeen: T,
      },
      { id: 'identity:ci', kind: 'identity', label: 'ci', props: {}, firstSeen: T, lastSeen: T },
    ]);
    await upsertAlerts(store, [
      alert('a1', 'runtime.credential.new-source', 'ci'),
      alert('a2', 'runtime.credential.new-source', 'build'),
      alert('a3', 'runtime.identity.rate-spike', 'ci'),
    ]);
    await store.db.updateTable('alerts').set({ status: 'resolved' }).where('uid', '=', 'a2').execute();
    const r = await frameworkReport('owasp-nhi', store);
    const leakage = r.controls.find((c) => c.id === 'NHI2:2025')!;
    assert.equal(leakage.findings.total, 1);
    assert.deepEqual(
      {
        path: leakage.findings.items[0]!.path,
        line: leakage.findings.items[0]!.line,
        repo: leakage.findings.items[0]!.repository,
      },
      { path: 'deploy/<x>.env', line: 3, repo: 'acme/api' },
    );
    assert.equal(leakage.alerts.total, 2);
    assert.equal(leakage.alerts.open, 1);
    assert.deepEqual(leakage.alerts.items.map((a) => a.uid).sort(), ['a1', 'a2']);
    // A control no stored finding's rule maps to gets none of them.
    const offboarding = r.controls.find((c) => c.id === 'NHI1:2025')!;
    assert.equal(offboarding.findings.total, 0);
    // Each finding and alert counts once in the summary, though it falls under several controls.
    assert.deepEqual([r.summary.findings, r.summary.alerts, r.summary.openAlerts], [1, 3, 2]);

    const html = frameworkReportHtml(r);
    assert.match(html, /^<!doctype html>/);
    assert.ok(html.includes('deploy/&lt;x&gt;.env:3'), 'file names are escaped');
    assert.ok(!html.includes('deploy/<x>.env'));
    assert.doesNotMatch(html, /<script|<link|src="http/, 'standalone: no script, no external asset');
    assert.ok(html.includes('id="NHI2:2025"'));
  } finally {
    await store.close();
  }
});
