/**
 * SQL for outbound mail. The messages row is the delivery job: accepted rows are `queued` with a
 * next_attempt_at; the worker claims them with a lease (locked_until) taken in one UPDATE over a
 * `FOR UPDATE SKIP LOCKED` sub-select, which is safe across replicas on PostgreSQL and a single
 * statement on PGlite (DESIGN §3).
 */
import type { MessagePriority } from '@e2a/sdk/wire';
import { sql, type Insertable } from 'kysely';
import { blobRow, type SealedContent } from '../blobs/content.js';
import { insertBlob } from '../blobs/repo.js';
import type { Clock } from '../clock.js';
import { upsertConversation } from '../conversations/repo.js';
import type { Database } from '../db/database.js';
import { json } from '../db/database.js';
import type { MessagesTable } from '../db/schema.js';
import { appendEvents, appendEventsFrom, type EventDraft } from '../events/outbox.js';
import { searchVector, type SearchDocument } from '../messages/search-document.js';
import { inMailbox } from '../messages/visibility.js';

export interface ClaimedMessage {
  id: string;
  agent_id: string;
  user_id: string;
  agent_address: string;
  conversation_id: string;
  subject: string | null;
  priority: MessagePriority;
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

export class OutboundRepo {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /**
   * The source of a reply or forward: a message the agent's mailbox shows (messages/visibility.ts).
   * Held, rejected or blocked mail is no source: a forward would carry quarantined bytes out.
   */
  original(agentId: string, id: string) {
    return this.db
      .selectFrom('messages as m')
      .innerJoin('message_blobs as b', 'b.id', 'm.blob_id')
      .select(['m.id', 'm.direction', 'm.from_address', 'm.from_name', 'm.to_addresses', 'm.cc_addresses', 'm.reply_to_addresses', 'm.headers', 'm.subject', 'm.message_id_header', 'm.references_header', 'm.conversation_id', 'b.raw'])
      .where(inMailbox(agentId, this.clock.now()))
      .where('m.id', '=', id)
      .executeTakeFirst();
  }

  async conversationExists(agentId: string, id: string): Promise<boolean> {
    const row = await this.db.selectFrom('conversations').select('id').where('id', '=', id).where('agent_id', '=', agentId).executeTakeFirst();
    return row !== undefined;
  }

  /**
   * The accepted message, its conversation, its blob with the attachments, and events: one
   * transaction, the caller's. `counted: false` for mail the mailbox does not show (held, blocked;
   * messages/visibility.ts), as inbound holds are (conversations/repo.ts ConversationTouch).
   */
  static async insertAccepted(
    tx: Database,
    input: { message: Insertable<MessagesTable> & { received_at: Date }; content: SealedContent; search: SearchDocument; userId: string; events: EventDraft[]; counted: boolean },
  ): Promise<void> {
    const m = input.message;
    await insertBlob(tx, input.content, m.received_at, searchVector(input.search));
    await upsertConversation(tx, { id: m.conversation_id, agentId: m.agent_id, subject: m.subject ?? null, counted: input.counted, at: m.received_at }).execute();
    await tx.insertInto('messages').values(m).execute();
    await appendEvents(tx, input.events, { userId: input.userId, agentId: m.agent_id, at: m.received_at });
  }

  /** A queued message without attachments, its blob and its conversation in one statement (data-modifying CTEs), no transaction. */
  static async insertAcceptedAlone(db: Database, m: Insertable<MessagesTable> & { received_at: Date }, content: SealedContent, search: SearchDocument): Promise<void> {
    await db
      .with('b', (qb) => qb.insertInto('message_blobs').values({ ...blobRow(content, m.received_at), search: searchVector(search) }))
      .with('c', () => upsertConversation(db, { id: m.conversation_id, agentId: m.agent_id, subject: m.subject ?? null, counted: true, at: m.received_at }))
      .insertInto('messages')
      .values(m)
      .execute();
  }

