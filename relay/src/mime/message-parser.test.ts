import { afterAll, describe, expect, it } from 'vitest';
import { createMessageParser, ParseTimeoutError } from './message-parser.js';
import { parseMessage } from './parse.js';

function withAttachment(textBytes: number): Buffer {
  return Buffer.from(
    [
      'From: a@example.com',
      'To: bot@agents.test',
      'Subject: big',
      'Message-ID: <big@example.com>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/html; charset=utf-8',
      '',
      `<p>${'hello world '.repeat(Math.ceil(textBytes / 12))}</p>`,
      '--b',
      'Content-Type: application/octet-stream; name="x.bin"',
      'Content-Disposition: attachment; filename="x.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('binary payload').toString('base64'),
      '--b--',
      '',
    ].join('\r\n'),
  );
}

describe('createMessageParser', () => {
  const parser = createMessageParser({ offThreadFromTextBytes: 64 * 1024 });
  afterAll(() => parser.close());

  it('parses a large message in a worker thread to what the event loop would make of it', async () => {
    const raw = withAttachment(256 * 1024);
    const [offThread, inThread] = await Promise.all([parser.parse(raw, raw.length), parseMessage(raw)]);
    expect(offThread).toEqual(inThread);
    expect(Buffer.isBuffer(offThread.attachments[0]!.content)).toBe(true);
    expect(offThread.text).toContain('hello world');
  });

  it('parses on the event loop when the text is small, however large the message', async () => {
    const raw = withAttachment(1024);
    expect(await parser.parse(raw, 1024)).toEqual(await parseMessage(raw));
  });

  it('gives up past its time budget with ParseTimeoutError', async () => {
    const impatient = createMessageParser({ offThreadFromTextBytes: 0, timeoutMs: 1 });
    try {
      await expect(impatient.parse(withAttachment(4 * 1024 * 1024), 4 * 1024 * 1024)).rejects.toBeInstanceOf(ParseTimeoutError);
    } finally {
      await impatient.close();
    }
  });
});
