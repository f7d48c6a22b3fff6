/**
 * The outbox (DESIGN §3, §9 "Events"): the one writer of event rows. Every feature that causes an
 * event (inbound, outbound and its worker, bounces, reviews, contacts, lists, agent expiry) builds
 * an `EventDraft` and appends it here, in its own transaction, so the business write and the event
 * commit together or not at all.
 *
 *   - Ids are deterministic (DESIGN §5: `evt_` + hash of what the event is about and its type) and
 *     every append is `ON CONFLICT (id) DO NOTHING`: emitting the same fact twice is a no-op.
 *   - Who sees an event: the agent's own feeds (events.agent_id set: REST with an agent key, the
 *     WebSocket) carry an email.* event when messages/visibility.ts (`eventReachesAgent`) says so,
 *     decided here and nowhere else; agent.*, contact.* and conversation.* events are account-level
 *     (agent_id NULL).
 *   - Which webhooks get an event (the fan-out rule): every enabled webhook of the event's account
 *     whose `events` list is empty or names the type, and whose non-empty filters contain the
 *     event's `data.agent_address` and `data.conversation_id`. The `events_fanout` trigger applies
 *     it to every inserted row, in the inserting transaction (migrations/0002_delivery.sql,
 *     `e2a_event_fanout`), so no writer can skip it; `webhookReceives` below is the same rule for
 *     a replay (webhooks/repo.ts redeliver). Change one, change the other, in a new migration.
 *   - The trigger then NOTIFYs the channels that can use the event (`agentChannel`,
 *     `DELIVERIES_CHANNEL`, `MAIL_DUE_CHANNEL`; migrations/0022) with the payload `parseNotice`
 *     reads (events/bus.ts).
 */
import { EVENT_SCHEMA_VERSION, type AgentEventData, type AgentEventType, type ContactEventData, type ContactEventType, type ConversationEventData, type ConversationEventType, type EmailEventType, type MessageEventData, type MessagePriority } from '@e2a/sdk/wire';
import { sql, type Expression, type SqlBool } from 'kysely';
import type { Database } from '../db/database.js';
import { json } from '../db/database.js';
import type { StoredAddress } from '../db/schema.js';
import { eventId } from '../ids.js';
import { eventReachesAgent } from '../messages/visibility.js';

interface Draft<T, D> {
  /** Deterministic: `eventId(…, type)` of what the event is about. */
  id: string;
  type: T;
  data: D;
  /** The id of the row the event is about (message, agent, contact): the key `appendEventsFrom` joins on. */
  about: string;
  /** email.deleted, email.restored: whether the agent's mailbox showed the message (default true; messages/visibility.ts). */
  shown?: boolean;
}

/** An event not yet written, whoever causes it: a discriminated union on `type`, as the wire `Event` is. */
export type EventDraft =
  | Draft<EmailEventType, MessageEventData>
  | Draft<AgentEventType, AgentEventData>
  | Draft<ContactEventType, ContactEventData>
  | Draft<ConversationEventType, ConversationEventData>;

/** What an email.* event says about its message (MessageEventData): metadata only, bodies are fetched over REST. */
export interface MessageFacts {
  id: string;
  agentAddress: string;
  conversationId: string;
  direction: 'inbound' | 'outbound';
  from: string | null;
  to: string[];
  subject: string | null;
  verified: boolean;
  priority: MessagePriority;
}

/** The stored columns a message event is told from (messages row, snake case). */
export interface StoredMessageFacts {
  id: string;
  conversation_id: string;
  direction: 'inbound' | 'outbound';
  from_address: string | null;
  to_addresses: StoredAddress[];
  subject: string | null;
  verified: boolean;
  priority: MessagePriority;
}

/** A stored message's facts for its events; the agent's address comes from its agents row. */
export function storedMessageFacts(row: StoredMessageFacts, agentAddress: string): MessageFacts {
  return {
    id: row.id,
    agentAddress,
    conversationId: row.conversation_id,
    direction: row.direction,
    from: row.from_address,
    to: row.to_addresses.map((a) => a.address),
    subject: row.subject,
    verified: row.verified,
    priority: row.priority,
  };
}

/**
 * The draft of an event about a message. `reason` is written when given, null included (the gate's
 * reasons, a delivery failure, the reviewer's note); `reviewId` for email.review_*.
 */
export function messageEvent(type: EmailEventType, m: MessageFacts, extra: { reason?: string | null; reviewId?: string } = {}): EventDraft {
  const data: MessageEventData = {
    message_id: m.id,
    agent_address: m.agentAddress,
    conversation_id: m.conversationId,
    direction: m.direction,
    from: m.from,
    to: m.to,
    subject: m.subject,
    verified: m.verified,
    priority: m.priority,
    ...(extra.reason !== undefined ? { reason: extra.reason } : {}),
    ...(extra.reviewId ? { review_id: extra.reviewId } : {}),
  };
  return { id: eventId(m.id, type), type, data, about: m.id };
}

/** Whether the agent's own feeds carry the event (events.agent_id set), or the account's only. */
function reachesAgent(draft: EventDraft): boolean {
  // Only MessageEventData has a direction: agent.*, contact.* and conversation.* events are account-level.
  return 'direction' in draft.data && eventReachesAgent(draft.data.direction, draft.type as EmailEventType, draft.shown ?? true);
}

/**
 * Appends drafts in the caller's transaction. `userId` is the account the events belong to (its
 * keys and webhooks see them); `agentId` the agent they concern, whose feeds carry those the
 * visibility rule lets through (null, or any agent, for account-level events).
 */
