import { z } from 'zod';
import { Authentication } from './authentication.js';
import { EmailAddress, PageQuery, Timestamp, page } from './primitives.js';
import { LabelFilter } from './labels.js';
import { MESSAGE_PRIORITIES } from '../values.js';

export const MESSAGE_DIRECTIONS = ['inbound', 'outbound'] as const;
/** `scheduled`: outbound, waiting for its `send_at`; `cancelled`: a scheduled message cancelled before then (docs/OUTBOUND.md). */
export const MESSAGE_STATUSES = ['received', 'held', 'queued', 'sent', 'failed', 'bounced', 'rejected', 'blocked', 'scheduled', 'cancelled'] as const;

export { MESSAGE_PRIORITIES };
/** The two places a listing reads (`?in=`): the mailbox, or its trash (docs/RETENTION.md). */
export const MAILBOX_PLACES = ['mailbox', 'trash'] as const;
export type MailboxPlace = (typeof MAILBOX_PLACES)[number];
export type MessagePriority = (typeof MESSAGE_PRIORITIES)[number];
export const MessagePriority = z.enum(MESSAGE_PRIORITIES).meta({ id: 'MessagePriority', description: "urgent, normal or low. Inbound: the sender's claim from its priority headers, not authenticated (docs/PRIORITIES.md)." });

export const AttachmentMeta = z
  .object({
    index: z.number().int(),
    filename: z.string().nullable(),
    content_type: z.string(),
    size: z.number().int(),
    content_id: z.string().nullable(),
    disposition: z.enum(['attachment', 'inline']),
  })
  .meta({ id: 'AttachmentMeta' });
export type AttachmentMeta = z.infer<typeof AttachmentMeta>;

/** What a list shows: metadata only. */
export const MessageSummary = z
  .object({
    id: z.string(),
    agent_address: z.string(),
    direction: z.enum(MESSAGE_DIRECTIONS),
    status: z.enum(MESSAGE_STATUSES),
    conversation_id: z.string(),
    message_id_header: z.string().nullable(),
    from: EmailAddress.nullable(),
    to: z.array(EmailAddress),
    cc: z.array(EmailAddress),
    subject: z.string().nullable(),
    size: z.number().int(),
    attachment_count: z.number().int(),
    verified: z.boolean(),
    priority: MessagePriority,
    received_at: Timestamp,
    read_at: Timestamp.nullable(),
    /** The agent's labels on it, system labels (unread, sent, trash) first (docs/LABELS.md). */
    labels: z.array(z.string()),
    /** Outbound mail sent with `send_at`: when it is (or was) due; absent for mail sent at once. */
    send_at: Timestamp.nullable().optional(),
    /**
     * When the message went to the trash (DELETE, or its retention period); null while it is in the
     * mailbox. It can be restored until `deleted_at` + the server's retention.trash_days, then it is
     * purged (docs/RETENTION.md). Absent only from servers older than retention.
     */
    deleted_at: Timestamp.nullable().optional(),
  })
  .meta({ id: 'MessageSummary' });
export type MessageSummary = z.infer<typeof MessageSummary>;

/**
 * Where a message matched a search (docs/SEARCH.md). `snippet` is text of the message, HTML-escaped
 * (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&#39;`) so that it is safe to put in a page as it is; the
 * matched words are between `<mark>` and `</mark>`, the only markup in it. One line, at most 320
 * characters of text (`…` where it was cut).
 */
export const SearchMatch = z
  .object({
    snippet: z.string().describe('Matched words between <mark> and </mark>; everything else HTML-escaped text of the message'),
    rank: z.number().describe('ts_rank of the message for the query: higher is better; comparable within one query only'),
  })
  .meta({ id: 'SearchMatch' });
export type SearchMatch = z.infer<typeof SearchMatch>;

/** A message of a list; with `q`, where it matched. */
export const MessageListItem = MessageSummary.extend({ match: SearchMatch.optional() }).meta({ id: 'MessageListItem' });
export type MessageListItem = z.infer<typeof MessageListItem>;

export const MessagePage = page(MessageListItem).meta({ id: 'MessagePage' });
export type MessagePage = z.infer<typeof MessagePage>;

/** One message in full: headers, bodies, the verdict and freshly signed claims. */
export const Message = MessageSummary.extend({
  in_reply_to: z.string().nullable(),
  references: z.array(z.string()),
  headers: z.array(z.object({ name: z.string(), value: z.string() })),
  text: z.string().nullable(),
  html: z.string().nullable(),
  /**
   * `text` with the quoted history (">" lines, "On … wrote:", Outlook's "From: … Sent:" block,
   * forwarded parts) and the signature removed: what this message adds to its thread
   * (docs/API.md, "Reply extraction"). The whole text when nothing else is left; null with no text.
   * Absent only from servers older than reply extraction.
   */
  extracted_text: z.string().nullable().optional(),
  /** The same for `html`: the quote and signature blocks mail clients mark in their markup cut out. */
  extracted_html: z.string().nullable().optional(),
  authentication: Authentication.nullable(),
  /** X-E2A-Auth-* header name → value, signed at the time of this response. */
  auth_claims: z.record(z.string(), z.string()).nullable(),
  attachments: z.array(AttachmentMeta),
}).meta({ id: 'Message' });
export type Message = z.infer<typeof Message>;

/** PATCH /v1/agents/{address}/messages/{id}: mark read (true) or unread (false). */
export const UpdateMessageRequest = z.object({ read: z.boolean() }).meta({ id: 'UpdateMessageRequest' });
export type UpdateMessageRequest = z.infer<typeof UpdateMessageRequest>;

const booleanQuery = z.enum(['true', 'false']).transform((v) => v === 'true');

/** Full-text search, web-search style (docs/SEARCH.md): words, "a phrase", -excluded, or. */
export const SearchText = z
  .string()
  .min(1)
  .max(256)
  .describe('Words to find in subject, body, addresses and attachment names, web-search style: "a phrase", -excluded, or. Best match first; each item gets `match`.');

export const ListMessagesQuery = PageQuery.extend({
  q: SearchText.optional(),
  direction: z.enum(MESSAGE_DIRECTIONS).optional(),
  since: Timestamp.optional(),
  until: Timestamp.optional(),
  from: z.string().max(254).optional(),
  subject_contains: z.string().max(200).optional(),
  conversation_id: z.string().max(64).optional(),
  unread: booleanQuery.optional(),
  priority: z.enum(MESSAGE_PRIORITIES).optional(),
  label: LabelFilter.optional(),
  in: z.enum(MAILBOX_PLACES).optional().describe('mailbox (default): the messages not deleted; trash: those deleted and not yet purged (docs/RETENTION.md)'),
});
export type ListMessagesQuery = z.infer<typeof ListMessagesQuery>;
