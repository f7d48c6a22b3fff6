import { z } from 'zod';
import { MESSAGE_PRIORITIES } from './messages.js';
import { Timestamp } from './primitives.js';

/** No CR or LF anywhere a value becomes a header line (RFC 5322 §2.2: header injection). */
const headerSafe = (max: number) =>
  z
    .string()
    .max(max)
    .refine((v) => !/[\r\n\0]/.test(v), 'must not contain line breaks or NUL');

/** `"Name <addr@example.com>"` or `addr@example.com`, or `{address, name}`. */
export const Recipient = z.union([
  headerSafe(320),
  z.object({ address: headerSafe(254), name: headerSafe(200).optional() }),
]);
export type Recipient = z.infer<typeof Recipient>;

export const OutboundAttachment = z.object({
  filename: headerSafe(255),
  content_type: headerSafe(255).default('application/octet-stream'),
  /** Base64 of the bytes. */
  content: z.string(),
  /** Set for inline parts referenced by cid: in the HTML. */
  content_id: headerSafe(255).optional(),
});
export type OutboundAttachment = z.input<typeof OutboundAttachment>;

/** Headers a sender may set; everything else the gateway writes itself. */
export const ALLOWED_CUSTOM_HEADERS = ['X-Priority', 'Importance', 'List-Unsubscribe', 'List-Unsubscribe-Post', 'Auto-Submitted', 'Precedence', 'Keywords'] as const;

/**
 * urgent or low sets Priority, Importance and X-Priority on the outgoing mail; normal adds none
 * (docs/PRIORITIES.md). Given, it replaces any X-Priority or Importance in `headers`; left out, the
 * message is normal, or what those headers say.
 */
const sendPriority = z
  .enum(MESSAGE_PRIORITIES)
  .optional()
  .describe('urgent, normal or low (default normal). urgent and low set Priority, Importance and X-Priority on the mail; normal adds none.');

/**
 * Scheduled sending (docs/OUTBOUND.md, "Drafts and scheduled sending"): the message is accepted now
 * (gate, limits, review) with status `scheduled`, and the outbound worker sends it at this time. It
 * must be in the future and at most outbound.max_schedule_days ahead; cancellable until then.
 */
const sendAt = Timestamp.optional().describe(
  'Send at this time instead of now (RFC 3339, in the future, at most outbound.max_schedule_days ahead, 365 by default). The message is accepted at once with status scheduled and can be cancelled until then.',
);

export const SendMessageRequest = z
  .object({
    to: z.array(Recipient).max(100).default([]),
    cc: z.array(Recipient).max(100).default([]),
    bcc: z.array(Recipient).max(100).default([]),
    subject: headerSafe(998).default(''),
    text: z.string().max(10 * 1024 * 1024).optional(),
    html: z.string().max(10 * 1024 * 1024).optional(),
    attachments: z.array(OutboundAttachment).max(100).default([]),
    reply_to: z.array(Recipient).max(10).optional(),
    conversation_id: z.string().max(64).optional(),
    headers: z.record(z.string(), headerSafe(998)).optional(),
    priority: sendPriority,
    /**
     * Per-message expiry (docs/EPHEMERAL.md): a recipient agent of this gateway whose copy is still
     * unread at this time no longer sees it. Not enforceable on mail to other servers.
     */
    expires_at: Timestamp.optional().describe('When unread copies delivered to agents of this gateway vanish (RFC 3339); must be in the future. Other servers cannot be made to honour it.'),
    send_at: sendAt,
  })
  .meta({ id: 'SendMessageRequest' });
export type SendMessageRequest = z.input<typeof SendMessageRequest>;

export const ReplyRequest = SendMessageRequest.omit({ to: true, cc: true, subject: true, conversation_id: true })
  .extend({
    reply_all: z.boolean().default(false),
    /** Extra recipients beyond the original sender (and, with reply_all, the others). */
    to: z.array(Recipient).max(100).default([]),
    cc: z.array(Recipient).max(100).default([]),
    subject: headerSafe(998).optional(),
  })
  .meta({ id: 'ReplyRequest' });
export type ReplyRequest = z.input<typeof ReplyRequest>;

export const ForwardRequest = z
  .object({
    to: z.array(Recipient).min(1).max(100),
    cc: z.array(Recipient).max(100).default([]),
    bcc: z.array(Recipient).max(100).default([]),
    text: z.string().max(1024 * 1024).optional(),
    html: z.string().max(1024 * 1024).optional(),
    priority: sendPriority,
    send_at: sendAt,
  })
  .meta({ id: 'ForwardRequest' });
export type ForwardRequest = z.input<typeof ForwardRequest>;

export const SEND_STATUSES = ['accepted', 'pending_review', 'sent', 'failed', 'rejected', 'scheduled', 'cancelled'] as const;

/** 202 accepted (queued), scheduled (send_at) or pending_review; with ?wait=sent, the final status. */
export const SendResult = z
  .object({
    id: z.string(),
    status: z.enum(SEND_STATUSES),
    conversation_id: z.string(),
    message_id_header: z.string(),
    approval_expires_at: Timestamp.nullable(),
    review_id: z.string().nullable(),
    /** Why it was held, failed or rejected. */
    reason: z.string().nullable(),
    /** The send_at it was accepted with: when a scheduled message goes out; null for mail sent at once. */
    send_at: Timestamp.nullable(),
  })
  .meta({ id: 'SendResult' });
export type SendResult = z.infer<typeof SendResult>;

export const SendQuery = z.object({
  wait: z.enum(['sent']).optional(),
  /** Seconds to wait with wait=sent (default 30, max 120). */
  timeout: z.coerce.number().int().min(1).max(120).optional(),
});
