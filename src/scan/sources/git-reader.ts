import { spawn } from 'node:child_process';
import { parentPort, workerData } from 'node:worker_threads';
import type { ReaderCommand, ReaderConfig, ReaderMessage } from './git-process.js';

// The reader thread of threadedGitPipe (git-process.ts): runs one git process, writes the names the
// scanning thread sends, and passes git's output back in order, as fast as git writes it, holding at
// most `budget` bytes the other thread has not taken (then git waits, as it would on a full pipe).

const config = workerData as ReaderConfig;
const port = parentPort!;
const child = spawn('git', config.args, {
  cwd: config.cwd,
  env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', GIT_NO_LAZY_FETCH: '1' },
  stdio: ['pipe', 'pipe', 'pipe'],
});
let stderr = '';
child.stderr.setEncoding('utf8');
child.stderr.on('data', (text: string) => {
  if (stderr.length < 8192) stderr += text;
});
child.stdin.on('error', () => {});

/**
 * Output is sent in pieces of about this size, or what came within a millisecond: git's pipe reads
 * are a few KiB each, and one message per read costs both threads more than the bytes do.
 */
const PIECE = 1 << 20;
const GATHER_MS = 1;
let held: Buffer[] = [];
let heldBytes = 0;
let unacked = 0;
let paused = false;
let timer: NodeJS.Timeout | undefined;

const send = (msg: ReaderMessage, transfer?: ArrayBuffer[]): void => port.postMessage(msg, transfer);
const flush = (): void => {
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  if (heldBytes === 0) return;
  // A piece of its own (not a view into a shared pool) so its memory moves instead of being copied.
  const piece = new Uint8Array(heldBytes);
  let at = 0;
  for (const b of held) {
    piece.set(b, at);
    at += b.length;
  }
  held = [];
  heldBytes = 0;
  send({ type: 'data', chunk: piece }, [piece.buffer]);
};

child.stdout.on('data', (chunk: Buffer) => {
  held.push(chunk);
  heldBytes += chunk.length;
  unacked += chunk.length;
  if (heldBytes >= PIECE) flush();
  else timer ??= setTimeout(flush, GATHER_MS);
  if (unacked > config.budget && !paused) {
    paused = true;
    child.stdout.pause();
  }
});

let spawnError: Error | undefined;
child.once('error', (error) => {
  spawnError = error;
  flush();
  send({ type: 'closed', code: null, signal: null, error: error.message, stderr });
  port.close();
});
child.once('close', (code, signal) => {
  if (spawnError !== undefined) return;
  flush();
  send({ type: 'closed', code, signal, stderr });
  port.close();
});

port.on('message', (cmd: ReaderCommand) => {
  switch (cmd.type) {
    case 'write':
      if (!child.stdin.destroyed) child.stdin.write(cmd.text);
      break;
    case 'end':
      child.stdin.end();
      break;
    case 'ack':
      unacked -= cmd.bytes;
      if (paused && unacked <= config.budget / 2) {
        paused = false;
        child.stdout.resume();
      }
      break;
    case 'stop':
      child.stdin.destroy();
      child.stdout.destroy();
      if (spawnError === undefined && child.exitCode === null && child.signalCode === null) child.kill();
      break;
  }
});
