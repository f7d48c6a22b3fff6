/**
 * One inbound copy for one agent in ONE statement: the message row (a duplicate by dedupe key is
 * skipped, race-free, by ON CONFLICT), its conversation (created or bumped) and its email.received
 * event. Data-modifying CTEs all see the same snapshot and foreign keys are checked at the end of
 * the statement, so the three rows commit together or not at all, in one round trip.
 */
import { sql, type Insertable } from 'kysely';
import type { Database } from '../db/database.js';
import type { MessagesTable } from '../db/schema.js';

export type NewMessageRow = Insertable<MessagesTable> & { received_at: Date };

export interface NewEventRow {
  id: string;
  type: string;
  schema_version: number;
  data: string;
}

/** Returns true when the message was stored, false when it was a duplicate. */
export async function insertInboundCopy(
  db: Database,
  message: NewMessageRow,
  conversation: { subject: string | null },
  event: NewEventRow,
): Promise<boolean> {
  const at = message.received_at;
  const result = await db
    .with('m', (qb) =>
      qb
        .insertInto('messages')
        .values(message)
        .onConflict((oc) => oc.columns(['agent_id', 'dedupe_key']).doNothing())
        .returning(['id', 'agent_id', 'conversation_id']),
    )
    .with('c', (qb) =>
      qb
        .insertInto('conversations')
        .columns(['id', 'agent_id', 'subject', 'message_count', 'created_at', 'last_message_at'])
        .expression((eb) =>
          eb
            .selectFrom('m')
            .select([
              'm.conversation_id',
              'm.agent_id',
              sql<string | null>`${conversation.subject}::text`.as('subject'),
              sql<number>`1`.as('message_count'),
              sql<Date>`${at}::timestamptz`.as('created_at'),
              sql<Date>`${at}::timestamptz`.as('last_message_at'),
            ]),
        )
        .onConflict((oc) =>
          oc.column('id').doUpdateSet((eb) => ({
            message_count: eb('conversations.message_count', '+', 1),
            last_message_at: eb.ref('excluded.last_message_at'),
          })),
        ),
    )
    .with('e', (qb) =>
      qb
        .insertInto('events')
        .columns(['id', 'user_id', 'agent_id', 'type', 'schema_version', 'data', 'created_at'])
        .expression((eb) =>
          eb
            .selectFrom('m')
            .innerJoin('agents as a', 'a.id', 'm.agent_id')
            .select([
              sql<string>`${event.id}::text`.as('id'),
              'a.user_id',
              'm.agent_id',
              sql<string>`${event.type}::text`.as('type'),
              sql<number>`${event.schema_version}::integer`.as('schema_version'),
              sql<string>`${event.data}::jsonb`.as('data'),
              sql<Date>`${at}::timestamptz`.as('created_at'),
            ]),
        )
        .onConflict((oc) => oc.column('id').doNothing()),
    )
    .selectFrom('m')
    .select('m.id')
    .execute();
  return result.length > 0;
}
