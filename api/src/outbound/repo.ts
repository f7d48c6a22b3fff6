/**
 * SQL for outbound mail. The messages row is the delivery job: accepted rows are `queued` with a
 * next_attempt_at; the worker claims them with a lease (locked_until) taken in one UPDATE over a
 * `FOR UPDATE SKIP LOCKED` sub-select, which is safe across replicas on PostgreSQL and a single
 * statement on PGlite (DESIGN §3).
 */
import { sql, type Insertable } from 'kysely';
import { blobRow, type SealedContent } from '../blobs/content.js';
import { insertBlob } from '../blobs/repo.js';
import type { Database } from '../db/database.js';
import { json } from '../db/database.js';
import type { MessagesTable } from '../db/schema.js';

export interface NewEvent {
  id: string;
  type: string;
  data: Record<string, unknown>;
}

export interface ClaimedMessage {
  id: string;
  agent_id: string;
  user_id: string;
  agent_address: string;
  conversation_id: string;
  subject: string | null;
  draft: Uint8Array;
  raw: Uint8Array | null;
  attempts: number;
  delivery: Array<{ address: string; status: string; response: string | null }>;
  first_attempt_at: Date;
}

/** The signed message (sealed) and its size, stored with the first attempt's outcome (the raw form in the message's blob). */
export interface Composed {
  sealed: Buffer;
  size: number;
}

const composedColumns = (c: Composed | null) => (c ? { size_bytes: c.size } : {});

