import { z } from 'zod';
import { PageQuery, Timestamp, page } from './primitives.js';

/**
 * Mail the gateway captured instead of sending (outbound_smtp.mode outbox, the development default).
 * `source` is `message` for an agent's send and `system_mail` for the gateway's own mail (review
 * notifications).
 */
export const OutboxItem = z
  .object({
    id: z.string(),
    source: z.enum(['message', 'system_mail']),
    /** The message id (msg_…) or system mail id (sys_…) the capture came from. */
    source_id: z.string(),
    /** The sending agent; null for the gateway's own mail. */
    agent_address: z.string().nullable(),
    mail_from: z.string(),
    recipients: z.array(z.string()),
    subject: z.string(),
    size_bytes: z.number().int(),
    created_at: Timestamp,
  })
  .meta({ id: 'OutboxItem' });
export type OutboxItem = z.infer<typeof OutboxItem>;

export const OutboxMessage = OutboxItem.extend({
  /** The text part (or the HTML part as text), decoded. */
  text: z.string().nullable(),
  /** Every http(s) URL in the message, in order of first appearance (e.g. a review's magic link). */
  links: z.array(z.string()),
  /** The raw RFC 5322 message exactly as it would have left (also at GET /v1/outbox/{id}/raw). */
  raw: z.string(),
}).meta({ id: 'OutboxMessage' });
export type OutboxMessage = z.infer<typeof OutboxMessage>;

export const OutboxPage = page(OutboxItem).meta({ id: 'OutboxPage' });
export type OutboxPage = z.infer<typeof OutboxPage>;

export const ListOutboxQuery = PageQuery;
export type ListOutboxQuery = z.infer<typeof ListOutboxQuery>;
