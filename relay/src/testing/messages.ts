/** Test messages, built as bytes so tests control every header and line ending. */

export interface MessageSpec {
  from?: string;
  to?: string | string[];
  subject?: string;
  /** Body text; lines are joined with the message's line ending. */
  body?: string;
  messageId?: string;
  date?: string;
  /** Extra header lines, written as given (may contain folds). */
  headers?: string[];
  /** Line ending for the whole message; RFC 5322 says CRLF, some senders use LF. */
  eol?: '\r\n' | '\n';
}

export function buildMessage(spec: MessageSpec = {}): Buffer {
  const eol = spec.eol ?? '\r\n';
  const to = Array.isArray(spec.to) ? spec.to : [spec.to ?? 'bot@agents.test'];
  const lines = [
    `From: ${spec.from ?? 'Alice <alice@example.com>'}`,
    `To: ${to.join(', ')}`,
    `Subject: ${spec.subject ?? 'hello'}`,
    `Date: ${spec.date ?? 'Mon, 2 Jun 2025 10:00:00 +0000'}`,
    `Message-ID: <${spec.messageId ?? 'm1@example.com'}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    ...(spec.headers ?? []),
    '',
    ...(spec.body ?? 'Hi bot,\nplease reply.\n').replace(/\r?\n$/, '').split(/\r?\n/),
    '',
  ];
  return Buffer.from(lines.join(eol).replace(/\r?\n/g, eol), 'utf8');
}

/** MIME that is broken in the ways real mail is. Each must be accepted and stored, not crash. */
export const MALFORMED: Record<string, Buffer> = {
  brokenBoundary: Buffer.from(
    'From: a@example.com\r\nTo: bot@agents.test\r\nSubject: broken\r\nMIME-Version: 1.0\r\n' +
      'Content-Type: multipart/mixed; boundary="XYZ"\r\n\r\n--XYZ\r\nContent-Type: text/plain\r\n\r\n' +
      'first part\r\n--XY\r\nContent-Type: text/html\r\n\r\n<p>never closed\r\n',
  ),
  badEncodings: Buffer.from(
    'From: =?utf-8?B?!!notbase64?= <a@example.com>\r\nTo: bot@agents.test\r\nSubject: =?x-unknown?Q?caf=E9?=\r\n' +
      'Content-Type: text/plain; charset=does-not-exist\r\nContent-Transfer-Encoding: base64\r\n\r\n' +
      '@@@ this is not base64 %%%\r\n\xff\xfe\r\n',
    'latin1',
  ),
  noHeaders: Buffer.from('just some text with no header section at all\r\nsecond line\r\n'),
  noBody: Buffer.from('From: a@example.com\r\nTo: bot@agents.test\r\nSubject: no body'),
  nul: Buffer.from('From: a@example.com\r\nSubject: nul\x00byte\r\n\r\nbody \x00 here\r\n', 'latin1'),
};
