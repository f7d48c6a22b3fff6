/**
 * Turns mailauth's detailed result into our verdict. Pure, so the alignment rules can be tested
 * without DNS or SMTP.
 */
import type { AuthenticateResult } from 'mailauth';
import { getDomain } from 'tldts';
import type { AuthStatus, Authentication, DkimVerdict, DmarcVerdict, SpfVerdict } from './verdict.js';
import { normaliseStatus } from './verdict.js';

// Same Public Suffix List options mailauth uses for its own relaxed guesses (ICANN + private).
const PSL = { allowIcannDomains: true, allowPrivateDomains: true } as const;

export function toAuthentication(result: AuthenticateResult): Authentication {
  const from = result.dkim.headerFrom ?? [];
  // RFC 9989 §5.3.1: with zero or several From mailboxes nobody in particular is proven.
  const sender = from.length === 1 && from[0] ? from[0].toLowerCase() : null;
  const fromDomain = sender ? domainOf(sender) : null;

  const dmarc = toDmarc(result, fromDomain);
  const dmarcAlignment = result.dmarc ? result.dmarc.alignment : undefined;
  const dkim = toDkim(result);
  const spf = toSpf(result, fromDomain, dmarcAlignment?.spf?.result);

  return {
    spf,
    dkim,
    dmarc,
    arc: { status: result.arc ? normaliseStatus(result.arc.status.result) : 'none' },
    verified: sender !== null && isVerified(result, dmarc),
    sender,
  };
}

function toDmarc(result: AuthenticateResult, fromDomain: string | null): DmarcVerdict {
  if (!result.dmarc) return { status: 'none', domain: fromDomain, policy: null };
  const status = normaliseStatus(result.dmarc.status.result);
  const hasRecord = status === 'pass' || status === 'fail';
  return {
    status,
    domain: result.dmarc.status.header?.from ?? fromDomain,
    policy: hasRecord && typeof result.dmarc.policy === 'string' ? result.dmarc.policy : null,
  };
}

/**
 * mailauth sets `status.aligned` per signature: for a passing signature it is the DMARC verdict
 * (which honours `adkim=s`, RFC 9989 §3.2.10.2) once a record was found; without a record it is a
 * relaxed, Public Suffix List guess. Signatures that could not even be parsed carry no `d=` and
 * are dropped: they say nothing about who sent the message.
 */
function toDkim(result: AuthenticateResult): DkimVerdict[] {
  const rows = result.dkim.results ?? [];
  const out: DkimVerdict[] = [];
  for (const row of rows) {
    if (!row.signingDomain) continue;
    out.push({
      status: dkimStatus(row),
      domain: row.signingDomain.toLowerCase(),
      selector: row.selector ?? '',
      aligned: Boolean(row.status.aligned),
    });
  }
  return out;
}

/**
 * mailauth's lenient mode reports a body hash mismatch as `neutral`; RFC 6376 §6.1.3 makes it a
 * failed verification (PERMFAIL), which RFC 8601 §2.7.1 reports as `fail`. A tampered body is
 * exactly what a reader must see as fail.
 */
function dkimStatus(row: AuthenticateResult['dkim']['results'][number]): AuthStatus {
  const status = normaliseStatus(row.status.result);
  const mismatch = Boolean(row.bodyHash && row.bodyHashExpecting && row.bodyHash !== row.bodyHashExpecting);
  return status === 'neutral' && mismatch ? 'fail' : status;
}

function toSpf(result: AuthenticateResult, fromDomain: string | null, dmarcAligned: string | undefined): SpfVerdict {
  if (!result.spf) return { status: 'none', domain: null, aligned: false };
  const domain = result.spf.domain ? result.spf.domain.toLowerCase() : null;
  let aligned: boolean;
  if (result.dmarc && result.dmarc.alignment) {
    // DMARC evaluated a record: it knows the mode (aspf) and only counts a passing SPF.
    aligned = Boolean(dmarcAligned);
  } else {
    aligned = domain !== null && fromDomain !== null && relaxedAligned(domain, fromDomain);
  }
  return { status: normaliseStatus(result.spf.status.result), domain, aligned };
}

function isVerified(result: AuthenticateResult, dmarc: DmarcVerdict): boolean {
  if (dmarc.status === 'pass') return true;
  // Only "no DMARC record at all" lets DKIM speak alone; fail/temperror/permerror never do, and
  // neither does a message DMARC refused to evaluate (several From domains, RFC 9989 §5.3.1).
  if (dmarc.status !== 'none' || !result.dmarc || result.dmarcSkipReason) return false;
  return (result.dkim.results ?? []).some(
    (row) =>
      normaliseStatus(row.status.result) === 'pass' &&
      Boolean(row.status.aligned) &&
      // An l= signature leaves part of the body unsigned (RFC 6376 §8.2): anyone may append.
      !row.status.underSized,
  );
}

export function relaxedAligned(a: string, b: string): boolean {
  const orgA = getDomain(a, PSL) ?? a;
  const orgB = getDomain(b, PSL) ?? b;
  return orgA.toLowerCase() === orgB.toLowerCase();
}

function domainOf(address: string): string | null {
  const at = address.lastIndexOf('@');
  return at > 0 ? address.slice(at + 1).toLowerCase().replace(/\.$/, '') : null;
}

/**
 * Picks the Authentication-Results field out of mailauth's trace block (which also holds
 * Received-SPF). Fields are separated by a line break not followed by whitespace (RFC 5322 §2.2.3).
 */
export function authResultsField(headers: string): string | null {
  const fields = headers.split(/\r?\n(?![ \t])/);
  const field = fields.find((f) => /^authentication-results:/i.test(f));
  return field ? field.replace(/\r?\n/g, '\r\n') : null;
}
