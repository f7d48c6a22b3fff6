/**
 * Event rows the review feature writes (email.review_requested / approved / rejected, and
 * email.received when an inbound hold is released), in the caller's transaction (the outbox).
 *
 * Who sees them is messages/visibility.ts's rule (`eventReachesAgent`): events about OUTBOUND holds
 * belong to the agent (it sent the mail and waits for the outcome); events about INBOUND holds are
 * account-level (agent_id NULL), so the agent's WebSocket and agent-scoped keys never see them.
 */
import { EVENT_SCHEMA_VERSION, type EventType, type MessageEventData } from '@e2a/sdk/wire';
import { sql } from 'kysely';
import type { Database } from '../db/database.js';
import { json, pgText } from '../db/database.js';
import { eventId } from '../ids.js';
import { eventReachesAgent } from '../messages/visibility.js';

export interface EventMessage {
  id: string;
  agentId: string;
  agentAddress: string;
  conversationId: string;
  direction: 'inbound' | 'outbound';
  from: string | null;
  to: string[];
  subject: string | null;
  verified: boolean;
}

export async function insertMessageEvent(
  tx: Database,
  e: { userId: string; type: EventType; message: EventMessage; reviewId?: string; reason?: string | null; at: Date },
): Promise<void> {
  const m = e.message;
  const data: Omit<MessageEventData, 'priority'> = {
    message_id: m.id,
    agent_address: m.agentAddress,
    conversation_id: m.conversationId,
    direction: m.direction,
    from: pgText(m.from),
    to: m.to,
    subject: pgText(m.subject),
    verified: m.verified,
    ...(e.reason !== undefined ? { reason: e.reason === null ? null : pgText(e.reason) } : {}),
    ...(e.reviewId ? { review_id: e.reviewId } : {}),
  };
  await tx
    .insertInto('events')
    .values({
      id: eventId(m.id, e.type),
      user_id: e.userId,
      agent_id: eventReachesAgent(m.direction, e.type) ? m.agentId : null,
      type: e.type,
      schema_version: EVENT_SCHEMA_VERSION,
      // The message's priority (docs/PRIORITIES.md), read from its row in the same statement.
      data: sql<string>`${json(data)}::jsonb || jsonb_build_object('priority', coalesce((SELECT priority FROM messages WHERE id = ${m.id}), 'normal'))`,
      created_at: e.at,
      acked_at: null,
    })
    // Deterministic ids: re-emitting the same fact is a no-op (DESIGN §5).
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}
