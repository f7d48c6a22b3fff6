import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { collectBounded } from './bounded-collect.js';

function chunks(n: number, size: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      this.push(sent++ < n ? Buffer.alloc(size, 0x61) : null);
    },
  });
}

describe('collectBounded', () => {
  it('returns the bytes when within the limit', async () => {
    expect(await collectBounded(chunks(4, 10), 40)).toEqual({ ok: true, bytes: Buffer.alloc(40, 0x61) });
  });

  it('drains a stream far over the limit to its end and reports the size without keeping it', async () => {
    const stream = chunks(1000, 1024);
    const result = await collectBounded(stream, 4096);
    expect(result).toEqual({ ok: false, size: 1000 * 1024 });
    expect(stream.readableEnded).toBe(true);
  });

  it('leaves no listener holding the bytes on a stream that outlives the transaction', async () => {
    const stream = chunks(4, 10);
    await collectBounded(stream, 40);
    // smtp-server keeps the DATA stream until the reply; only a no-op error listener may stay on it.
    expect({ data: stream.listenerCount('data'), error: stream.listenerCount('error') }).toEqual({ data: 0, error: 1 });
    expect(() => stream.emit('error', new Error('late'))).not.toThrow();
  });

  it('rejects on a stream error (client went away mid-DATA)', async () => {
    const stream = new Readable({ read() {} });
    const p = collectBounded(stream, 10);
    stream.destroy(new Error('reset'));
    await expect(p).rejects.toThrow('reset');
  });
});
