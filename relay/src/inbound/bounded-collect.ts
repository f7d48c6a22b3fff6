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
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (over) return;
      if (size > maxBytes) {
        over = true;
        chunks = [];
        return;
      }
      chunks.push(chunk);
    };
    stream.on('data', onData);
    stream.once('end', () => {
      // smtp-server keeps the stream until the reply: a listener left on it would keep the chunks or
      // (through this promise) the collected bytes reachable, a second copy of the message, for as
      // long as the message takes to store.
      stream.off('data', onData);
      stream.off('error', reject);
      // An error after the end has nobody left to tell, but unheard it would throw.
      stream.on('error', ignore);
      if (over) return resolve({ ok: false, size });
      const bytes = Buffer.concat(chunks, size);
      chunks = [];
      resolve({ ok: true, bytes });
    });
    stream.once('error', reject);
  });
}

function ignore(): void {}
