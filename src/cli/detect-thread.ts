import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { type ErrorData, fromErrorData } from '../model/errors.js';
import { EVENT_PATH_YOUNG_GENERATION_MB } from '../model/heap.js';
import { expandInputs } from '../telemetry/inputs.js';
import type { DetectFlags } from './detect-command.js';
import type { CliIO } from './io.js';

/** What the replay thread starts with: the flags and the caller's IO settings, all plain data. */
export interface DetectThreadData {
  flags: DetectFlags;
  cwd: string;
  env: Record<string, string | undefined>;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  columns: number | undefined;
}

/** What the replay thread says: output in order, then how it ended. */
export type DetectThreadMessage =
  | { op: 'out' | 'err'; text: string }
  | { op: 'done'; code: number }
  | ({ op: 'failed' } & ErrorData);

/**
 * Input smaller than this (decompressed) replays on the calling thread: a thread's start (its own copy of the
 * modules, 0.2–0.35 s on a 2-core machine) costs more than its larger young generation saves there
 * (~2–3 ms per MB of logs on bench:detect's estate, where the two break even near 150 MB).
 */
export const THREAD_MIN_BYTES = 128 * 2 ** 20;

/**
 * Whether `warden detect` runs on a thread of its own: a replay of files of at least `minBytes` does,
 * gzip files counted by their decompressed size (the event path wants a larger young generation than
 * the main thread's, fixed at start); following files stays here (it handles SIGINT and SIGTERM,
 * which only the main thread receives), and so does a replay of standard input (read by this thread).
 * The files counted are those the replay reads (expandInputs); one that cannot be read counts nothing
 * and is reported by the replay, wherever it runs.
 */
export function replaysOnThread(flags: DetectFlags, cwd: string, minBytes = THREAD_MIN_BYTES): boolean {
  if (flags.follow?.length || !flags.replay?.length || flags.replay.includes('-')) return false;
  let files: string[];
  try {
    // The files the replay will read, found as it finds them (hidden entries skipped).
    files = expandInputs(flags.replay.map((p) => resolve(cwd, p)));
  } catch {
    return false;
  }
  let total = 0;
  for (const file of files) {
    total += replayedBytes(file);
    if (total >= minBytes) return true;
  }
  return false;
}

/**
 * About how many bytes a replay of the file reads: its size, or for a gzip file the size its trailer
 * gives (ISIZE, the input's length modulo 2^32, of the last member), since the replay's work follows
 * the decompressed bytes (a CloudTrail `.json.gz` holds about ten times its size). 0 when it cannot be
 * read (the replay reports it).
 */
function replayedBytes(path: string): number {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const b = Buffer.alloc(4);
    if (size < 18 || readSync(fd, b, 0, 2, 0) !== 2 || b[0] !== 0x1f || b[1] !== 0x8b) return size;
    if (readSync(fd, b, 0, 4, size - 4) !== 4) return size;
    return Math.max(size, b.readUInt32LE(0));
  } catch {
    return 0;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Runs `warden detect` on a thread whose young generation fits the event path
 * (EVENT_PATH_YOUNG_GENERATION_MB): the same work, the same output and exit code, its output passed
 * to `io` in the order written, its errors rethrown here as they were thrown there.
 * @example const code = await runDetectOnThread({ replay: ['logs/'], persist: false, minSeverity: 'low' }, io)
 */
export function runDetectOnThread(flags: DetectFlags, io: CliIO): Promise<number> {
  const data: DetectThreadData = {
    flags,
    cwd: io.cwd,
    env: { ...io.env },
    stdoutIsTTY: io.stdoutIsTTY,
    stderrIsTTY: io.stderrIsTTY,
    columns: io.columns,
  };
  return new Promise<number>((resolve, reject) => {
    let settled = false;
    const worker = new Worker(new URL('./detect-worker.js', import.meta.url), {
      workerData: data,
      resourceLimits: { maxYoungGenerationSizeMb: EVENT_PATH_YOUNG_GENERATION_MB },
    });
    worker.on('message', (m: DetectThreadMessage) => {
      if (m.op === 'out') io.stdout(m.text);
      else if (m.op === 'err') io.stderr(m.text);
      else if (m.op === 'done') {
        settled = true;
        resolve(m.code);
      } else if (m.op === 'failed') {
        settled = true;
        reject(fromErrorData(m));
      }
    });
    worker.on('error', (error) => {
      if (settled) return;
      settled = true;
      reject(error);
    });
    worker.on('exit', (code) => {
      if (settled) return;
      settled = true;
      reject(new Error(`the detection thread ended without an answer (exit code ${code})`));
    });
  });
}
