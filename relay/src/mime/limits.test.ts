import { describe, expect, it } from 'vitest';
import { checkMessageLimits, type MessageLimits } from './limits.js';

const LIMITS: MessageLimits = { maxHeaderBytes: 4096, maxHeaderLines: 50, maxMimeDepth: 4, maxMimeParts: 10 };
const HEAD = 'From: a@example.com\r\nTo: bot@agents.test\r\nSubject: s\r\nMIME-Version: 1.0\r\n';

const withHeader = (extra: string) => Buffer.from(`${HEAD}${extra}Content-Type: text/plain\r\n\r\nbody\r\n`);

/** `depth` levels in all: multipart containers at levels 1 … depth - 1 (the message is 1), a text leaf at `depth`. */
function nested(depth: number): Buffer {
  let body = '';
  for (let i = 1; i < depth - 1; i++) body += `--b${i}\r\nContent-Type: multipart/mixed; boundary="b${i + 1}"\r\n\r\n`;
  body += `--b${depth - 1}\r\nContent-Type: text/plain\r\n\r\nbottom\r\n--b${depth - 1}--\r\n`;
  for (let i = depth - 2; i >= 1; i--) body += `--b${i}--\r\n`;
  return Buffer.from(`${HEAD}Content-Type: multipart/mixed; boundary="b1"\r\n\r\n${body}`);
}

function parts(n: number): Buffer {
  // n parts in all: the container and n - 1 leaves.
  let body = '';
  for (let i = 1; i < n; i++) body += `--b\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`;
  return Buffer.from(`${HEAD}Content-Type: multipart/mixed; boundary="b"\r\n\r\n${body}--b--\r\n`);
}

describe('message limits', () => {
  it('passes ordinary mail', async () => {
    expect(await checkMessageLimits(withHeader(''), LIMITS)).toEqual({ ok: true, shape: { textBytes: 6 } });
  });

  it('header bytes: at the limit passes, one more is 552 5.3.4 naming it', async () => {
    const pad = (n: number) => `X-Pad: ${'p'.repeat(n)}\r\n`;
    const base = withHeader('').indexOf('\r\n\r\n') + 2;
    const fill = LIMITS.maxHeaderBytes - base - 'X-Pad: \r\n'.length;
    expect(await checkMessageLimits(withHeader(pad(fill)), LIMITS)).toMatchObject({ ok: true });
    const over = await checkMessageLimits(withHeader(pad(fill + 1)), LIMITS);
    expect(over).toMatchObject({ ok: false, limit: 'header_bytes' });
    expect(!over.ok && over.reply).toEqual({ code: 552, enhanced: '5.3.4', text: 'message header is over 4096 bytes, the limit here' });
  });

  it('header lines count folds: one field folded past the limit is 552 5.3.4', async () => {
    const lines = HEAD.split('\r\n').length - 1 + 1;
    expect(await checkMessageLimits(withHeader(`X-Fold: a\r\n${' b\r\n'.repeat(LIMITS.maxHeaderLines - lines - 1)}`), LIMITS)).toMatchObject({ ok: true });
    const over = await checkMessageLimits(withHeader(`X-Fold: a\r\n${' b\r\n'.repeat(LIMITS.maxHeaderLines - lines)}`), LIMITS);
    expect(!over.ok && over.reply).toEqual({ code: 552, enhanced: '5.3.4', text: 'message header has over 50 lines, the limit here' });
  });

  it('a MIME part header over the byte limit is 552 5.3.4 too', async () => {
    const raw = Buffer.from(`${HEAD}Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\nX-Pad: ${'p'.repeat(5000)}\r\n\r\nx\r\n--b--\r\n`);
    expect(await checkMessageLimits(raw, LIMITS)).toMatchObject({ ok: false, reply: { code: 552, enhanced: '5.3.4', text: 'message header of a MIME part is over 4096 bytes, the limit here' } });
  });

  it('MIME depth: at the limit passes, one level more is 554 5.6.0', async () => {
    expect(await checkMessageLimits(nested(LIMITS.maxMimeDepth), LIMITS)).toMatchObject({ ok: true });
    expect(await checkMessageLimits(nested(LIMITS.maxMimeDepth + 1), LIMITS)).toMatchObject({ ok: false, reply: { code: 554, enhanced: '5.6.0', text: 'message nests parts deeper than 4 levels, the limit here' } });
  });

  it('MIME parts: at the limit passes, one more is 554 5.6.0', async () => {
    expect(await checkMessageLimits(parts(LIMITS.maxMimeParts), LIMITS)).toMatchObject({ ok: true });
    expect(await checkMessageLimits(parts(LIMITS.maxMimeParts + 1), LIMITS)).toMatchObject({ ok: false, reply: { code: 554, enhanced: '5.6.0', text: 'message has over 10 parts, the limit here' } });
  });

  it('measures the text parts, not the attachments', async () => {
    const raw = Buffer.from(
      `${HEAD}Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>${'t'.repeat(1000)}</p>\r\n` +
        `--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n${'QUJD\r\n'.repeat(1000)}--b--\r\n`,
    );
    const check = await checkMessageLimits(raw, LIMITS);
    expect(check.ok && check.shape.textBytes).toBe(1007);
  });

  it('broken MIME is left to the parser fallback, not refused', async () => {
    const raw = Buffer.from(`${HEAD}Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nnever closed`);
    expect(await checkMessageLimits(raw, LIMITS)).toMatchObject({ ok: true });
  });
});
