import type { Readable } from 'node:stream';
import type { OnSkip, ScanItem } from './types.js';

/** Standard input as one item, read up to `maxFileSize` bytes; more than that is skipped as too large. */
export async function* stdinItems(input: Readable, maxFileSize: number, name = '-', onSkip?: OnSkip): AsyncGenerator<ScanItem> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += b.length;
    // Keep reading (so the writer is not blocked) but stop holding bytes once over the limit.
    if (size <= maxFileSize) chunks.push(b);
  }
  if (size > maxFileSize) {
    onSkip?.(name, 'too-large', `${size} bytes`);
    return;
  }
  yield { path: name, data: Buffer.concat(chunks, size), size };
}
