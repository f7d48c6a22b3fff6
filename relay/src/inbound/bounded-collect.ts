/**
 * Reads a DATA stream keeping at most `maxBytes` in memory. Past the limit the stream is still
 * drained to its end (the client has to be allowed to finish before it can read our 552, RFC 5321
 * §4.2.5 / RFC 1870 §6.3) but the bytes are dropped as they arrive.
 */
import type { Readable } from 'node:stream';

export type Collected = { ok: true; bytes: Buffer } | { ok: false; size: number };

export function collectBounded(stream: Readable, maxBytes: number): Promise<Collected> {
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (over) return;
      if (size > maxBytes) {
        over = true;
        chunks = [];
        return;
      }
      chunks.push(chunk);
    });
    stream.once('end', () => resolve(over ? { ok: false, size } : { ok: true, bytes: Buffer.concat(chunks, size) }));
    stream.once('error', reject);
  });
}
