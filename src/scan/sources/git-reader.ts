import { parentPort, workerData } from 'node:worker_threads';
import { type ReaderCommand, type ReaderConfig, type ReaderMessage, spawnGit } from './git-process.js';

// The reader thread of threadedGitPipe (git-process.ts): runs one git process, writes the names the
// scanning thread sends, and passes git's output back in order, as fast as git writes it, holding at
// most `budget` bytes the other thread has not taken (then git waits, as it would on a full pipe).

const config = workerData as ReaderConfig;
const port = parentPort!;
const git = spawnGit(config.cwd, config.args);
const child = git.child;

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

void git.closed.then((exit) => {
  flush();
  const closed: ReaderMessage = { type: 'closed', code: exit.code, signal: exit.signal, stderr: git.stderr() };
  // The error crosses as its message and errno code (ENOENT: git is not installed).
  if (exit.error !== undefined) {
    closed.error = exit.error.message;
    const errno = (exit.error as NodeJS.ErrnoException).code;
    if (errno !== undefined) closed.errno = errno;
  }
  send(closed);
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
      void git.stop();
      break;
  }
});
