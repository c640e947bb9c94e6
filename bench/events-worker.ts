import { parentPort, workerData } from 'node:worker_threads';
import { emptyTelemetryStats, normalizeRecords, recordsOfFiles } from '../src/telemetry/normalize.js';

// One share of the bench:events files, normalised on this thread; the count goes back to the bench.
let events = 0;
for await (const _ of normalizeRecords(
  recordsOfFiles(workerData as string[], (async function* () {})()),
  {},
  emptyTelemetryStats(),
))
  events++;
parentPort!.postMessage(events);
