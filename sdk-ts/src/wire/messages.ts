import { z } from 'zod';
import { Authentication } from './authentication.js';
import { EmailAddress, PageQuery, Timestamp, page } from './primitives.js';
import { MESSAGE_PRIORITIES } from '../values.js';

export const MESSAGE_DIRECTIONS = ['inbound', 'outbound'] as const;
export const MESSAGE_STATUSES = ['received', 'held', 'queued', 'sent', 'failed', 'bounced', 'rejected', 'blocked'] as const;

export { MESSAGE_PRIORITIES };
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
  })
  .meta({ id: 'MessageSummary' });
export type MessageSummary = z.infer<typeof MessageSummary>;

export const MessagePage = page(MessageSummary).meta({ id: 'MessagePage' });
export type MessagePage = z.infer<typeof MessagePage>;

/** One message in full: headers, bodies, the verdict and freshly signed claims. */
export const Message = MessageSummary.extend({
  in_reply_to: z.string().nullable(),
  references: z.array(z.string()),
  headers: z.array(z.object({ name: z.string(), value: z.string() })),
  text: z.string().nullable(),
  html: z.string().nullable(),
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

export const ListMessagesQuery = PageQuery.extend({
  direction: z.enum(MESSAGE_DIRECTIONS).optional(),
  since: Timestamp.optional(),
  until: Timestamp.optional(),
  from: z.string().max(254).optional(),
  subject_contains: z.string().max(200).optional(),
  conversation_id: z.string().max(64).optional(),
  unread: booleanQuery.optional(),
  priority: z.enum(MESSAGE_PRIORITIES).optional(),
});
export type ListMessagesQuery = z.infer<typeof ListMessagesQuery>;
