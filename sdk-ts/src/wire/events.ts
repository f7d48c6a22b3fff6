import { z } from 'zod';
import { MESSAGE_DIRECTIONS, MESSAGE_PRIORITIES } from './messages.js';
import { PageQuery, Timestamp, page } from './primitives.js';

import { AGENT_EVENT_TYPES, CONTACT_EVENT_TYPES, CONVERSATION_EVENT_TYPES, EVENT_TYPES, type AgentEventType, type ContactEventType, type ConversationEventType, type EventType } from '../values.js';

export { AGENT_EVENT_TYPES, CONTACT_EVENT_TYPES, CONVERSATION_EVENT_TYPES, EVENT_TYPES, type AgentEventType, type ContactEventType, type ConversationEventType, type EventType };
/** The types whose `data` is MessageEventData. */
export type EmailEventType = Exclude<EventType, AgentEventType | ContactEventType | ConversationEventType>;
const NOT_EMAIL: readonly string[] = [...AGENT_EVENT_TYPES, ...CONTACT_EVENT_TYPES, ...CONVERSATION_EVENT_TYPES];
const EMAIL_EVENT_TYPES = EVENT_TYPES.filter((t): t is EmailEventType => !NOT_EMAIL.includes(t)) as [EmailEventType, ...EmailEventType[]];

export const EVENT_SCHEMA_VERSION = 1;

/** What an email.deleted event reports: the move to the trash, or the purge that erased it. */
export const DELETION_STAGES = ['trashed', 'purged'] as const;
export type DeletionStage = (typeof DELETION_STAGES)[number];
export const DELETED_BY = ['api', 'retention'] as const;

/** Metadata about a message; the body is fetched over REST. */
export const MessageEventData = z.object({
  message_id: z.string(),
  agent_address: z.string(),
  conversation_id: z.string(),
  direction: z.enum(MESSAGE_DIRECTIONS),
  from: z.string().nullable(),
  to: z.array(z.string()),
  subject: z.string().nullable(),
  verified: z.boolean(),
  /** The message's priority (docs/PRIORITIES.md); events written before priorities existed read as normal. */
  priority: z.enum(MESSAGE_PRIORITIES),
  /** Why: the gate's reasons (flagged, blocked, review_requested) or the reviewer's note. */
  reason: z.string().nullable().optional(),
  /** email.review_*: the review (GET /v1/reviews/{id}). */
  review_id: z.string().optional(),
  /** email.labels_changed: the message's labels after the change, system labels first (docs/LABELS.md). */
  labels: z.array(z.string()).optional(),
  /** email.labels_changed: the user labels the change added and removed. */
  labels_added: z.array(z.string()).optional(),
  labels_removed: z.array(z.string()).optional(),
  /**
   * email.deleted (docs/RETENTION.md): `trashed`, out of the mailbox and restorable until
   * `restorable_until`; or `purged`, erased with its attachments (and its bytes, once no other
   * recipient's copy shares them).
   */
  deletion: z.enum(DELETION_STAGES).optional(),
  /** email.deleted, trashed: by a DELETE through the API, or by the retention period. */
  deleted_by: z.enum(DELETED_BY).optional(),
  restorable_until: Timestamp.optional(),
});
export type MessageEventData = z.infer<typeof MessageEventData>;

/** agent.expiring (the agent expires soon; extend it to keep it) and agent.expired (it is gone). */
export const AgentEventData = z.object({
  agent_id: z.string(),
  agent_address: z.string(),
  /** The expiry the event is about. */
  expires_at: Timestamp,
});
export type AgentEventData = z.infer<typeof AgentEventData>;

/** contact.requested, contact.approved, contact.revoked (docs/CONTACTS.md). */
export const ContactEventData = z.object({
  contact_id: z.string(),
  /** The agent of the receiving account the event is about: the requester, or the target here. */
  agent_address: z.string(),
  /** The agent that asked. */
  requester_address: z.string(),
  /** The address it asked for. */
  peer_address: z.string(),
  /** The grant's expiry; null: until revoked. */
  expires_at: Timestamp.nullable(),
  /** contact.requested: the requester's note, its words and not the gateway's. */
  note: z.string().nullable().optional(),
});
export type ContactEventData = z.infer<typeof ContactEventData>;

/** conversation.labels_changed (docs/LABELS.md): a conversation's labels after a change, and the change. */
export const ConversationEventData = z.object({
  conversation_id: z.string(),
  agent_address: z.string(),
  subject: z.string().nullable(),
  labels: z.array(z.string()),
  labels_added: z.array(z.string()),
  labels_removed: z.array(z.string()),
});
export type ConversationEventData = z.infer<typeof ConversationEventData>;

/** An event about a message: what an agent's own feeds (WebSocket, agent keys) carry. */
export const EmailEvent = z
  .object({
    id: z.string(),
    type: z.enum(EMAIL_EVENT_TYPES),
    schema_version: z.number().int(),
    created_at: Timestamp,
    data: MessageEventData,
  })
  .meta({ id: 'EmailEvent' });
export type EmailEvent = z.infer<typeof EmailEvent>;

/** An event about an agent (AGENT_EVENT_TYPES): on account keys' REST feed and webhooks only. */
export const AgentEvent = z
  .object({
    id: z.string(),
    type: z.enum(AGENT_EVENT_TYPES),
    schema_version: z.number().int(),
    created_at: Timestamp,
    data: AgentEventData,
  })
  .meta({ id: 'AgentEvent' });
export type AgentEvent = z.infer<typeof AgentEvent>;

/** An event about a contact (CONTACT_EVENT_TYPES): on account keys' REST feed and webhooks only. */
export const ContactEvent = z
  .object({
    id: z.string(),
    type: z.enum(CONTACT_EVENT_TYPES),
    schema_version: z.number().int(),
    created_at: Timestamp,
    data: ContactEventData,
  })
  .meta({ id: 'ContactEvent' });
export type ContactEvent = z.infer<typeof ContactEvent>;

/** An event about a conversation (CONVERSATION_EVENT_TYPES): on account keys' REST feed and webhooks only. */
export const ConversationEvent = z
  .object({
    id: z.string(),
    type: z.enum(CONVERSATION_EVENT_TYPES),
    schema_version: z.number().int(),
    created_at: Timestamp,
    data: ConversationEventData,
  })
  .meta({ id: 'ConversationEvent' });
export type ConversationEvent = z.infer<typeof ConversationEvent>;

/** Every stored event: a discriminated union on `type`. */
export const Event = z.discriminatedUnion('type', [EmailEvent, AgentEvent, ContactEvent, ConversationEvent]).meta({ id: 'Event' });
export type Event = z.infer<typeof Event>;

/** True for events whose data is about a message (narrows `Event`). */
export function isEmailEvent(event: Event): event is EmailEvent {
  return !NOT_EMAIL.includes(event.type);
}

export const EventPage = page(Event).meta({ id: 'EventPage' });
export type EventPage = z.infer<typeof EventPage>;

export const ListEventsQuery = PageQuery.extend({
  type: z.enum(EVENT_TYPES).optional(),
  agent_address: z.string().max(254).optional(),
  since: Timestamp.optional(),
});
export type ListEventsQuery = z.infer<typeof ListEventsQuery>;

/** POST /v1/events/{id}/redeliver: the deliveries (re)queued, one per matching enabled webhook. */
export const RedeliverResult = z
  .object({
    event_id: z.string(),
    deliveries: z.array(z.object({ id: z.string(), webhook_id: z.string() })),
  })
  .meta({ id: 'RedeliverResult' });
export type RedeliverResult = z.infer<typeof RedeliverResult>;
