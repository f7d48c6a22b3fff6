/**
 * Mail one agent of the gateway sends another is handed over without SMTP, so there is no client
 * and no client IP. DKIM is verified on the signed bytes and DMARC evaluated as for any mail; SPF is
 * the exception: it authorises the IP that handed the message over (RFC 7208 §1), and here there is
 * none. The gateway itself authenticated the sending agent and is the sending MTA for its domain,
 * so SPF is recorded as pass for the MAIL FROM domain (docs/OUTBOUND.md).
 */
import type { VerifyResult } from '../auth/verify.js';
import type { Authentication } from '../auth/verdict.js';

/** What the verifier is told about the hop: a loopback "client" that greeted with our own name. */
export function localContext(hostname: string, mailFrom: string): { ip: string; helo: string; mailFrom: string } {
  return { ip: '127.0.0.1', helo: hostname, mailFrom };
}

/** The verifier's verdict with SPF as the gateway vouches for it, and an Authentication-Results field that says so. */
export function localVerdict(checked: Authentication, hostname: string, mailFrom: string): VerifyResult {
  const domain = mailFrom.slice(mailFrom.lastIndexOf('@') + 1).toLowerCase();
  const authentication: Authentication = { ...checked, spf: { status: 'pass', domain, aligned: true } };
  return { authentication, authResultsHeader: authResults(hostname, authentication, mailFrom) };
}

/** RFC 8601 §2.2 field for the verdict we store, so the raw message and the JSON agree. */
function authResults(hostname: string, a: Authentication, mailFrom: string): string {
  const dkim = a.dkim.length > 0 ? a.dkim.map((d) => `dkim=${d.status} header.d=${d.domain} header.s=${d.selector}`) : ['dkim=none'];
  return [
    `Authentication-Results: ${hostname};`,
    ` spf=${a.spf.status} (local delivery: sent by an agent of this gateway) smtp.mailfrom=${mailFrom};`,
    ...dkim.map((d) => ` ${d};`),
    ` dmarc=${a.dmarc.status}${a.dmarc.domain ? ` header.from=${a.dmarc.domain}` : ''}`,
  ].join('\r\n');
}

/** RFC 5321 §4.4: a trace field for this hop too; "with LOCAL" names the protocol, which was none. */
export function localReceivedHeader(hostname: string, id: string, date: Date): string {
  return `Received: by ${hostname} with LOCAL id ${id}; ${date.toUTCString().replace('GMT', '+0000')}`;
}
