/**
 * The mail a bench sends: realistic shapes (multipart/alternative text + HTML, a large base64
 * attachment), which the benches DKIM-sign like mail from a big provider (signMessage from
 * @e2a/relay/testing) and put in SMTP wire form (dot-stuffed, CRLF, terminated) before the clock
 * runs.
 */
import { randomBytes } from 'node:crypto';

export interface Envelope {
  from: string;
  to: string;
}

/** One text/HTML message of about `sizeBytes` before signing (the signature adds ~500 bytes). */
export function buildSizedMessage(i: number, runId: string, env: Envelope, sizeBytes: number): Buffer {
  const boundary = `b_${runId}_${i}`;
  const head = [
    `From: Alice Sender <${env.from}>`,
    `To: <${env.to}>`,
    `Subject: bench ${runId} #${i}`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <bench-${i}.${runId}@${env.from.split('@')[1]}>`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    '',
  ].join('\r\n');
  const overhead = head.length + 4 * boundary.length + 200;
  const textBytes = Math.max(64, Math.floor((sizeBytes - overhead) * 0.4));
  const htmlBytes = Math.max(64, sizeBytes - overhead - textBytes);
  const text = prose(textBytes, i);
  const html = `<html><body><p>${prose(htmlBytes - 40, i + 1).replace(/\r\n/g, '</p>\r\n<p>')}</p></body></html>`;
  return Buffer.from(
    [
      head,
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      text,
      `--${boundary}`,
      'Content-Type: text/html; charset=utf-8',
      '',
      html,
      `--${boundary}--`,
      '',
    ].join('\r\n'),
    'utf8',
  );
}

/** A short note with one base64 attachment of random (incompressible) bytes; about `totalBytes`. */
export function buildLargeMessage(runId: string, env: Envelope, totalBytes: number): Buffer {
  const boundary = `big_${runId}`;
  // base64 in 76-character lines: 57 bytes of content per 78 bytes on the wire.
  const attachmentBytes = Math.floor(((totalBytes - 1024) / 78) * 57);
  const b64 = randomBytes(attachmentBytes).toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    [
      `From: Alice Sender <${env.from}>`,
      `To: <${env.to}>`,
      `Subject: bench ${runId} large attachment`,
      `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
      `Message-ID: <bench-large.${runId}@${env.from.split('@')[1]}>`,
      'MIME-Version: 1.0',
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      'The report is attached.',
      `--${boundary}`,
      'Content-Type: application/octet-stream; name="report.bin"',
      'Content-Disposition: attachment; filename="report.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      b64.replace(/\r\n$/, ''),
      `--${boundary}--`,
      '',
    ].join('\r\n'),
    'latin1',
  );
}

/** RFC 5321 §4.5.2 dot-stuffing plus the terminating "\r\n.\r\n". */
export function toWire(raw: Buffer): Buffer {
  let text = raw.toString('latin1').replace(/(^|\n)\./g, '$1..');
  if (!text.endsWith('\r\n')) text += '\r\n';
  return Buffer.from(`${text}.\r\n`, 'latin1');
}

const WORDS = 'agent reply invoice meeting schedule thanks please review attached draft budget quarter'.split(' ');

function prose(bytes: number, seed: number): string {
  const out: string[] = [];
  let line = '';
  let size = 0;
  for (let n = seed; size < bytes; n++) {
    const word = WORDS[(n * 7 + seed) % WORDS.length]!;
    if (line.length + word.length > 70) {
      out.push(line);
      size += line.length + 2;
      line = '';
    }
    line += (line ? ' ' : '') + word;
  }
  if (line) out.push(line);
  return out.join('\r\n');
}
