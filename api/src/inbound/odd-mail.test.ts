/**
 * Valid-but-odd mail must never be refused for our own encoding reasons. A 451 makes the sender retry
 * the same bytes for days and then bounce: for mail we could have stored, that is a lost message. So
 * over real SMTP into a gateway: any header and body bytes, any line-end convention, get 250 or a 5xx
 * with a reason, never a 451, and a 250'd message is readable, its body intact in /raw.
 */
import { createFakeResolver } from '@e2a/relay/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { sendMail } from '../testing/mail.js';

const bot = `bot@${TEST_DOMAIN}`;

interface Listed {
  id: string;
  subject: string | null;
}

/** The stored message after the X-E2A-Auth-* claims /raw prepends. */
function storedMessage(raw: Buffer): Buffer {
  let offset = 0;
  while (raw.subarray(offset, offset + 11).toString('latin1') === 'X-E2A-Auth-') offset = raw.indexOf('\r\n', offset) + 2;
  return raw.subarray(offset);
}

function bodyOf(message: Buffer): Buffer {
  const end = message.indexOf('\r\n\r\n');
  return end === -1 ? Buffer.alloc(0) : message.subarray(end + 4);
}

describe.each(ENGINES)('odd mail is stored, never deferred for encoding reasons (%s)', (engine) => {
  let gw: TestGateway;
  let sent = 0;

  beforeAll(async () => {
    // No DNS records: every verdict is `none`; authentication is not what this is about.
    gw = await startTestGateway({ engine, resolver: createFakeResolver({}), env: { E2A_SMTP_LIMITS_MESSAGES_PER_SENDER_PER_MAILBOX_PER_HOUR: '0' } });
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'bot' }) })).status).toBe(201);
  });
  afterAll(() => gw?.close());

  /** Sends `raw` and returns the newest stored message (the one just sent, when it got 250). */
  async function send(raw: Buffer): Promise<{ code: number; enhanced: string | null; text: string; stored: Listed | null }> {
    const result = await sendMail(gw.gateway.smtpPort, 'alice@example.com', [bot], raw);
    const data = result.data!;
    if (data.code !== 250) return { ...data, stored: null };
    const listed = (await (await gw.api(`/v1/agents/${bot}/messages?limit=1`)).json()) as { items: Listed[] };
    return { ...data, stored: listed.items[0] ?? null };
  }

  async function rawOf(id: string): Promise<Buffer> {
    const res = await gw.api(`/v1/agents/${bot}/messages/${id}/raw`);
    expect(res.status).toBe(200);
    return Buffer.from(await res.arrayBuffer());
  }

  it('a subject that decodes to a lone UTF-16 surrogate is stored (it used to get 451 4.3.0 on every retry)', async () => {
    // =?UTF-16BE?B?2AA=?= is the single code unit U+D800: half of a surrogate pair.
    const raw = Buffer.from(
      `From: "=?UTF-16BE?B?2AA=?=" <alice@example.com>\r\nTo: ${bot}\r\nSubject: =?UTF-16BE?B?2AA=?= half\r\nMessage-ID: <surrogate-${engine}@example.com>\r\n\r\nbody\r\n`,
      'latin1',
    );
    const r = await send(raw);
    expect(r.code).toBe(250);
    expect(r.stored?.subject).toBe('\uFFFD half');
    // The event (jsonb) was written in the same transaction: the listing shows it.
    const events = (await (await gw.api('/v1/events?limit=1')).json()) as { items: Array<{ type: string; data: { subject: string } }> };
    expect(events.items[0]).toMatchObject({ type: 'email.received', data: { subject: '\uFFFD half' } });
    expect(storedMessage(await rawOf(r.stored!.id)).includes(raw.subarray(raw.indexOf('Subject:')))).toBe(true);
  });

  it('a CR-only message keeps its headers and body (it used to be stored empty)', async () => {
    const raw = Buffer.from(`From: alice@example.com\rTo: ${bot}\rSubject: classic mac\rMessage-ID: <cr-only-${engine}@example.com>\r\rfirst line\rsecond line\r`, 'latin1');
    const r = await send(raw);
    expect(r.code).toBe(250);
    expect(r.stored?.subject).toBe('classic mac');
    const message = (await (await gw.api(`/v1/agents/${bot}/messages/${r.stored!.id}`)).json()) as { text: string };
    expect(message.text).toMatch(/first line\r?\nsecond line/);
    expect(bodyOf(storedMessage(await rawOf(r.stored!.id))).toString('latin1')).toBe('first line\r\nsecond line\r\n');
  });

  it('any header and body bytes, in any line-end convention: 250 with the body intact, or a 5xx with a reason', async () => {
    // Printable or not, 8-bit or not, NUL included: anything but the line-break bytes themselves.
    const lineByte = fc.integer({ min: 0, max: 255 }).filter((c) => c !== 0x0a && c !== 0x0d);
    const line = fc.array(lineByte, { maxLength: 60 }).map((a) => Buffer.from(a).toString('latin1'));
    const encodedWord = fc
      .tuple(fc.constantFrom('UTF-8', 'UTF-16BE', 'UTF-16', 'ISO-8859-1', 'Shift_JIS', 'x-unknown'), fc.uint8Array({ maxLength: 12 }))
      .map(([charset, bytes]) => `=?${charset}?B?${Buffer.from(bytes).toString('base64')}?=`);
    const value = fc.oneof(line, encodedWord, fc.tuple(line, encodedWord).map(([a, w]) => `${a} ${w}`));
    const name = fc.constantFrom('Subject', 'From', 'To', 'Cc', 'Reply-To', 'Date', 'In-Reply-To', 'References', 'Content-Type', 'Content-Transfer-Encoding', 'X-Anything', 'Comments');
    const eol = fc.constantFrom('\r\n', '\n', '\r');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(name, value), { maxLength: 8 }), fc.array(line, { maxLength: 12 }), eol, async (headers, body, ending) => {
        sent++;
        const lines = [...headers.map(([n, v]) => `${n}: ${v}`), `Message-ID: <prop-${sent}-${engine}@example.com>`, '', ...body, ''];
        // A body line starting with "." is dot-stuffed by the client only after LF: in the CR-only
        // convention the whole DATA is one "line" to SMTP, so nothing needs stuffing.
        const raw = Buffer.from(lines.join(ending), 'latin1');
        const r = await send(raw);
        expect(r.code >= 400 && r.code < 500, `deferred: ${r.code} ${r.text}`).toBe(false);
        if (r.code >= 500) {
          expect(r.enhanced).toMatch(/^5\.\d+\.\d+$/);
          return;
        }
        expect(r.code, `${r.code} ${r.text}`).toBe(250);
        expect(r.stored).not.toBeNull();
        expect((await gw.api(`/v1/agents/${bot}/messages/${r.stored!.id}`)).status).toBe(200);
        const expectedBody = Buffer.from(body.map((l) => `${l}\r\n`).join(''), 'latin1');
        expect(bodyOf(storedMessage(await rawOf(r.stored!.id))).equals(expectedBody)).toBe(true);
      }),
      { numRuns: 60, endOnFailure: true },
    );
  });
});
