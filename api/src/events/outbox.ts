/**
 * The transactional outbox (STYLE §13): events are written with the business change in the same
 * transaction. A deterministic id makes a second write of the same event a no-op.
 */
import { EVENT_SCHEMA_VERSION, type EventType, type MessageEventData } from '@e2a/sdk/wire';
import type { Database } from '../db/database.js';
import { json } from '../db/database.js';
import { eventId } from '../ids.js';

export interface NewEvent {
  type: EventType;
  userId: string;
  agentId: string | null;
  messageId: string;
  data: MessageEventData;
  createdAt: Date;
}

export async function appendEvent(tx: Database, event: NewEvent): Promise<string> {
  const id = eventId(event.messageId, event.type);
  await tx
    .insertInto('events')
    .values({
      id,
      user_id: event.userId,
      agent_id: event.agentId,
      type: event.type,
      schema_version: EVENT_SCHEMA_VERSION,
      data: json(event.data),
      created_at: event.createdAt,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  return id;
}
