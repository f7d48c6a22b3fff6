/** Strict mailbox parsing, DSN parsing, and direct-to-MX routing (RFC 5321 §5.1) against a real SMTP server. */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { describe, expect, it } from 'vitest';
import { createFakeResolver } from '../testing/fake-resolver.js';
import { parseMessage } from '../mime/parse.js';
import { createDirectTransport, mailExchangers } from './direct-mx.js';
import { describeDsn, parseDsn } from './dsn.js';
import { parseMailbox } from './mailbox.js';

describe('parseMailbox', () => {
  it.each([
    ['a@B.com', { address: 'a@b.com', name: null }],
    ['Bob Smith <Bob@Example.com>', { address: 'Bob@example.com', name: 'Bob Smith' }],
    ['"Smith, Bob" <bob@example.com>', { address: 'bob@example.com', name: 'Smith, Bob' }],
  ])('accepts %s', (text, mailbox) => {
    expect(parseMailbox(text)).toEqual({ ok: true, mailbox });
  });
  it.each(['a@b.com, c@d.com', 'a@b.com c@d.com', 'a@b.com\r\nBcc: x@y.z', 'g: a@b.com;', 'no-at-sign', 'a@-bad-.com', 'x <a@b.com> <c@d.com>', 'a@b.com\0'])('refuses %j', (text) => {
    expect(parseMailbox(text).ok).toBe(false);
  });
});

describe('parseDsn', () => {
  it('reads the failed recipient, status and the original Message-ID', async () => {
    const raw = Buffer.from(
      [
        'From: MAILER-DAEMON@mx.example.com', 'To: bot@agents.test', 'Subject: failure', 'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type="delivery-status";', ' boundary="B"', '',
        '--B', 'Content-Type: text/plain', '', 'sorry', '',
        '--B', 'Content-Type: message/delivery-status', '', 'Reporting-MTA: dns; mx.example.com', '',
        'Final-Recipient: rfc822;bob@example.com', 'Action: failed', 'Status: 5.2.2', 'Diagnostic-Code: smtp; 552 5.2.2',
        ' mailbox full', '',
        '--B', 'Content-Type: message/rfc822', '', 'From: bot@agents.test', 'Message-ID: <orig@agents.test>', '', 'body', '',
        '--B--', '',
      ].join('\r\n'),
    );
    const dsn = parseDsn(raw, await parseMessage(raw));
    expect(dsn).toEqual({ originalMessageId: 'orig@agents.test', recipients: [{ recipient: 'bob@example.com', action: 'failed', status: '5.2.2', diagnostic: 'smtp; 552 5.2.2 mailbox full' }] });
    expect(describeDsn(dsn!)).toBe('5.2.2 smtp; 552 5.2.2 mailbox full (bob@example.com)');
  });
  it('ignores ordinary mail', async () => {
    const raw = Buffer.from('From: a@b.com\r\nTo: c@d.com\r\nSubject: x\r\n\r\nhi\r\n');
    expect(parseDsn(raw, await parseMessage(raw))).toBeNull();
  });
});

describe('direct to MX', () => {
  const resolver = createFakeResolver({
    'ok.example': { MX: [{ exchange: 'mx2.ok.example', priority: 20 }, { exchange: 'mx1.ok.example', priority: 10 }] },
    'mx1.ok.example': { A: ['127.0.0.2'] },
    'mx2.ok.example': { A: ['127.0.0.1'] },
    'implicit.example': { A: ['127.0.0.1'] },
    'nullmx.example': { MX: [{ exchange: '.', priority: 0 }] },
  });

  it('orders MX by preference, falls back to the A record, honours null MX and NXDOMAIN', async () => {
    expect(await mailExchangers(resolver, 'ok.example')).toEqual({ kind: 'hosts', hosts: ['mx1.ok.example', 'mx2.ok.example'] });
    expect(await mailExchangers(resolver, 'implicit.example')).toEqual({ kind: 'hosts', hosts: ['implicit.example'] });
    expect((await mailExchangers(resolver, 'nullmx.example')).kind).toBe('failed');
    expect((await mailExchangers(resolver, 'missing.example')).kind).toBe('failed');
  });

  it('skips an unreachable MX and delivers to the next; a 5xx fails that recipient', async () => {
    const received: string[] = [];
    const server = new SMTPServer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onRcptTo(address, _session, callback) {
        if (address.address.startsWith('nobody')) return callback(Object.assign(new Error('5.1.1 no such user'), { responseCode: 550 }));
        callback();
      },
      onData(stream, session, callback) {
        stream.resume();
        stream.on('end', () => {
          received.push(...session.envelope.rcptTo.map((r) => r.address));
          callback();
        });
      },
    });
    // mx1 (127.0.0.2) has nothing listening on the port; mx2 (127.0.0.1) is the server.
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.server.address() as AddressInfo).port;
    try {
      const transport = createDirectTransport({ resolver, hostname: 'mx.agents.test', timeoutMs: 5000, port });
      const outcomes = await transport.send({ from: 'bot@agents.test', to: ['bob@ok.example', 'nobody@ok.example', 'x@nullmx.example'] }, Buffer.from('From: bot@agents.test\r\nSubject: hi\r\n\r\nhi\r\n'));
      expect(outcomes.map((o) => [o.address, o.status])).toEqual([
        ['bob@ok.example', 'sent'],
        ['nobody@ok.example', 'failed'],
        ['x@nullmx.example', 'failed'],
      ]);
      expect(received).toEqual(['bob@ok.example']);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
