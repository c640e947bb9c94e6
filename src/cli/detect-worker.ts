/**
 * The thread `warden detect --replay` runs on (see detect-thread.ts): rebuilds the caller's IO from
 * plain data, writing through messages, and runs the command here. Loaded only as a worker_threads entry.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { toErrorData } from '../model/errors.js';
import { runDetect } from './detect-command.js';
import type { DetectThreadData, DetectThreadMessage } from './detect-thread.js';
import type { CliIO } from './io.js';

const port = parentPort;
if (port === null) throw new Error('detect-worker runs as a worker thread');
const data = workerData as DetectThreadData;
const post = (m: DetectThreadMessage) => port.postMessage(m);
const io: CliIO = {
  stdout: (text) => post({ op: 'out', text }),
  stderr: (text) => post({ op: 'err', text }),
  stdin: process.stdin,
  stdoutIsTTY: data.stdoutIsTTY,
  stderrIsTTY: data.stderrIsTTY,
  columns: data.columns,
  env: data.env,
  cwd: data.cwd,
};
runDetect(data.flags, io).then(
  (code) => post({ op: 'done', code }),
  (error: unknown) => post({ op: 'failed', ...toErrorData(error) }),
);
