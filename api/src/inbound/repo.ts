/**
 * One inbound copy for one agent in ONE statement: the message row (a duplicate by dedupe key is
 * skipped, race-free, by ON CONFLICT), its conversation (created or bumped: conversations/repo.ts),
 * its events (events/outbox.ts: email.received, plus email.flagged; email.blocked; none for a held
 * message, whose email.review_requested the hold writes) and, for the first copy that is stored,
 * the message's blob (blobs/content.ts), written only when the row was: a duplicate leaves no
 * orphan blob.
 * Data-modifying CTEs all see the same snapshot and foreign keys are checked at the end of the
 * statement, so the rows commit together or not at all, in one round trip.
 */
import { sql, type Insertable } from 'kysely';
import { upsertConversationsFrom } from '../conversations/repo.js';
import { compiledOnce } from '../db/compiled-once.js';
import type { Database } from '../db/database.js';
import type { MessageBlobsTable, MessagesTable } from '../db/schema.js';
import { appendEventColumnsFrom, eventColumns, type EventDraft } from '../events/outbox.js';
import { searchVector, type SearchDocument } from '../messages/search-document.js';

export type NewMessageRow = Insertable<MessagesTable> & { received_at: Date };

/** One call's values: the message row's columns (prefixed `m_`), then the rest. */
type CopyValues = Record<`m_${string}`, unknown> & {
  subject: string | null;
  counted: boolean;
  at: Date;
  blob_id: string | null;
  blob_raw: Uint8Array | null;
  blob_text: Uint8Array | null;
  blob_html: Uint8Array | null;
  blob_at: Date | null;
  ev_ids: string[];
  ev_abouts: string[];
  ev_types: string[];
  ev_data: string[];
  ev_reaches: boolean[];
  search_subject: string;
  search_names: string;
  search_body: string;
};

/**
 * Compiled once per shape (db/compiled-once.ts): the message's columns, whether the blob is written,
 * whether there are events. Every message of the same kind runs the same text.
 */
const insertCopy = compiledOnce<CopyValues>((v, shape, db) => {
  const [columns, withBlob, withEvents] = shape.split('|') as [string, string, string];
  const row = Object.fromEntries(columns.split(',').map((c) => [c, v[`m_${c}`]])) as unknown as NewMessageRow;
  // The search vector (messages/search-document.ts) is the blob's, computed from the plaintext by
  // the copy that writes the blob: a message to many agents is indexed once.
  const withCopy = db
    .with('m', (qb) =>
      qb
        .insertInto('messages')
        .values(row)
        .onConflict((oc) => oc.columns(['agent_id', 'dedupe_key']).doNothing())
        .returning(['id', 'agent_id', 'conversation_id']),
    )
    .with('c', () => upsertConversationsFrom(db, sql`SELECT m.conversation_id, m.agent_id, ${v.subject}::text, ${v.counted}::boolean, ${v.at}::timestamptz FROM m`));
  const base =
    withBlob === 'blob'
      ? (withCopy.with('b', (qb) =>
          qb
            .insertInto('message_blobs')
            .columns(['id', 'raw', 'text_body', 'html_body', 'created_at', 'search'])
            .expression(
              sql`SELECT ${v.blob_id}::text, ${v.blob_raw}::bytea, ${v.blob_text}::bytea, ${v.blob_html}::bytea, ${v.blob_at}::timestamptz,
                         ${searchVector({ subject: v.search_subject, names: v.search_names, body: v.search_body })} FROM m`,
            ),
        ) as unknown as typeof withCopy)
      : withCopy;
  const query =
    withEvents === 'events'
      ? (base.with('e', () => appendEventColumnsFrom(db, { ids: v.ev_ids, abouts: v.ev_abouts, types: v.ev_types, data: v.ev_data, reachesAgent: v.ev_reaches }, sql`SELECT m.id, a.user_id, m.agent_id FROM m JOIN agents a ON a.id = m.agent_id`, v.at)) as unknown as typeof base)
      : base;
  return query.selectFrom('m').select('m.id');
});

/** Returns true when the message was stored, false when it was a duplicate. */
export async function insertInboundCopy(
  db: Database,
  message: NewMessageRow,
  /** Held mail is not counted (conversations/repo.ts ConversationTouch); the review's approval counts it. */
  conversation: { subject: string | null; counted: boolean },
  events: EventDraft[],
  /**
   * The message's blob and what search indexes of it (its vector is the blob's), while no copy has
   * stored it yet; null once one has (it is referenced as message.blob_id).
   */
  blob: { row: Insertable<MessageBlobsTable>; search: SearchDocument } | null,
): Promise<boolean> {
  const columns = Object.keys(message);
  const values: Record<string, unknown> = {
    subject: conversation.subject,
    counted: conversation.counted,
    at: message.received_at,
    blob_id: blob?.row.id ?? null,
    blob_raw: blob?.row.raw ?? null,
    blob_text: blob?.row.text_body ?? null,
    blob_html: blob?.row.html_body ?? null,
    blob_at: blob?.row.created_at ?? null,
    search_subject: blob?.search.subject ?? null,
    search_names: blob?.search.names ?? null,
    search_body: blob?.search.body ?? null,
  };
  const ev = eventColumns(events);
  Object.assign(values, { ev_ids: ev.ids, ev_abouts: ev.abouts, ev_types: ev.types, ev_data: ev.data, ev_reaches: ev.reachesAgent });
  for (const c of columns) values[`m_${c}`] = (message as Record<string, unknown>)[c];
  const shape = `${columns.join(',')}|${blob ? 'blob' : ''}|${events.length > 0 ? 'events' : ''}`;
  const result = await insertCopy(db, shape, values as CopyValues);
  return result.rows.length > 0;
}
