import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { ERROR_CODES, fromErrorData, toErrorData, WardenError } from './errors.js';
import { packageRoot } from './package-root.js';

test('docs/errors.md documents exactly the error codes the code defines', () => {
  const doc = readFileSync(join(packageRoot(), 'docs/errors.md'), 'utf8');
  const documented = [...doc.matchAll(/^\| `(WARDEN_[A-Z_]+)` \|/gm)].map((m) => m[1]);
  assert.deepEqual([...documented].sort(), [...ERROR_CODES].sort());
});

test('WardenError carries a code and the issues', () => {
  const e = new WardenError('WARDEN_USAGE', 'bad', [{ path: 'a', message: 'b' }]);
  assert.equal(e.code, 'WARDEN_USAGE');
  assert.equal(e.issues.length, 1);
  assert.ok(e instanceof Error);
});

test('an error crosses a thread as data and comes back as the same kind, code, message and issues', async () => {
  const cross = (e: unknown) =>
    new Promise<Error>((resolve, reject) => {
      // A real structured clone, as the threads' messages take.
      const w = new Worker(
        'require("node:worker_threads").parentPort.on("message", (m) => { require("node:worker_threads").parentPort.postMessage(m); })',
        {
          eval: true,
        },
      );
      w.once('message', (m) => {
        void w.terminate();
        resolve(fromErrorData(m));
      });
      w.once('error', reject);
      w.postMessage(toErrorData(e));
    });
  const issues = [{ path: 'severity.x', message: 'no rule matches "x"' }];
  const back = await cross(new WardenError('WARDEN_CONFIG_INVALID', 'the config names rules that do not exist', issues));
  assert.ok(back instanceof WardenError);
  assert.equal(back.code, 'WARDEN_CONFIG_INVALID');
  assert.equal(back.message, 'the config names rules that do not exist');
  assert.deepEqual(back.issues, issues);
  const plain = await cross(new TypeError('boom'));
  assert.ok(!(plain instanceof WardenError));
  assert.equal(plain.message, 'boom');
  // A thrown non-error still says what it was; a code that is not Warden's makes no WardenError.
  assert.equal((await cross('just a string')).message, 'just a string');
  assert.ok(!((await cross(Object.assign(new Error('nope'), { code: 'ENOENT' }))) instanceof WardenError));
});
