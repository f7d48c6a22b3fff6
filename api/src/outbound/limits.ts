/**
 * Sending limits, checked before anything is stored. Each failure is a 422 whose message names
 * the config key, so the caller knows which limit it hit and the operator which knob moves it.
 */
import { ALLOWED_CUSTOM_HEADERS, type MessagePriority } from '@e2a/sdk/wire';
import { AppError } from '../errors.js';
import { outgoingPriority } from '../messages/priority.js';
import type { DraftAttachment, OutboundDraft } from './draft.js';
import { uniqueRecipients } from './recipients.js';
import { scheduledSendAt } from './schedule.js';

export interface OutboundLimits {
  maxRecipients: number;
  maxAttachments: number;
  maxAttachmentBytes: number;
  /** smtp.max_message_bytes: what our own relay (and most receivers) accept. */
  maxMessageBytes: number;
  /** outbound.max_schedule_days: how far ahead `send_at` may be (outbound/schedule.ts). */
  maxScheduleDays: number;
}

const limit = (path: string, message: string) => new AppError('validation_error', message, [{ path, message }]);

export function checkRecipientCount(count: number, limits: OutboundLimits): void {
  if (count === 0) throw limit('body.to', 'at least one recipient (to, cc or bcc) is required');
  if (count > limits.maxRecipients) {
    throw limit('body.to', `too many recipients: ${count} (to + cc + bcc) exceeds outbound.max_recipients = ${limits.maxRecipients}`);
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const CONTENT_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$/;
const CONTENT_ID = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.@-]{1,250}$/;

/** Decoded sizes, in order; throws on the first attachment that breaks a rule. */
export function checkAttachments(attachments: DraftAttachment[], limits: OutboundLimits): number[] {
  if (attachments.length > limits.maxAttachments) {
    throw limit('body.attachments', `too many attachments: ${attachments.length} exceeds outbound.max_attachments = ${limits.maxAttachments}`);
  }
  return attachments.map((a, i) => {
    const path = `body.attachments[${i}]`;
    const content = a.content.replace(/\s+/g, '');
    if (!BASE64.test(content) || content.length % 4 !== 0) throw limit(`${path}.content`, `${path}.content must be standard base64 (RFC 4648 §4)`);
    if (!CONTENT_TYPE.test(a.contentType)) throw limit(`${path}.content_type`, `${path}.content_type must be type/subtype, e.g. application/pdf`);
    if (a.contentId !== null && !CONTENT_ID.test(a.contentId)) throw limit(`${path}.content_id`, `${path}.content_id must be a bare id without angle brackets`);
    if (a.filename.trim() === '' || /[\r\n\0]/.test(a.filename)) throw limit(`${path}.filename`, `${path}.filename must be a non-empty name without line breaks`);
    const size = Buffer.byteLength(content, 'base64');
    if (size > limits.maxAttachmentBytes) {
      throw limit(`${path}.content`, `attachment ${i} is ${size} bytes, over outbound.max_attachment_bytes = ${limits.maxAttachmentBytes}`);
    }
    return size;
  });
}

/**
 * The composed size: base64 grows content by 4/3 plus a CRLF every 76 characters (RFC 2045 §6.8),
 * quoted-printable text by up to ~3x in the worst case, so estimate conservatively for text too.
 */
export function checkTotalSize(parts: { text: string | null; html: string | null; attachmentBytes: number[] }, limits: OutboundLimits): number {
  const encoded = (n: number) => Math.ceil(n / 3) * 4 * (78 / 76);
  const textBytes = Buffer.byteLength(parts.text ?? '') + Buffer.byteLength(parts.html ?? '');
  const estimate = Math.ceil(4096 + textBytes * 1.1 + parts.attachmentBytes.reduce((sum, n) => sum + encoded(n), 0));
  if (estimate > limits.maxMessageBytes) {
    throw limit('body', `message too large: about ${estimate} bytes once encoded, over smtp.max_message_bytes = ${limits.maxMessageBytes}`);
  }
  return estimate;
}

const ALLOWED = new Map(ALLOWED_CUSTOM_HEADERS.map((h) => [h.toLowerCase(), h]));

/** Only allow-listed names (canonical spelling), values without line breaks (RFC 5322 §2.2). */
export function checkCustomHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const canonical = ALLOWED.get(name.toLowerCase());
    if (!canonical || /[\r\n\0:]/.test(name)) {
      throw limit(`body.headers.${name.replace(/[^\x21-\x7e]/g, '?')}`, `header "${name.replace(/[^\x20-\x7e]/g, '?')}" is not allowed; custom headers are limited to ${ALLOWED_CUSTOM_HEADERS.join(', ')}`);
    }
    if (/[\r\n\0]/.test(value)) throw limit(`body.headers.${canonical}`, `header ${canonical} must not contain line breaks or NUL`);
    out[canonical] = value;
  }
  return out;
}

/**
 * Every check a send makes before its gate, in order; the priority headers go into `draft.headers`
 * so the composed mail carries them (messages/priority.ts). `recipientsRequired: false` for a saved
 * draft, which may have none yet.
 */
export function checkSend(
  draft: OutboundDraft,
  request: { priority?: MessagePriority | undefined; send_at?: string | undefined },
  now: Date,
  limits: OutboundLimits,
  opts = { recipientsRequired: true },
) {
  const recipients = uniqueRecipients(draft.to, draft.cc, draft.bcc);
  if (opts.recipientsRequired || recipients.length > 0) checkRecipientCount(recipients.length, limits);
  const { priority, headers } = outgoingPriority(checkCustomHeaders(draft.headers), request.priority);
  draft.headers = headers;
  const attachmentBytes = checkAttachments(draft.attachments, limits);
  const estimate = checkTotalSize({ text: draft.text, html: draft.html, attachmentBytes }, limits);
  if (draft.expiresAt && new Date(draft.expiresAt) <= now) {
    throw new AppError('validation_error', 'body.expires_at must be in the future: it is when unread copies stop being shown (docs/EPHEMERAL.md)', [{ path: 'expires_at', message: 'must be in the future' }]);
  }
  const sendAt = scheduledSendAt({ sendAt: request.send_at, expiresAt: draft.expiresAt }, now, limits.maxScheduleDays);
  return { recipients, priority, attachmentBytes, estimate, sendAt };
}
