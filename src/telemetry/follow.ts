import { type FileHandle, open, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { expand, type RawRecord } from './read.js';

interface Tail {
  path: string;
  fh?: FileHandle | undefined;
  ino?: number | undefined;
  pos: number;
  partial: Buffer[];
  line: number;
}

export interface FollowOptions {
  /** How often files are checked for new data, rotation and truncation. */
  pollMs?: number;
  /** Stops following (the generator then returns). */
  signal?: AbortSignal | undefined;
  /** Start at the end of files that exist already instead of reading them whole first. */
  fromEnd?: boolean;
}

async function readNew(t: Tail): Promise<Buffer[]> {
  if (!t.fh) return [];
  const out: Buffer[] = [];
  for (;;) {
    const buf = Buffer.allocUnsafe(1 << 20);
    const { bytesRead } = await t.fh.read(buf, 0, buf.length, t.pos);
    if (bytesRead === 0) return out;
    t.pos += bytesRead;
    out.push(buf.subarray(0, bytesRead));
  }
}

function* lines(t: Tail, chunks: Buffer[]): Generator<RawRecord> {
  for (const chunk of chunks) {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      const text = Buffer.concat([...t.partial, chunk.subarray(start, nl)])
        .toString('utf8')
        .trim();
      t.partial = [];
      start = nl + 1;
      t.line++;
      if (text.length === 0) continue;
      const origin = { file: t.path, line: t.line };
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        yield { error: 'malformed-json', detail: (err as Error).message.slice(0, 120), origin };
        continue;
      }
      yield* expand(value, origin);
    }
    if (start < chunk.length) t.partial.push(chunk.subarray(start));
  }
}

/**
 * Follows JSON-lines log files as they grow, like `tail -F`: a file that is truncated is read again
 * from its start; a file that is rotated (renamed, and a new one created under the name) is read to
 * its end before the new one is opened, so no line is lost across rotation. A partial last line waits
 * for its newline.
 * @example for await (const r of followFiles(['/var/log/vault_audit.log'], { signal })) …
 */
export async function* followFiles(paths: readonly string[], options: FollowOptions = {}): AsyncGenerator<RawRecord> {
  const pollMs = options.pollMs ?? 250;
  const tails: Tail[] = paths.map((path) => ({ path, pos: 0, partial: [], line: 0 }));
  try {
    let first = true;
    while (!options.signal?.aborted) {
      for (const t of tails) {
        let st: Awaited<ReturnType<typeof stat>> | undefined;
        try {
          st = await stat(t.path);
        } catch {
          st = undefined; // rotated away and not yet recreated: keep draining the old handle
        }
        if (st && t.ino !== undefined && st.ino !== t.ino) {
          // Rotation: finish the old file, then start the new one from its beginning.
          yield* lines(t, await readNew(t));
          await t.fh?.close();
          t.fh = undefined;
        }
        if (st && t.fh === undefined) {
          try {
            t.fh = await open(t.path, 'r');
            t.ino = st.ino;
            t.pos = first && options.fromEnd ? st.size : 0;
            t.partial = [];
            t.line = 0;
          } catch {
            continue;
          }
        } else if (st && st.size < t.pos) {
          // Truncation (copytruncate rotation): start again from the top.
          t.pos = 0;
          t.partial = [];
          t.line = 0;
        }
        yield* lines(t, await readNew(t));
      }
      first = false;
      try {
        await sleep(pollMs, undefined, { signal: options.signal });
      } catch {
        return; // aborted
      }
    }
  } finally {
    for (const t of tails) await t.fh?.close();
  }
}
