import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toCrlf } from './line-endings.js';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('line endings to CRLF', () => {
  it.each([
    ['CRLF stays as it is', 'A: 1\r\nB: 2\r\n\r\nbody\r\n', 'A: 1\r\nB: 2\r\n\r\nbody\r\n'],
    ['LF-only', 'A: 1\nB: 2\n\nbody\n', 'A: 1\r\nB: 2\r\n\r\nbody\r\n'],
    ['CR-only', 'A: 1\rB: 2\r\rbody\r', 'A: 1\r\nB: 2\r\n\r\nbody\r\n'],
    ['CR-only as SMTP delivers it (the CRLF before the final dot)', 'A: 1\rB: 2\r\rbody\r\r\n', 'A: 1\r\nB: 2\r\n\r\nbody\r\n'],
    ['CR-only whose last line the final CRLF ends', 'A: 1\rB: 2\r\rbody\r\n', 'A: 1\r\nB: 2\r\n\r\nbody\r\n'],
    ['mixed LF and CRLF', 'A: 1\r\nB: 2\n\r\nbody\n', 'A: 1\r\nB: 2\r\n\r\nbody\r\n'],
    ['a stray CR in a CRLF message stays', 'A: 1\rX\r\n\r\nb\rc\r\n', 'A: 1\rX\r\n\r\nb\rc\r\n'],
    ['a line break at the very start', '\nA: 1\n', '\r\nA: 1\r\n'],
    ['no line break at all', 'A: 1', 'A: 1'],
  ])('%s', (_name, input, expected) => {
    expect(toCrlf(b(input)).toString('latin1')).toBe(expected);
  });

  it('returns the same buffer when nothing changes (no copy on the common path)', () => {
    const raw = b('A: 1\r\n\r\nbody\r\n');
    expect(toCrlf(raw)).toBe(raw);
  });

  it('never leaves a bare LF, never loses or reorders a byte other than line breaks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const out = toCrlf(Buffer.from(bytes));
        for (let i = 0; i < out.length; i++) if (out[i] === 0x0a) expect(out[i - 1]).toBe(0x0d);
        const strip = (x: Buffer) => Buffer.from([...x].filter((c) => c !== 0x0d && c !== 0x0a));
        expect(strip(out).equals(strip(Buffer.from(bytes)))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
