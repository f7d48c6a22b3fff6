/**
 * One inbound copy for one agent in ONE statement: the message row (a duplicate by dedupe key is
 * skipped, race-free, by ON CONFLICT), its conversation (created or bumped), its events
 * (email.received, plus email.flagged; email.blocked; none for a held message, whose
 * email.review_requested the hold writes) and, for the first copy that is stored, the message's
 * blob (blobs/content.ts), written only when the row was: a duplicate leaves no orphan blob.
 * Data-modifying CTEs all see the same snapshot and foreign keys are checked at the end of the
 * statement, so the rows commit together or not at all, in one round trip.
 */
import { sql, type Insertable } from 'kysely';
import type { Database } from '../db/database.js';
import type { MessageBlobsTable, MessagesTable } from '../db/schema.js';

export type NewMessageRow = Insertable<MessagesTable> & { received_at: Date };

export interface NewEventRow {
  id: string;
  type: string;
  schema_version: number;
  data: string;
  /** false: an account-level event (agent_id NULL) the agent's own feeds do not carry. */
  agentVisible: boolean;
}

/** Returns true when the message was stored, false when it was a duplicate. */
export async function insertInboundCopy(
  db: Database,
  message: NewMessageRow,
  /**
   * `counted: false` for held mail: the conversation is created (the message row needs it) but with
   * no subject and no count, so the agent's conversation list does not reveal quarantined content;
   * the review's approval counts it (reviews/outcome.ts).
   */
  conversation: { subject: string | null; counted: boolean },
  events: NewEventRow[],
  /** The message's blob, while no copy has stored it yet; null once one has (it is referenced as message.blob_id). */
  blob: Insertable<MessageBlobsTable> | null,
): Promise<boolean> {
  const at = message.received_at;
  const withCopy = db
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
              sql<string | null>`${conversation.counted ? conversation.subject : null}::text`.as('subject'),
              sql<number>`${conversation.counted ? 1 : 0}::integer`.as('message_count'),
              sql<Date>`${at}::timestamptz`.as('created_at'),
              sql<Date>`${at}::timestamptz`.as('last_message_at'),
            ]),
        )
        .onConflict((oc) =>
          oc.column('id').doUpdateSet((eb) =>
            conversation.counted
              ? { message_count: eb('conversations.message_count', '+', 1), last_message_at: eb.ref('excluded.last_message_at') }
              : { message_count: eb.ref('conversations.message_count') },
          ),
        ),
    );
  const base = blob
    ? (withCopy.with('b', (qb) =>
        qb
          .insertInto('message_blobs')
          .columns(['id', 'raw', 'text_body', 'html_body', 'created_at'])
          .expression((eb) =>
            eb
              .selectFrom('m')
              .select([
                sql<string>`${blob.id}::text`.as('id'),
                sql<Uint8Array | null>`${blob.raw ?? null}::bytea`.as('raw'),
                sql<Uint8Array | null>`${blob.text_body ?? null}::bytea`.as('text_body'),
                sql<Uint8Array | null>`${blob.html_body ?? null}::bytea`.as('html_body'),
                sql<Date>`${blob.created_at}::timestamptz`.as('created_at'),
              ]),
          ),
      ) as unknown as typeof withCopy)
    : withCopy;
  const eventValues = events.map(
    (e) => sql`(${e.id}::text, ${e.type}::text, ${e.schema_version}::integer, ${e.data}::jsonb, ${e.agentVisible}::boolean)`,
  );
  const query =
    events.length === 0
      ? base
      : (base.with('e', (qb) =>
          qb
            .insertInto('events')
            .columns(['id', 'user_id', 'agent_id', 'type', 'schema_version', 'data', 'created_at'])
            .expression(
              sql`SELECT ev.id, a.user_id, CASE WHEN ev.agent_visible THEN m.agent_id END, ev.type, ev.schema_version, ev.data, ${at}::timestamptz
                  FROM m JOIN agents a ON a.id = m.agent_id
                  CROSS JOIN (VALUES ${sql.join(eventValues)}) AS ev(id, type, schema_version, data, agent_visible)`,
            )
            .onConflict((oc) => oc.column('id').doNothing()),
        ) as unknown as typeof base);
  const result = await query.selectFrom('m').select('m.id').execute();
  return result.length > 0;
}
