export {
  alertSubject,
  type Bus,
  type BusNames,
  busNames,
  connectBus,
  eventSubject,
  messageId,
  partitionConsumer,
} from './nats.js';
export { type BusPipeline, busPipelineFactory, createBusPipeline, WORKER_LIVE_MS } from './pipeline.js';
export { runWorker, type WorkerOptions, type WorkerStats } from './worker.js';
