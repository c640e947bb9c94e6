import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../src/model/config.js';
import { packageRoot } from '../src/model/package-root.js';
import { runScan } from '../src/scan/index.js';

// The README's quick start scans this repository and must come out clean: test data that looks like a
// credential is assembled at run time, and the deliberately misconfigured posture fixtures are named in
// .wardenignore. A literal slipping into a test file fails here before it fails the quick start.
test('warden scan of this repository finds nothing', async () => {
  const root = packageRoot();
  const { findings } = await runScan({ root, mode: 'tree', config: loadConfig(root) });
  assert.deepEqual(
    findings.map((f) => `${f.path}:${f.line} ${f.ruleId}`),
    [],
  );
});
