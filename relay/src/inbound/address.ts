/**
 * Envelope recipient policy. An inbound-only gateway must never become an open relay, so any
 * address that some MTA somewhere could read as "forward this elsewhere" is refused outright:
 * percent hacks (`a%ext@ours`), bang paths (`ext!a@ours`), quoted local parts holding another
 * address (`"a@ext"@ours`) and source routes (`@ours:a@ext`, RFC 5321 §4.1.2 / appendix C).
 */
import { domainToASCII } from 'node:url';
import { isIP } from 'node:net';
import type { Recipient, RecipientDirectory } from '../ports.js';
import type { SmtpReply } from '../smtp-reply.js';
import { REPLY } from '../smtp-reply.js';

export type AddressSyntax =
  | { kind: 'clean'; local: string; domain: string; address: string }
  /** Something an MTA might route onwards: always a relay attempt, whatever the domain. */
  | { kind: 'relay-trick'; reason: string }
  /** Not a domain we could ever receive for (IP literal, malformed, missing). */
  | { kind: 'foreign-domain'; reason: string }
  /** A local part outside the set our mailboxes are named from. */
  | { kind: 'unsafe-local'; local: string; domain: string; reason: string };

export type RecipientVerdict =
  | { ok: true; local: string; domain: string; address: string; recipient: Recipient }
  | { ok: false; reply: SmtpReply; reason: string };

/** Characters that carry routing meaning somewhere (RFC 5321 §3.6, RFC 1123 §5.2.16, UUCP). */
const ROUTING = /[@%!:"\\\s]/;
/** The dot-atom subset mailboxes here are named from. */
const SAFE_LOCAL = /^[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*$/;
const LDH_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * True when `local` is a mailbox name this gateway hands out: lower-case dot-atom of letters, digits
 * and `. _ + -`, at most 64 octets (RFC 5321 §4.5.3.1.1). The api uses it when agents are created,
 * so no mailbox can exist that RCPT TO would refuse.
 */
export function checkLocalPart(local: string): boolean {
  return local.length <= 64 && SAFE_LOCAL.test(local.toLowerCase());
}

/** Classifies an address string (as smtp-server hands it over: no angle brackets). */
export function classifyAddress(input: string): AddressSyntax {
  const raw = input.trim();
  if (raw.startsWith('@')) return { kind: 'relay-trick', reason: 'source route' };
  if (raw.startsWith('"')) return { kind: 'relay-trick', reason: 'quoted local part' };

  const at = raw.lastIndexOf('@');
  if (at <= 0 || at === raw.length - 1) return { kind: 'foreign-domain', reason: 'no domain' };
  const localRaw = raw.slice(0, at);
  const domainRaw = raw.slice(at + 1);

  if (ROUTING.test(localRaw)) return { kind: 'relay-trick', reason: 'routing character in local part' };
  if (domainRaw.startsWith('[') || isIP(domainRaw) !== 0) {
    return { kind: 'foreign-domain', reason: 'address literal' };
  }
  const domain = normaliseDomain(domainRaw);
  if (!domain) return { kind: 'foreign-domain', reason: 'malformed domain' };

  const local = localRaw.toLowerCase();
  if (!checkLocalPart(local)) {
    return { kind: 'unsafe-local', local, domain, reason: 'local part outside the safe set' };
  }
  return { kind: 'clean', local, domain, address: `${local}@${domain}` };
}

/**
 * The whole RCPT TO decision: syntax, then "is this domain ours", then "does this mailbox exist".
 * The order matters: a relay trick is refused before any lookup, and a foreign domain is
 * "relaying denied" (550 5.7.1) while a local unknown is "no such mailbox" (550 5.1.1).
 */
export async function evaluateRecipient(input: string, directory: RecipientDirectory): Promise<RecipientVerdict> {
  // RFC 5321 §4.5.1: "RCPT TO:<Postmaster>" without a domain MUST be accepted.
  if (input.trim().toLowerCase() === 'postmaster') {
    const recipient = await directory.lookup('postmaster');
    if (!recipient) return { ok: false, reply: REPLY.unknownMailbox, reason: 'no postmaster' };
    const at = recipient.address.lastIndexOf('@');
    return { ok: true, local: recipient.address.slice(0, at), domain: recipient.address.slice(at + 1), address: recipient.address, recipient };
  }
  const syntax = classifyAddress(input);
  switch (syntax.kind) {
    case 'relay-trick':
    case 'foreign-domain':
      return { ok: false, reply: REPLY.relayDenied, reason: syntax.reason };
    case 'unsafe-local':
      if (!(await directory.isLocalDomain(syntax.domain))) {
        return { ok: false, reply: REPLY.relayDenied, reason: 'domain is not ours' };
      }
      return { ok: false, reply: REPLY.badAddressSyntax, reason: syntax.reason };
    case 'clean': {
      if (!(await directory.isLocalDomain(syntax.domain))) {
        return { ok: false, reply: REPLY.relayDenied, reason: 'domain is not ours' };
      }
      const recipient = await directory.lookup(syntax.address);
      if (!recipient) return { ok: false, reply: REPLY.unknownMailbox, reason: 'no such mailbox' };
      return { ok: true, local: syntax.local, domain: syntax.domain, address: syntax.address, recipient };
    }
  }
}

/**
 * Lower-case A-label form (RFC 5890), no trailing dot; null when it is not a host name. smtp-server
 * turns xn-- labels into U-labels, and the directory keys on one spelling.
 */
function normaliseDomain(input: string): string | null {
  const ascii = domainToASCII(input.replace(/\.$/, '')).toLowerCase();
  if (!ascii || ascii.length > 253) return null;
  const labels = ascii.split('.');
  if (labels.length < 2) return null;
  return labels.every((l) => LDH_LABEL.test(l)) ? ascii : null;
}
