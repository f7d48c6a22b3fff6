/**
 * MIME parsing with mailparser into the shape the api stores. A message we accepted over SMTP must
 * be stored even when its MIME is broken, so parsing never throws: the fallback keeps the headers
 * we can read and the body as text.
 */
import type { AddressObject, Attachment, EmailAddress, ParsedMail } from 'mailparser';
import { simpleParser } from 'mailparser';
import { fieldValue, scanHeaderSection } from './header-section.js';
import { htmlToText } from './html-text.js';

export interface Address {
  address: string;
  name: string;
}

export interface ParsedAttachment {
  filename: string | null;
  contentType: string;
  size: number;
  /** Content-ID without angle brackets, for `cid:` references in the HTML part. */
  contentId: string | null;
  disposition: 'attachment' | 'inline';
  content: Buffer;
}

export interface ParsedMessage {
  subject: string | null;
  from: Address | null;
  to: Address[];
  cc: Address[];
  replyTo: Address[];
  date: Date | null;
  /** Message-ID without angle brackets. */
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  text: string | null;
  html: string | null;
  /** Every header field in order; values unfolded but not MIME-decoded. */
  headers: Array<{ name: string; value: string }>;
  attachments: ParsedAttachment[];
}

export async function parseMessage(raw: Buffer): Promise<ParsedMessage> {
  try {
    const mail = await simpleParser(raw, {
      // Keep `cid:` links as written; the parts are in `attachments` with their contentId.
      keepCidLinks: true,
      // textAsHtml is not part of ParsedMessage; do not spend time building it.
      skipTextToHtml: true,
      skipImageLinks: true,
      // mailparser's converter (html-to-text) is quadratic in nesting depth: 55 s for 200,000
      // nested elements. The text of an HTML-only message comes from html-text.ts instead.
      skipHtmlToText: true,
    });
    return fromMailparser(mail, raw);
  } catch {
    return minimalParse(raw);
  }
}

function fromMailparser(mail: ParsedMail, raw: Buffer): ParsedMessage {
  const from = addresses(mail.from)[0] ?? null;
  return {
    subject: mail.subject ?? null,
    from,
    to: addresses(mail.to),
    cc: addresses(mail.cc),
    replyTo: addresses(mail.replyTo),
    date: mail.date && !Number.isNaN(mail.date.getTime()) ? mail.date : null,
    messageId: firstMsgId(mail.messageId),
    inReplyTo: firstMsgId(mail.inReplyTo),
    references: msgIds(mail.references),
    text: textOf(mail),
    html: typeof mail.html === 'string' ? mail.html : null,
    // Read from our own scan, not mailparser's headerLines: same bytes, and identical in the fallback.
    headers: headerList(raw),
    attachments: mail.attachments.map(toAttachment),
  };
}

/**
 * The text part; for a message with only HTML, what a reader sees of it (hidden text is left to the
 * content scan, which reads the HTML itself).
 */
function textOf(mail: ParsedMail): string | null {
  if (mail.text && mail.text.trim() !== '') return mail.text;
  if (typeof mail.html === 'string') return htmlToText(mail.html);
  return mail.text ?? null;
}

function toAttachment(a: Attachment): ParsedAttachment {
  return {
    filename: a.filename ?? null,
    contentType: a.contentType || 'application/octet-stream',
    size: a.size ?? a.content.length,
    contentId: a.cid ? stripBrackets(a.cid) : null,
    disposition: a.contentDisposition === 'inline' ? 'inline' : 'attachment',
    content: a.content,
  };
}

function addresses(field: AddressObject | AddressObject[] | undefined): Address[] {
  if (!field) return [];
  const out: Address[] = [];
  const visit = (list: EmailAddress[]): void => {
    for (const entry of list) {
      // RFC 6854 groups: the members are the addresses.
      if (entry.group) visit(entry.group);
      else if (entry.address) out.push({ address: entry.address, name: entry.name ?? '' });
    }
  };
  for (const obj of Array.isArray(field) ? field : [field]) visit(obj.value);
  return out;
}

/**
 * Message identifiers without angle brackets (RFC 5322 §3.6.4). Takes every `<…>` in the value;
 * a value without brackets is split on whitespace, which is what broken mailers send.
 */
export function msgIds(value: string | string[] | undefined): string[] {
  if (!value) return [];
  const out: string[] = [];
  for (const v of Array.isArray(value) ? value : [value]) {
    const bracketed = v.match(/<[^<>]*>/g);
    const ids = bracketed ? bracketed.map(stripBrackets) : v.split(/[\s,]+/);
    for (const id of ids) if (id.trim()) out.push(id.trim());
  }
  return out;
}

function firstMsgId(value: string | string[] | undefined): string | null {
  return msgIds(value)[0] ?? null;
}

function stripBrackets(id: string): string {
  // Index arithmetic, not `/>+$/`: that retries from every `>` of a long run of them, O(n²).
  const t = id.trim();
  let start = 0;
  let end = t.length;
  while (start < end && t[start] === '<') start++;
  while (end > start && t[end - 1] === '>') end--;
  return t.slice(start, end).trim();
}

function headerList(raw: Buffer): Array<{ name: string; value: string }> {
  const out: Array<{ name: string; value: string }> = [];
  for (const field of scanHeaderSection(raw).fields) {
    if (field.name === null) continue;
    out.push({ name: field.name, value: decodeText(Buffer.from(fieldValue(raw, field), 'latin1')) });
  }
  return out;
}

/**
 * The last resort when mailparser fails: headers best-effort, the body as text, no decoding of
 * MIME structure. The message is still stored and the agent still sees something readable.
 */
export function minimalParse(raw: Buffer): ParsedMessage {
  const section = scanHeaderSection(raw);
  const headers = headerList(raw);
  const get = (name: string): string | null =>
    headers.find((h) => h.name.toLowerCase() === name)?.value ?? null;

  const bodyStart = raw.indexOf(0x0a, section.separatorStart);
  const body = section.separatorStart < raw.length && bodyStart !== -1 ? raw.subarray(bodyStart + 1) : null;
  const date = get('date') ? new Date(get('date') as string) : null;
  const fromValue = get('from');
  const fromAddress = fromValue ? addressIn(fromValue) : null;

  return {
    subject: get('subject'),
    from: fromAddress ? { address: fromAddress, name: '' } : null,
    to: [],
    cc: [],
    replyTo: [],
    date: date && !Number.isNaN(date.getTime()) ? date : null,
    messageId: firstMsgId(get('message-id') ?? undefined),
    inReplyTo: firstMsgId(get('in-reply-to') ?? undefined),
    references: msgIds(get('references') ?? undefined),
    text: body ? decodeText(body) : null,
    html: null,
    headers,
    attachments: [],
  };
}

/**
 * The first address in a From value, `<a@b>` preferred. The bare form is matched word by word: one
 * regex over the whole value (`[^\s<>"]+@…`) retried from every character of a long run without an
 * `@`, O(n²) in a header that may be 256 KiB.
 */
function addressIn(value: string): string | null {
  const bracketed = /<([^<>@\s]+@[^<>\s]+)>/.exec(value);
  if (bracketed) return bracketed[1]!;
  for (const word of value.split(/[\s<>"]+/)) {
    const bare = /^(.+@[^\s<>",;]+)/.exec(word);
    if (bare) return bare[1]!;
  }
  return null;
}

/** UTF-8 when the bytes are valid UTF-8, latin1 otherwise: never throws, never loses a byte's meaning. */
function decodeText(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}
