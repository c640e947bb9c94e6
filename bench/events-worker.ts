import { parentPort, workerData } from 'node:worker_threads';
import { emptyTelemetryStats, normalizeBatches, recordBatchesOfFiles } from '../src/telemetry/normalize.js';

// One share of the bench:events files, normalised on this thread; the count goes back to the bench.
let events = 0;
for await (const batch of normalizeBatches(
  recordBatchesOfFiles(workerData as string[], (async function* () {})()),
  {},
  emptyTelemetryStats(),
))
  events += batch.length;
parentPort!.postMessage(events);
