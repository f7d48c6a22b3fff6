import { z } from 'zod';
import { MESSAGE_DIRECTIONS, MESSAGE_PRIORITIES } from './messages.js';
import { PageQuery, Timestamp, page } from './primitives.js';

import { AGENT_EVENT_TYPES, EVENT_TYPES, type AgentEventType, type EventType } from '../values.js';

export { AGENT_EVENT_TYPES, EVENT_TYPES, type AgentEventType, type EventType };
/** The types whose `data` is MessageEventData. */
export type EmailEventType = Exclude<EventType, AgentEventType>;
const EMAIL_EVENT_TYPES = EVENT_TYPES.filter((t): t is EmailEventType => !(AGENT_EVENT_TYPES as readonly string[]).includes(t)) as [EmailEventType, ...EmailEventType[]];

export const EVENT_SCHEMA_VERSION = 1;

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

/** Every stored event: a discriminated union on `type`. */
export const Event = z.discriminatedUnion('type', [EmailEvent, AgentEvent]).meta({ id: 'Event' });
export type Event = z.infer<typeof Event>;

/** True for events whose data is about a message (narrows `Event`). */
export function isEmailEvent(event: Event): event is EmailEvent {
  return !(AGENT_EVENT_TYPES as readonly string[]).includes(event.type);
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
