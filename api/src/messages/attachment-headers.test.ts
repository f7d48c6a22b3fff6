/**
 * An attachment's content type and file name are the sender's words, stored as sent; they go into
 * the download's response headers, where Node refuses control characters. A sender who puts one
 * there must not make the attachment impossible to download (it was a 500).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';

const bot = `bot@${TEST_DOMAIN}`;

describe.each(ENGINES)('attachment download headers (%s)', (engine) => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({ engine });
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'bot' }) })).status).toBe(201);
  });
  afterAll(() => gw?.close());

  async function attachmentOf(partHeaders: string[], subject: string) {
    const raw = Buffer.from(
      [
        'From: alice@example.com',
        `To: ${bot}`,
        `Subject: ${subject}`,
        `Message-ID: <${subject.replace(/\W/g, '')}@example.com>`,
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/plain',
        '',
        'see attached',
        '--b1',
        ...partHeaders,
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('the bytes').toString('base64'),
        '--b1--',
        '',
      ].join('\r\n'),
    );
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [bot], raw);
    const { items } = await (await gw.api(`/v1/agents/${bot}/messages?subject_contains=${encodeURIComponent(subject)}`)).json();
    const message = await (await gw.api(`/v1/agents/${bot}/messages/${items[0].id}`)).json();
    const res = await gw.api(`/v1/agents/${bot}/messages/${items[0].id}/attachments/0`);
    return { meta: message.attachments[0], res };
  }

  it('downloads an attachment whose stored content type holds a control character, as application/octet-stream', async () => {
    const { meta, res } = await attachmentOf(['Content-Type: application/x\u0001evil; name="report.bin"', 'Content-Disposition: attachment; filename="report.bin"'], 'control in type');
    // Stored as the sender wrote it: the message's metadata tells the truth about what came in.
    expect(meta.content_type).toContain('\u0001');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="report.bin"; filename*=UTF-8''report.bin`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toBe('the bytes');
  });

  it('downloads an attachment whose file name holds control characters, quotes and a path', async () => {
    const { meta, res } = await attachmentOf(
      ['Content-Type: text/plain; charset=utf-8', `Content-Disposition: attachment; filename*=utf-8''..%2F..%2Fa%01b%22%0D%0Ac%20%C3%A9.txt`],
      'control in name',
    );
    expect(meta.filename).toBe('../../a\u0001b"\r\nc é.txt');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="ab_c _.txt"; filename*=UTF-8''ab%22c%20%C3%A9.txt`);
    expect(await res.text()).toBe('the bytes');
  });
});