export async function insertEvents(db: Database, userId: string, agentId: string, events: NewEvent[], at: Date): Promise<void> {
  if (events.length === 0) return;
  await db
    .insertInto('events')
    .values(events.map((e) => ({ id: e.id, user_id: userId, agent_id: agentId, type: e.type, schema_version: 1, data: json(e.data), created_at: at })))
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

export class OutboundRepo {
  constructor(private readonly db: Database) {}

  original(agentId: string, id: string) {
    return this.db
      .selectFrom('messages')
      .innerJoin('message_blobs as b', 'b.id', 'messages.blob_id')
      .select(['messages.id', 'direction', 'from_address', 'from_name', 'to_addresses', 'cc_addresses', 'reply_to_addresses', 'headers', 'subject', 'message_id_header', 'references_header', 'conversation_id', 'b.raw'])
      .where('agent_id', '=', agentId)
      .where('messages.id', '=', id)
      .executeTakeFirst();
  }

  async conversationExists(agentId: string, id: string): Promise<boolean> {
    const row = await this.db.selectFrom('conversations').select('id').where('id', '=', id).where('agent_id', '=', agentId).executeTakeFirst();
    return row !== undefined;
  }

  /** The accepted message, its conversation (created or bumped), its blob with the attachments, and events: one transaction, the caller's. */
  static async insertAccepted(
    tx: Database,
    input: { message: Insertable<MessagesTable> & { received_at: Date }; content: SealedContent; userId: string; events: NewEvent[] },
  ): Promise<void> {
    const m = input.message;
    await insertBlob(tx, input.content, m.received_at);
    await tx
      .insertInto('conversations')
      .values({ id: m.conversation_id, agent_id: m.agent_id, subject: m.subject ?? null, message_count: 1, created_at: m.received_at, last_message_at: m.received_at })
      .onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({ message_count: eb('conversations.message_count', '+', 1), last_message_at: eb.ref('excluded.last_message_at') })))
      .execute();
    await tx.insertInto('messages').values(m).execute();
    await insertEvents(tx, input.userId, m.agent_id, input.events, m.received_at);
  }

  /** A queued message without attachments, its blob and its conversation in one statement (data-modifying CTEs), no transaction. */
  static async insertAcceptedAlone(db: Database, m: Insertable<MessagesTable> & { received_at: Date }, content: SealedContent): Promise<void> {
    await db
      .with('b', (qb) => qb.insertInto('message_blobs').values(blobRow(content, m.received_at)))
      .with('c', (qb) =>
        qb
          .insertInto('conversations')
          .values({ id: m.conversation_id, agent_id: m.agent_id, subject: m.subject ?? null, message_count: 1, created_at: m.received_at, last_message_at: m.received_at })
          .onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({ message_count: eb('conversations.message_count', '+', 1), last_message_at: eb.ref('excluded.last_message_at') }))),
      )
      .insertInto('messages')
      .values(m)
      .execute();
  }

  status(agentId: string, id: string) {
    return this.db
      .selectFrom('messages as m')
      .leftJoin('reviews as r', 'r.message_id', 'm.id')
      .select(['m.id', 'm.status', 'm.status_reason', 'm.conversation_id', 'm.message_id_header', 'r.id as review_id', 'r.expires_at as review_expires_at'])
      .where('m.agent_id', '=', agentId)
      .where('m.id', '=', id)
      .executeTakeFirst();
  }

  async claimDue(now: Date, limit: number, lockedUntil: Date): Promise<ClaimedMessage[]> {
    const result = await sql<ClaimedMessage>`
      UPDATE messages m
         SET locked_until = ${lockedUntil}, attempts = m.attempts + 1, first_attempt_at = COALESCE(m.first_attempt_at, ${now})
        FROM agents a, message_blobs b
       WHERE a.id = m.agent_id AND b.id = m.blob_id
         AND m.id IN (
           SELECT id FROM messages
            WHERE status = 'queued' AND next_attempt_at <= ${now} AND (locked_until IS NULL OR locked_until < ${now})
            ORDER BY next_attempt_at
            LIMIT ${limit}
            FOR UPDATE SKIP LOCKED)
      RETURNING m.id, m.agent_id, a.user_id, a.address AS agent_address, m.conversation_id, m.subject, m.draft, b.raw,
                m.attempts, m.delivery, m.first_attempt_at`.execute(this.db);
    return result.rows;
  }

  /** Local recipients among `addresses`: agents on this gateway. */
  async localAgents(addresses: string[]): Promise<Array<{ id: string; address: string }>> {
    if (addresses.length === 0) return [];
    return this.db.selectFrom('agents').select(['id', 'address']).where('address', 'in', addresses.map((a) => a.toLowerCase())).execute();
  }

  /** Records an attempt that will be retried; the claim is released. Composed bytes go to the message's blob in the same statement. */
  async defer(id: string, update: { composed: Composed | null; delivery: unknown; nextAttemptAt: Date; reason: string }): Promise<void> {
    const message = this.db
      .updateTable('messages')
      .set({ ...composedColumns(update.composed), delivery: json(update.delivery), next_attempt_at: update.nextAttemptAt, locked_until: null, status_reason: update.reason })
      .where('id', '=', id)
      .where('status', '=', 'queued');
    const composed = update.composed;
    if (!composed) {
      await message.execute();
      return;
    }
    await this.db
      .with('m', () => message.returning(['id', 'blob_id']))
      .updateTable('message_blobs')
      .from('m')
      .set({ raw: composed.sealed })
      .whereRef('message_blobs.id', '=', 'm.blob_id')
      .execute();
  }

  /** The final status, composed bytes (into the message's blob) and the event in ONE statement: all commit or none (events fan out by trigger). */
  async finish(job: ClaimedMessage, update: { composed: Composed | null; status: 'sent' | 'failed'; delivery: unknown; reason: string | null; at: Date; event: NewEvent }): Promise<void> {
    const withMessage = this.db.with('m', (qb) =>
      qb
        .updateTable('messages')
        .set({
          ...composedColumns(update.composed),
          status: update.status,
          delivery: json(update.delivery),
          status_reason: update.reason,
          locked_until: null,
          next_attempt_at: null,
          sent_at: update.status === 'sent' ? update.at : null,
        })
        .where('id', '=', job.id)
        .where('status', '=', 'queued')
        .returning(['id', 'agent_id', 'blob_id']),
    );
    const composed = update.composed;
    const query = composed
      ? (withMessage.with('b', (qb) => qb.updateTable('message_blobs').from('m').set({ raw: composed.sealed }).whereRef('message_blobs.id', '=', 'm.blob_id')) as unknown as typeof withMessage)
      : withMessage;
    await query
      .insertInto('events')
      .columns(['id', 'user_id', 'agent_id', 'type', 'schema_version', 'data', 'created_at'])
      .expression((eb) =>
        eb
          .selectFrom('m')
          .select([
            sql<string>`${update.event.id}::text`.as('id'),
            sql<string>`${job.user_id}::text`.as('user_id'),
            'm.agent_id',
            sql<string>`${update.event.type}::text`.as('type'),
            sql<number>`1`.as('schema_version'),
            sql<string>`${json(update.event.data)}::jsonb`.as('data'),
            sql<Date>`${update.at}::timestamptz`.as('created_at'),
          ]),
      )
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }
}
