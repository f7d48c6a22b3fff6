import { describe, expect, it } from 'vitest';
import { minimalParse, msgIds, parseMessage } from './parse.js';
import { MALFORMED, buildMessage } from '../testing/messages.js';

describe('parseMessage', () => {
  it('parses addresses, ids, threading headers and text', async () => {
    const raw = buildMessage({
      from: '"Alice A." <Alice@Example.com>',
      to: ['bot@agents.test', 'Group: one@example.com, two@example.com;'],
      headers: ['Cc: carol@example.com', 'Reply-To: replies@example.com', 'In-Reply-To: <prev@example.com>', 'References: <a@x> <b@x>\r\n <prev@example.com>'],
    });
    const p = await parseMessage(raw);
    expect(p.from).toEqual({ address: 'Alice@Example.com', name: 'Alice A.' });
    expect(p.to.map((a) => a.address)).toEqual(['bot@agents.test', 'one@example.com', 'two@example.com']);
    expect(p.cc).toEqual([{ address: 'carol@example.com', name: '' }]);
    expect(p.replyTo[0]?.address).toBe('replies@example.com');
    expect(p.messageId).toBe('m1@example.com');
    expect(p.inReplyTo).toBe('prev@example.com');
    expect(p.references).toEqual(['a@x', 'b@x', 'prev@example.com']);
    expect(p.subject).toBe('hello');
    expect(p.date?.toISOString()).toBe('2025-06-02T10:00:00.000Z');
    expect(p.text).toContain('please reply.');
    expect(p.html).toBeNull();
    expect(p.headers.find((h) => h.name === 'References')?.value).toBe('<a@x> <b@x> <prev@example.com>');
  });

  it('returns attachments and inline parts with their metadata', async () => {
    const raw = Buffer.from(
      [
        'From: a@example.com',
        'To: bot@agents.test',
        'Subject: files',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/html; charset=utf-8',
        '',
        '<p>see <img src="cid:logo@x"></p>',
        '--b1',
        'Content-Type: image/png',
        'Content-ID: <logo@x>',
        'Content-Disposition: inline; filename="logo.png"',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('PNGDATA').toString('base64'),
        '--b1',
        'Content-Type: application/pdf; name="r.pdf"',
        'Content-Disposition: attachment; filename="r.pdf"',
        '',
        '%PDF-1.4',
        '--b1--',
        '',
      ].join('\r\n'),
    );
    const p = await parseMessage(raw);
    expect(p.html).toContain('cid:logo@x');
    expect(p.attachments).toHaveLength(2);
    expect(p.attachments[0]).toMatchObject({ filename: 'logo.png', contentType: 'image/png', contentId: 'logo@x', disposition: 'inline', size: 7 });
    expect(p.attachments[0]?.content.toString()).toBe('PNGDATA');
    expect(p.attachments[1]).toMatchObject({ filename: 'r.pdf', contentType: 'application/pdf', contentId: null, disposition: 'attachment' });
  });

  it('gives an HTML-only message the text a reader sees (html-text.ts, not mailparser\'s converter)', async () => {
    const raw = Buffer.from(
      'From: a@example.com\r\nSubject: html\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n' +
        '<p>Dear Bob,</p><div style="display:none">hidden words</div><p>see you &amp; soon</p>\r\n',
    );
    const p = await parseMessage(raw);
    expect(p.text).toBe('Dear Bob,\nsee you & soon');
    expect(p.html).toContain('hidden words');
  });

  it.each(Object.entries(MALFORMED))('does not throw on malformed MIME: %s', async (_name, raw) => {
    const p = await parseMessage(raw);
    expect(Array.isArray(p.headers)).toBe(true);
    expect(Array.isArray(p.attachments)).toBe(true);
  });

  it('keeps the readable part of a multipart with a broken boundary', async () => {
    const p = await parseMessage(MALFORMED.brokenBoundary!);
    expect(`${p.text ?? ''}${p.html ?? ''}`).toContain('first part');
  });
});

describe('minimalParse', () => {
  it('reads headers best-effort and gives the body as text', () => {
    const p = minimalParse(Buffer.from('Subject: s\r\nFrom: Alice <alice@example.com>\r\nMessage-ID: <id@x>\r\n\r\nbody \xe9\r\n', 'latin1'));
    expect(p.subject).toBe('s');
    expect(p.from?.address).toBe('alice@example.com');
    expect(p.messageId).toBe('id@x');
    expect(p.text).toBe('body \xe9\r\n');
  });

  it('copes with no body and no headers', () => {
    expect(minimalParse(Buffer.from('Subject: only')).text).toBeNull();
    expect(minimalParse(Buffer.alloc(0)).headers).toEqual([]);
  });
});

describe('msgIds', () => {
  it('strips brackets and splits lists', () => {
    expect(msgIds('<a@x>  <b@x>')).toEqual(['a@x', 'b@x']);
    expect(msgIds(['<a@x>', 'b@x'])).toEqual(['a@x', 'b@x']);
    expect(msgIds(undefined)).toEqual([]);
  });
});
