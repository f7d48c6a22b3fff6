/**
 * Our `Received:` trace field (RFC 5321 §4.4, RFC 5322 §3.6.7). Everything the client said is
 * reduced to safe characters first: the HELO name is attacker-controlled text going into a header.
 */
import { isIPv6 } from 'node:net';
import type { NegotiatedTls } from './tls.js';

export interface ReceivedInfo {
  helo: string;
  remoteAddress: string;
  hostname: string;
  /** ESMTP, ESMTPS (RFC 3848) … as smtp-server reports it. */
  protocol: string;
  /** Set when the session completed STARTTLS: written as a comment, as Postfix does. */
  tls?: NegotiatedTls;
  id: string;
  /** Named only for a single recipient: with several, a `for` clause leaks Bcc (RFC 5321 §7.2). */
  recipients: string[];
  date: Date;
}

export function receivedHeader(info: ReceivedInfo): string {
  const helo = info.helo.replace(/[^A-Za-z0-9.\-_:[\]]/g, '') || 'unknown';
  const protocol = /^[A-Z0-9]+$/i.test(info.protocol) ? info.protocol : 'ESMTP';
  // RFC 5321 §4.1.3: an IPv6 address literal is tagged "IPv6:".
  const literal = isIPv6(info.remoteAddress) ? `IPv6:${info.remoteAddress}` : info.remoteAddress;
  const forClause = info.recipients.length === 1 ? `\r\n\tfor <${info.recipients[0]}>` : '';
  return (
    `Received: from ${helo} ([${literal}])\r\n` +
    tlsComment(info.tls) +
    `\tby ${info.hostname} (e2a) with ${protocol} id ${info.id}${forClause};\r\n` +
    `\t${rfc5322Date(info.date)}`
  );
}

/**
 * `(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)`: RFC 5321 §4.4 allows a comment (CFWS)
 * before "by". Node does not report the cipher's key bits, so Postfix's "(256/256 bits)" is left out.
 */
function tlsComment(tls: NegotiatedTls | undefined): string {
  if (!tls) return '';
  const token = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, '') || 'unknown';
  return `\t(using ${token(tls.version)} with cipher ${token(tls.cipher)})\r\n`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** RFC 5322 §3.3 date-time in UTC with a numeric zone (not the obsolete "GMT"). */
export function rfc5322Date(d: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`
  );
}
