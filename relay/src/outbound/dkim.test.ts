import { dkimSign, dkimVerify } from 'mailauth';
import { describe, expect, it } from 'vitest';
import { createFakeResolver, generateDkimKey } from '../testing/index.js';
import { composeMessage } from './compose.js';
import { signDkim } from './dkim.js';

const key = generateDkimKey('agents.example', 'e2a', 2048);
const signer = { domain: key.domain, selector: key.selector, privateKeyPem: key.privateKey };
const resolver = createFakeResolver({ [key.dnsName]: { TXT: [key.txt] } });
const now = new Date('2026-11-21T10:00:00Z');

/** What mailauth's own (synchronous) signer makes of the same input at the same second. */
async function mailauthSigned(raw: Buffer): Promise<Buffer> {
  const result = await dkimSign(raw, {
    canonicalization: 'relaxed/relaxed',
    algorithm: 'rsa-sha256',
    signTime: now,
    signatureData: [{ signingDomain: key.domain, selector: key.selector, privateKey: key.privateKey }],
  } as Parameters<typeof dkimSign>[1]);
  expect(result.errors).toEqual([]);
  return Buffer.concat([Buffer.from(result.signatures, 'latin1'), raw]);
}

const composed = await composeMessage({
  from: { address: 'bot@agents.example', name: 'Bot, the "first"' },
  to: [{ address: 'alice@example.com', name: 'Ålice' }],
  cc: [{ address: 'carol@example.org', name: null }],
  replyTo: [],
  subject: 'Quarterly numbers — a long subject line that nodemailer has to fold across more than one line of the header',
  text: 'Hello,\n\ntrailing spaces   \n\twith a tab\n\n\n',
  html: '<p>Hello <b>there</b></p>',
  attachments: [{ filename: 'a.bin', contentType: 'application/octet-stream', content: Buffer.alloc(3000, 7), contentId: null }],
  messageId: 'm1@agents.example',
  date: now,
  inReplyTo: 'parent@example.com',
  references: ['root@example.com', 'parent@example.com'],
  headers: { 'X-E2A-Conversation-Id': 'cnv_1' },
});

const cases: Array<[string, Buffer]> = [
  ['a composed multipart message with folded headers', composed],
  ['odd whitespace in headers and body', Buffer.from('From:  Bob <bob@agents.example> \r\nSubject:\tHi   there\r\n  folded\r\nTo: a@example.com\r\n\r\nline  with   spaces \t\r\n\r\n\r\n')],
  ['no body', Buffer.from('From: bob@agents.example\r\nSubject: empty\r\n\r\n')],
  ['no header/body separator', Buffer.from('From: bob@agents.example\r\nSubject: only headers\r\n')],
  ['a repeated header field', Buffer.from('From: bob@agents.example\r\nTo: a@example.com\r\nTo: b@example.com\r\n\r\nbody\r\n')],
];

describe('signDkim', () => {
  it.each(cases)('matches mailauth byte for byte and verifies: %s', async (_name, raw) => {
    const ours = await signDkim(raw, signer, now);
    expect(ours.toString('latin1')).toBe((await mailauthSigned(raw)).toString('latin1'));
    const verified = await dkimVerify(ours, { resolver, curTime: now } as Parameters<typeof dkimVerify>[1]);
    expect(verified.results.map((r) => r.status.result)).toEqual(['pass']);
  });

  it('signs bare-LF input as the CRLF message it becomes', async () => {
    const lf = Buffer.from('From: bob@agents.example\nSubject: unix\n\nline one\nline two\n');
    const signed = await signDkim(lf, signer, now);
    expect(signed.includes('\r\nline one\r\nline two\r\n')).toBe(true);
    expect(signed.toString('latin1')).toBe((await mailauthSigned(Buffer.from(lf.toString().replace(/\n/g, '\r\n')))).toString('latin1'));
  });

  it('refuses a message without From, and a key that is not RSA', async () => {
    await expect(signDkim(Buffer.from('Subject: no from\r\n\r\nx\r\n'), signer, now)).rejects.toThrow(/no From header/);
    const { generateKeyPairSync } = await import('node:crypto');
    const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await expect(signDkim(composed, { ...signer, privateKeyPem: ed }, now)).rejects.toThrow(/must be RSA/);
  });

  it('does not hold the event loop for the RSA operations', async () => {
    // With the callback form of crypto.sign the signatures are made on the thread pool (4 threads),
    // so eight of them take at least two rounds while the loop goes on; a synchronous signer would
    // make all eight before the loop could turn once.
    await signDkim(composed, signer, now); // the key is parsed and cached
    const order: string[] = [];
    const signing = Promise.all(Array.from({ length: 8 }, () => signDkim(composed, signer, now))).then(() => order.push('all signed'));
    await new Promise<void>((resolve) => setImmediate(() => (order.push('loop turned'), resolve())));
    await signing;
    expect(order).toEqual(['loop turned', 'all signed']);
  });
});