export async function appendEvents(db: Database, drafts: EventDraft[], to: { userId: string; agentId: string | null; at: Date }): Promise<void> {
  if (drafts.length === 0) return;
  await db
    .insertInto('events')
    .values(
      drafts.map((d) => ({
        id: d.id,
        user_id: to.userId,
        agent_id: reachesAgent(d) ? to.agentId : null,
        type: d.type,
        schema_version: EVENT_SCHEMA_VERSION,
        data: json(d.data),
        created_at: to.at,
      })),
    )
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

/**
 * The same append as part of a larger statement, built and not run: a data-modifying CTE
 * (`.with('e', () => appendEventsFrom(…))`, or `e AS (${…})` in raw SQL) for writers whose events
 * exist only if their row was written (a copy that was not a duplicate, an update that matched).
 *
 * `source` is a relation of the rows written, three columns in this order: the key drafts name as
 * `about`, the account's user id, the agent id. A draft is appended once per source row with its
 * key, none when there is none. The drafts travel as arrays (unnest), so the statement's text is
 * the same whatever their count.
 */
export function appendEventsFrom(db: Database, drafts: EventDraft[], source: Expression<unknown>, at: Date) {
  return appendEventColumnsFrom(db, eventColumns(drafts), source, at);
}

/** The drafts as the arrays the append unnests, one per column. */
export interface EventColumns {
  ids: string[];
  abouts: string[];
  types: string[];
  data: string[];
  reachesAgent: boolean[];
}

export function eventColumns(drafts: EventDraft[]): EventColumns {
  return {
    ids: drafts.map((d) => d.id),
    abouts: drafts.map((d) => d.about),
    types: drafts.map((d) => d.type),
    data: drafts.map((d) => json(d.data)),
    reachesAgent: drafts.map(reachesAgent),
  };
}

/** appendEventsFrom with the drafts already in columns (db/compiled-once.ts builds it with stand-ins for them). */
export function appendEventColumnsFrom(db: Database, columns: EventColumns, source: Expression<unknown>, at: Date) {
  return db
    .insertInto('events')
    .columns(['id', 'user_id', 'agent_id', 'type', 'schema_version', 'data', 'created_at'])
    .expression(
      sql`SELECT ev.id, s.user_id, CASE WHEN ev.reaches_agent THEN s.agent_id END, ev.type, ${EVENT_SCHEMA_VERSION}::integer, ev.data::jsonb, ${at}::timestamptz
          FROM unnest(${columns.ids}::text[], ${columns.abouts}::text[], ${columns.types}::text[], ${columns.data}::text[],
                      ${columns.reachesAgent}::boolean[]) AS ev(id, about, type, data, reaches_agent)
          JOIN (${source}) AS s(about, user_id, agent_id) ON s.about = ev.about`,
    )
    .onConflict((oc) => oc.column('id').doNothing());
}

/**
 * The fan-out rule as a condition over `webhooks` (alias `w`) and `events` (alias `e`): the same
 * rule as the trigger's (e2a_event_fanout, migrations/0002_delivery.sql), which cannot import it.
 */
export function webhookReceives(w: string, e: string): Expression<SqlBool> {
  const ref = (table: string, column: string) => sql.ref(`${table}.${column}`);
  return sql<SqlBool>`(${ref(w, 'user_id')} = ${ref(e, 'user_id')}
    AND ${ref(w, 'enabled')}
    AND (jsonb_array_length(${ref(w, 'events')}) = 0 OR ${ref(w, 'events')} ? ${ref(e, 'type')})
    AND (jsonb_array_length(${ref(w, 'filter_agent_addresses')}) = 0 OR ${ref(w, 'filter_agent_addresses')} ? (${ref(e, 'data')}->>'agent_address'))
    AND (jsonb_array_length(${ref(w, 'filter_conversation_ids')}) = 0 OR ${ref(w, 'filter_conversation_ids')} ? (${ref(e, 'data')}->>'conversation_id')))`;
}

/**
 * The channels the trigger NOTIFYs at commit (migrations/0022_event_notice_channels.sql), so that a
 * process hears only events it can have work from. An event in an agent's feeds goes to that
 * agent's channel, one of up to 1,024 named by the id's last two characters (the trigger's
 * `'e2a_agent_' || lower(right(agent_id, 2))`): a process listens to those of the agents it has
 * listeners for, and PostgreSQL, which searches a backend's channel list for every notice, has a
 * short list to search.
 */
export function agentChannel(agentId: string): string {
  return `e2a_agent_${agentId.slice(-2).toLowerCase()}`;
}

/** Events that queued webhook deliveries (the webhook worker of every process). */
export const DELIVERIES_CHANNEL = 'e2a_deliveries';

/** email.review_requested and email.review_approved: mail for the system mail and outbound workers. */
export const MAIL_DUE_CHANNEL = 'e2a_mail_due';

/**
 * The notice for one committed event. The trigger writes it as one space-separated line,
 * `"<agent id or empty> <seq> <type> <webhook deliveries queued>"`, so each consumer wakes only for
 * work it can have (the hub for its agents, the webhook worker when deliveries > 0). An event sent
 * on two channels a process listens to reaches it twice, one after the other.
 */
export interface EventNotice {
  agentId: string | null;
  seq: number;
  /** The event type, e.g. email.received. */
  type: string;
  /** Webhook deliveries the event queued (0: the webhook worker has nothing new). */
  deliveries: number;
}

/** Reads the trigger's payload; null for one that is not a notice (no sequence number). */
export function parseNotice(payload: string | undefined): EventNotice | null {
  if (!payload) return null;
  const [agent, seq, type, deliveries] = payload.split(' ');
  const n = Number(seq);
  if (!Number.isFinite(n)) return null;
  return { agentId: agent || null, seq: n, type: type ?? '', deliveries: Number(deliveries ?? 0) || 0 };
}
