import { z } from 'zod';
import { PageQuery, Timestamp, page } from './primitives.js';
import { MessageSummary } from './messages.js';
import { LabelFilter } from './labels.js';

export const Conversation = z
  .object({
    id: z.string(),
    agent_address: z.string(),
    subject: z.string().nullable(),
    message_count: z.number().int(),
    created_at: Timestamp,
    last_message_at: Timestamp,
    /** The conversation's own labels, and the system labels its messages give it (docs/LABELS.md). */
    labels: z.array(z.string()),
  })
  .meta({ id: 'Conversation' });
export type Conversation = z.infer<typeof Conversation>;

export const ConversationPage = page(Conversation).meta({ id: 'ConversationPage' });
export type ConversationPage = z.infer<typeof ConversationPage>;

/** A conversation with its messages, oldest first (at most 200; page the messages API for more). */
export const ConversationDetail = Conversation.extend({ messages: z.array(MessageSummary) }).meta({ id: 'ConversationDetail' });
export type ConversationDetail = z.infer<typeof ConversationDetail>;

export const ListConversationsQuery = PageQuery.extend({ label: LabelFilter.optional() });
export type ListConversationsQuery = z.infer<typeof ListConversationsQuery>;
