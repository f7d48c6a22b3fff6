/**
 * Strict parsing of one mailbox (`addr@example.com` or `Name <addr@example.com>`) for mail we send.
 * RFC 5322 §3.4 allows groups, comments and lists in an address field; an API field that names ONE
 * recipient must not smuggle in a second one ("a@b.com, c@d.com") or a header ("a@b.com\r\nBcc: …"),
 * so anything beyond a single plain mailbox is refused rather than repaired.
 */
import addressparser from 'nodemailer/lib/addressparser';

export interface Mailbox {
  /** Lower-cased domain; the local part keeps its case (RFC 5321 §2.4). */
  address: string;
  name: string | null;
}

export type MailboxResult = { ok: true; mailbox: Mailbox } | { ok: false; reason: string };

/** RFC 5321 §4.1.2 dot-atom local part (no quoted strings) and LDH domain labels. */
const LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** Syntax check of a bare address: `local@domain`, at most 254 octets (RFC 5321 §4.5.3.1.3). */
export function checkAddress(address: string): string | null {
  if (address.length > 254) return 'address is longer than 254 characters';
  const at = address.lastIndexOf('@');
  if (at <= 0) return 'expected local@domain';
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.length > 64 || !LOCAL.test(local)) return `invalid local part "${local}"`;
  if (!DOMAIN.test(domain)) return `invalid domain "${domain}"`;
  return null;
}

export function normaliseAddress(address: string): string {
  const at = address.lastIndexOf('@');
  return `${address.slice(0, at)}@${address.slice(at + 1).toLowerCase()}`;
}

/** Parses `text` as exactly one mailbox, optionally with a display name. */
export function parseMailbox(text: string): MailboxResult {
  // RFC 5322 §2.2: a line break ends the field; NUL is never allowed (header injection).
  if (/[\r\n\0]/.test(text)) return { ok: false, reason: 'must not contain line breaks or NUL' };
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, reason: 'empty address' };
  const parsed = addressparser(trimmed);
  if (parsed.length !== 1) return { ok: false, reason: 'one address per entry: put each recipient in its own array element' };
  const entry = parsed[0]!;
  if (entry.group !== undefined) return { ok: false, reason: 'address groups are not accepted' };
  const bracketed = trimmed.includes('<');
  // addressparser repairs input ("a@b.com c@d.com" becomes a name and an address); we do not.
  if (!bracketed && trimmed !== entry.address) return { ok: false, reason: 'expected addr@example.com or "Name <addr@example.com>"' };
  if (bracketed && (trimmed.split('<').length !== 2 || !trimmed.endsWith('>'))) {
    return { ok: false, reason: 'expected "Name <addr@example.com>"' };
  }
  const problem = checkAddress(entry.address);
  if (problem) return { ok: false, reason: problem };
  return { ok: true, mailbox: { address: normaliseAddress(entry.address), name: entry.name.trim() || null } };
}

/** Checks an `{address, name}` pair from the API with the same rules. */
export function checkMailbox(address: string, name: string | null): MailboxResult {
  if (/[\r\n\0]/.test(address) || (name !== null && /[\r\n\0]/.test(name))) {
    return { ok: false, reason: 'must not contain line breaks or NUL' };
  }
  const problem = checkAddress(address.trim());
  if (problem) return { ok: false, reason: problem };
  return { ok: true, mailbox: { address: normaliseAddress(address.trim()), name: name?.trim() || null } };
}

/**
 * Every mailbox of a received header value (a Reply-To list, groups flattened), each checked with
 * the strict rules; entries that fail are dropped, since we only ever reply to addresses we can trust.
 */
export function parseAddressList(value: string): Mailbox[] {
  const out: Mailbox[] = [];
  for (const entry of addressparser(value.replace(/[\r\n]+/g, ' '), { flatten: true })) {
    const checked = checkMailbox(entry.address, entry.name || null);
    if (checked.ok) out.push(checked.mailbox);
  }
  return out;
}
