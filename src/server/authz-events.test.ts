import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { policyServices } from './policy-service.js';
import { testServer } from './testing.js';

const MANIFEST = `version: 1
identities:
  batch-job:
    owner: data-team
    allow:
      - actions: ["s3:GetObject"]
        resources: ["arn:aws:s3:::reports/*"]
`;

// Decisions are answered first and reach the pipeline afterwards, in batches, on the pipeline's own
// thread (a file store): a burst of denials and then an allow must still raise the detection.
for (const store of ['file', 'memory'] as const) {
  test(`decision events reach the detector after the answers (${store} store): denials then an allow raise failures-then-success`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-authz-events-'));
    writeFileSync(join(dir, 'warden.policy.yaml'), MANIFEST);
    const t = await testServer({
      policyFile: join(dir, 'warden.policy.yaml'),
      cwd: dir,
      store: store === 'file' ? join(dir, 'w.db') : ':memory:',
    });
    try {
      assert.equal(t.ctx.pipeline.mode, 'embedded');
      const headers = await t.auth('workload');
      const ask = async (action: string) =>
        (
          await t.app.inject({
            method: 'POST',
            url: '/v1/authorize',
            headers,
            payload: { principal: 'batch-job', action, resource: 'arn:aws:s3:::reports/q3.csv', context: {} },
          })
        ).json() as { decision: string };
      for (let i = 0; i < 30; i++) assert.equal((await ask('s3:DeleteObject')).decision, 'deny');
      assert.equal((await ask('s3:GetObject')).decision, 'allow');

      await policyServices(t.ctx).flush();
      const viewer = await t.auth('viewer');
      let items: unknown[] = [];
      for (let i = 0; i < 100 && items.length === 0; i++) {
        const r = await t.app.inject({
          method: 'GET',
          url: '/v1/alerts?detection=runtime.auth.failures-then-success',
          headers: viewer,
        });
        items = (r.json() as { items: unknown[] }).items;
        if (items.length === 0) await delay(100);
      }
      assert.equal(items.length, 1, 'the burst of denials and the allow raised one alert');
      assert.match(JSON.stringify(items[0]), /batch-job/);
      const status = (await t.app.inject({ method: 'GET', url: '/v1/status', headers: viewer })).json() as {
        ingested: number;
        processed: number;
      };
      assert.ok(status.ingested >= 31, `every decision was ingested (${status.ingested})`);
    } finally {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
