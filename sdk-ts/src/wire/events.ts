import { z } from 'zod';
import { MESSAGE_DIRECTIONS } from './messages.js';
import { PageQuery, Timestamp, page } from './primitives.js';

/** Every event type, in one table. */
export const EVENT_TYPES = [
  'email.received',
  'email.sent',
  'email.failed',
  'email.review_requested',
  'email.review_approved',
  'email.review_rejected',
  'email.flagged',
  'email.blocked',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

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
  /** Why: the gate's reasons (flagged, blocked, review_requested) or the reviewer's note. */
  reason: z.string().nullable().optional(),
  /** email.review_*: the review (GET /v1/reviews/{id}). */
  review_id: z.string().optional(),
});
export type MessageEventData = z.infer<typeof MessageEventData>;

export const Event = z
  .object({
    id: z.string(),
    type: z.enum(EVENT_TYPES),
    schema_version: z.number().int(),
    created_at: Timestamp,
    data: MessageEventData,
  })
  .meta({ id: 'Event' });
export type Event = z.infer<typeof Event>;

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
