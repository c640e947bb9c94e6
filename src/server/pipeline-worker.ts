/**
 * The embedded pipeline's thread (see pipeline-thread.ts): opens its own connection to the store,
 * builds the same detector as `warden serve` would in process, and answers the request thread's
 * messages (accept, status, ready, idle, close). Loaded only as a worker_threads entry.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { DetectorOptions } from '../detect/engine.js';
import { manifestDetectorOptions } from '../detect/policy-violation.js';
import { DetectConfigSchema } from '../model/config.js';
import { toErrorData } from '../model/errors.js';
import { loadManifest } from '../policy/load.js';
import type { QueueRow } from '../store/queue-rows.js';
import { openStore } from '../store/store.js';
import { createEmbeddedPipeline } from './embedded.js';
import type { PipelineThreadData, ThreadReply, ThreadRequest } from './pipeline-thread.js';

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('pipeline-worker runs as a worker thread');
  const data = workerData as PipelineThreadData;
  const store = await openStore(data.store, { dir: data.cwd });
  const manifest = data.policyFile === undefined ? undefined : loadManifest(data.policyFile, data.cwd);
  // The config arrives with the manifest's declared changes already in it; what cannot cross a thread
  // (the expectations, who each identity is) is rebuilt here from the same manifest.
  const declared = manifestDetectorOptions(manifest, data.config ?? DetectConfigSchema.parse({}));
  const detect: DetectorOptions = {
    learnUntil: data.learnUntil,
    config: data.config,
    severity: data.severity,
    expectations: declared.expectations,
    ownerOf: declared.ownerOf,
    nameOf: declared.nameOf,
  };
  const pipeline = createEmbeddedPipeline(store, detect, data.partitions, (error) =>
    port.postMessage({ op: 'error', message: (error as Error).message } satisfies ThreadReply),
  );
  const reply = (m: ThreadReply) => port.postMessage(m);
  port.on('message', (m: ThreadRequest) => {
    const run = async (): Promise<unknown> => {
      switch (m.op) {
        case 'accept':
          return pipeline.acceptRows(m.rows as QueueRow[], m.record);
        case 'status':
          return pipeline.status();
        case 'ready':
          return pipeline.ready();
        case 'idle':
          return pipeline.idle();
        case 'close':
          await pipeline.close();
          await store.close();
          return undefined;
      }
    };
    run().then(
      (value) => {
        reply({ id: m.id, ok: true, value });
        if (m.op === 'close') port.close();
      },
      (error: unknown) => {
        reply({ id: m.id, ok: false, ...toErrorData(error) });
      },
    );
  });
  reply({ op: 'started' });
}

main().catch((error: unknown) => {
  parentPort?.postMessage({ op: 'failed', message: (error as Error).message } satisfies ThreadReply);
});
