import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cli, tempDir } from './helpers.js';

const { dir, cleanup } = tempDir('warden-report-cli-');
after(cleanup);
const store = join(dir, 'w.db');

test('warden report writes a standalone HTML page and JSON for every framework name', async () => {
  for (const framework of ['owasp-nhi', 'nist-csf', 'nist-800-207', 'owasp-agentic', 'csa-maestro', 'nist-ai-rmf']) {
    const html = join(dir, `${framework}.html`);
    const r = await cli(['report', '--framework', framework, '--format', 'html', '-o', html, '--store', store]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /controls covered/);
    const page = readFileSync(html, 'utf8');
    assert.match(page, /^<!doctype html>/);
    assert.match(page, /<style>/);
    assert.doesNotMatch(page, /<script|<link /);
    const json = await cli(['report', '--framework', framework, '--format', 'json', '--store', store]);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout) as { framework: { name: string }; controls: Array<{ covered: boolean }> };
    assert.equal(report.framework.name, framework);
    assert.ok(report.controls.some((c) => c.covered));
  }
});

test('warden report: an unknown framework exits 2 with the list; a missing output folder exits 2 naming it', async () => {
  const r = await cli(['report', '--framework', 'pci', '--store', store]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /owasp-nhi, nist-csf, nist-800-207, owasp-agentic, csa-maestro, nist-ai-rmf/);
  const missing = join(dir, 'nope', 'r.html');
  const m = await cli(['report', '--framework', 'owasp-nhi', '-o', missing, '--store', store]);
  assert.equal(m.code, 2);
  assert.ok(m.stderr.includes(join(dir, 'nope')));
  assert.ok(!existsSync(missing));
});
