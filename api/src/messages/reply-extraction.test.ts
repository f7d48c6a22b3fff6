import { createFakeResolver } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';

const bot = `bot@${TEST_DOMAIN}`;

/** A reply as Gmail sends it: a text part with ">" quoting and an HTML part with div.gmail_quote. */
function gmailReply(subject: string): Buffer {
  const text = ['Tuesday works for me.', '', '-- ', 'Bob', '', 'On Mon, Mar 3, 2025 at 10:02 AM Alice <alice@example.com> wrote:', '> Can we meet next week?', '> Alice'].join('\r\n');
  const html =
    '<div dir="ltr">Tuesday works for me.<br clear="all"><div><br></div><span class="gmail_signature_prefix">-- </span><br><div dir="ltr" class="gmail_signature">Bob</div></div><br>' +
    '<div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">On Mon, Mar 3, 2025 at 10:02 AM Alice &lt;alice@example.com&gt; wrote:<br></div><blockquote class="gmail_quote">Can we meet next week?<br>Alice</blockquote></div>';
  return Buffer.from(
    [
      'From: Bob <bob@example.com>',
      `To: ${bot}`,
      `Subject: ${subject}`,
      'Date: Mon, 3 Mar 2025 11:00:00 +0000',
      `Message-ID: <${subject.replace(/\W/g, '-')}@example.com>`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/alternative; boundary="alt"',
      '',
      '--alt',
      'Content-Type: text/plain; charset=utf-8',
      '',
      text,
      '--alt',
      'Content-Type: text/html; charset=utf-8',
      '',
      html,
      '--alt--',
      '',
    ].join('\r\n'),
  );
}

describe.each(ENGINES)('reply extraction on the message API (%s)', (engine) => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({ engine, resolver: createFakeResolver({}) });
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'bot' }) })).status).toBe(201);
  });
  afterAll(() => gw?.close());

  const read = async (subject: string) => {
    const list = (await (await gw.api(`/v1/agents/${bot}/messages?subject_contains=${encodeURIComponent(subject)}`)).json()) as { items: Array<{ id: string }> };
    return (await (await gw.api(`/v1/agents/${bot}/messages/${list.items[0]!.id}`)).json()) as { text: string; html: string; extracted_text: string | null; extracted_html: string | null };
  };

  it('gives a Gmail reply without its quote and signature, in text and HTML, beside the bodies as sent', async () => {
    await deliver(gw.gateway.smtpPort, 'bob@example.com', [bot], gmailReply('lunch plans'));
    const m = await read('lunch plans');
    expect(m.text).toContain('> Can we meet next week?');
    expect(m.extracted_text).toBe('Tuesday works for me.');
    expect(m.html).toContain('gmail_quote');
    expect(m.extracted_html).toBe('<div dir="ltr">Tuesday works for me.<br clear="all"><div><br></div><br></div><br>');
  });

  it('gives an Outlook reply without the "From: … Sent: …" block, and plain mail as it is', async () => {
    const outlook = ['Approved.', '', '________________________________', 'From: Alice Smith <alice@example.com>', 'Sent: Monday, March 3, 2025 10:02 AM', `To: ${bot}`, 'Subject: Budget', '', 'Please approve.'].join('\r\n');
    const plain = (subject: string, body: string) =>
      Buffer.from([`From: Alice <alice@example.com>`, `To: ${bot}`, `Subject: ${subject}`, `Message-ID: <${subject.replace(/\W/g, '-')}@example.com>`, 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n'));
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [bot], plain('RE: Budget', outlook));
    expect((await read('RE: Budget')).extracted_text).toBe('Approved.');
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [bot], plain('no history', 'Just a note.\r\nTwo lines.'));
    const note = await read('no history');
    expect(note.extracted_text).toBe(note.text.trimEnd());
    expect(note.extracted_html).toBeNull();
  });
});
