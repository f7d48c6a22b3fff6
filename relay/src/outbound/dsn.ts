/**
 * Delivery Status Notifications (RFC 3464): a `multipart/report; report-type=delivery-status`
 * (RFC 6522) whose `message/delivery-status` part has one block of fields per recipient, and whose
 * third part returns the original message or its headers, which carry the Message-ID we sent.
 * Parsing is forgiving and never throws: a DSN we cannot read is just an inbound message.
 */
import type { ParsedMessage } from '../mime/parse.js';

export interface DsnRecipient {
  recipient: string | null;
  /** failed | delayed | delivered | relayed | expanded (RFC 3464 §2.3.3). */
  action: string;
  /** Enhanced status code, RFC 3463: `5.1.1`. */
  status: string | null;
  diagnostic: string | null;
}

export interface Dsn {
  /** The Message-ID of the message this report is about, without angle brackets. */
  originalMessageId: string | null;
  recipients: DsnRecipient[];
}

const STATUS_PART = /content-type:\s*message\/(global-)?delivery-status[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*\r?\n(?:[^\r\n]+\r?\n)*\r?\n([\s\S]*?)(?:\r?\n--|$)/i;

export function isDeliveryReport(parsed: Pick<ParsedMessage, 'headers'>): boolean {
  const type = parsed.headers.find((h) => h.name.toLowerCase() === 'content-type')?.value ?? '';
  return /^\s*multipart\/report\b/i.test(type) && /report-type\s*=\s*"?delivery-status"?/i.test(type);
}

/** Unfolds RFC 5322 §2.2.3 continuation lines and splits into per-recipient field blocks. */
function fieldBlocks(text: string): Array<Map<string, string>> {
  const unfolded = text.replace(/\r?\n[ \t]+/g, ' ');
  return unfolded.split(/\r?\n\s*\r?\n/).map((block) => {
    const fields = new Map<string, string>();
    for (const line of block.split(/\r?\n/)) {
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (m) fields.set(m[1]!.toLowerCase(), m[2]!.trim());
    }
    return fields;
  });
}

/** `rfc822; bob@example.com` → `bob@example.com` (RFC 3464 §2.3.2). */
const addressOf = (value: string | undefined) => (value ? (value.split(';').pop()!.trim().replace(/^<|>$/g, '') || null) : null);

export function parseDsn(raw: Buffer, parsed: ParsedMessage): Dsn | null {
  if (!isDeliveryReport(parsed)) return null;
  const text = raw.toString('latin1');
  const part = STATUS_PART.exec(text);
  const recipients: DsnRecipient[] = [];
  if (part) {
    for (const fields of fieldBlocks(part[2]!)) {
      const action = fields.get('action');
      if (!action) continue;
      recipients.push({
        recipient: addressOf(fields.get('final-recipient') ?? fields.get('original-recipient')),
        action: action.toLowerCase(),
        status: /^\d\.\d{1,3}\.\d{1,3}/.exec(fields.get('status') ?? '')?.[0] ?? null,
        diagnostic: fields.get('diagnostic-code')?.slice(0, 500) ?? null,
      });
    }
  }
  // The returned headers or message (text/rfc822-headers, message/rfc822) name the original.
  let originalMessageId: string | null = null;
  for (const a of parsed.attachments) {
    if (!/^(text\/rfc822-headers|message\/(global-)?rfc822|message\/global-headers)$/i.test(a.contentType)) continue;
    const m = /^message-id:\s*<([^>\r\n]+)>/im.exec(a.content.toString('latin1'));
    if (m) {
      originalMessageId = m[1]!;
      break;
    }
  }
  // Some MTAs put the returned headers inline in the report; the last resort is In-Reply-To.
  if (!originalMessageId) {
    const returned = part ? text.slice(part.index + part[0].length) : '';
    originalMessageId = /^message-id:\s*<([^>\r\n]+)>/im.exec(returned)?.[1] ?? parsed.inReplyTo;
  }
  return { originalMessageId, recipients };
}

/** "5.1.1 smtp; 550 5.1.1 no such user (bob@example.com)": what a person needs to see. */
export function describeDsn(dsn: Dsn): string {
  const failed = dsn.recipients.filter((r) => r.action === 'failed');
  const shown = (failed.length > 0 ? failed : dsn.recipients).slice(0, 3);
  if (shown.length === 0) return 'delivery status notification without recipient details';
  return shown.map((r) => [r.status, r.diagnostic, r.recipient ? `(${r.recipient})` : null].filter(Boolean).join(' ')).join('; ');
}