  /**
   * The outcome of a send this request just accepted (the 202 body, `?wait=sent`), whatever its
   * status: no route takes this id from the caller, so it is not a mailbox read (messages/visibility.ts).
   */
  status(agentId: string, id: string) {
    return this.db
      .selectFrom('messages as m')
      .leftJoin('reviews as r', 'r.message_id', 'm.id')
      .select(['m.id', 'm.status', 'm.status_reason', 'm.conversation_id', 'm.message_id_header', 'm.send_at', 'r.id as review_id', 'r.expires_at as review_expires_at'])
      .where('m.agent_id', '=', agentId)
      .where('m.id', '=', id)
      .executeTakeFirst();
  }

  /**
   * Due rows of both statuses: a scheduled message whose send_at has come is taken like a queued
   * one and becomes queued in the same statement, so a cancel (which needs `scheduled`) either
   * happened before it or finds it taken (outbound/schedule.ts).
   */
  async claimDue(now: Date, limit: number, lockedUntil: Date): Promise<ClaimedMessage[]> {
    const result = await sql<ClaimedMessage>`
      UPDATE messages m
         SET locked_until = ${lockedUntil}, attempts = m.attempts + 1, first_attempt_at = COALESCE(m.first_attempt_at, ${now}), status = 'queued'
        FROM agents a, message_blobs b
       WHERE a.id = m.agent_id AND b.id = m.blob_id
         AND m.id IN (
           SELECT id FROM messages
            WHERE status IN ('queued', 'scheduled') AND next_attempt_at <= ${now} AND (locked_until IS NULL OR locked_until < ${now})
            ORDER BY next_attempt_at
            LIMIT ${limit}
            FOR UPDATE SKIP LOCKED)
      RETURNING m.id, m.agent_id, a.user_id, a.address AS agent_address, m.conversation_id, m.subject, m.priority, m.draft, b.raw,
                m.attempts, m.delivery, m.first_attempt_at`.execute(this.db);
    return result.rows;
  }

  /**
   * A scheduled message of the agent becomes `cancelled`, in the caller's transaction: what its
   * event needs, or undefined when it is not (any more) scheduled. On PostgreSQL a claim holding
   * the row makes this wait, then see `queued` and match nothing.
   */
  static cancel(tx: Database, agentId: string, id: string, at: Date) {
    return tx
      .updateTable('messages')
      .set({ status: 'cancelled', next_attempt_at: null, status_reason: `cancelled at ${at.toISOString()}, before its send_at` })
      .where('id', '=', id)
      .where('agent_id', '=', agentId)
      .where('status', '=', 'scheduled')
      .returning(['id', 'conversation_id', 'to_addresses', 'cc_addresses', 'bcc_addresses', 'subject', 'priority'])
      .executeTakeFirst();
  }

  /** The status of a message the agent's mailbox or its trash shows, as reads by id see it (messages/visibility.ts); undefined for any other id. */
  shownStatus(agentId: string, id: string) {
    return this.db.selectFrom('messages as m').select(['m.status']).where(inMailbox(agentId, this.clock.now(), 'm', 'any')).where('m.id', '=', id).executeTakeFirst();
  }

  /** Local recipients among `addresses`: agents on this gateway. */
  /** The agents of this gateway at these addresses; an expired one (docs/EPHEMERAL.md) is none. */
  async localAgents(addresses: string[], now: Date): Promise<Array<{ id: string; address: string }>> {
    if (addresses.length === 0) return [];
    return this.db
      .selectFrom('agents')
      .select(['id', 'address'])
      .where('address', 'in', addresses.map((a) => a.toLowerCase()))
      .where('erasure_id', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .execute();
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
  async finish(job: ClaimedMessage, update: { composed: Composed | null; status: 'sent' | 'failed'; delivery: unknown; reason: string | null; at: Date; event: EventDraft }): Promise<void> {
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
      .with('e', () => appendEventsFrom(this.db, [update.event], sql`SELECT m.id, ${job.user_id}::text, m.agent_id FROM m`, update.at))
      .selectFrom('m')
      .select('m.id')
      .execute();
  }
}
