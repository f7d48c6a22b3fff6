/**
 * Conversations: the reads behind /v1/…/conversations, and the one upsert every mail path writes a
 * conversation with (inbound copies, list copies, outbound sends) plus the recount an approved hold
 * needs (reviews/outcome.ts).
 */
import { sql, type Expression } from 'kysely';
import type { Database } from '../db/database.js';
import { conversationHasLabels, conversationLabelColumns } from '../labels/conditions.js';
import { inMailbox } from '../messages/visibility.js';

/** A message's mark on its conversation. */
export interface ConversationTouch {
  id: string;
  agentId: string;
  /** The message's subject; it names a conversation the message creates. */
  subject: string | null;
  /**
   * false for mail the mailbox does not show (held, blocked; messages/visibility.ts): the
   * conversation is created (the message row needs it) but neither named nor counted, so the
   * agent's conversation list does not reveal quarantined content; an approval counts it
   * (`recountConversation`).
   */
  counted: boolean;
  /** When the message arrived or was accepted: the conversation's last_message_at once counted. */
  at: Date;
}

/**
 * The upsert as an INSERT … SELECT, built and not run, for a data-modifying CTE or a statement of
 * its own. `source` yields one row per message, five columns in ConversationTouch's order
 * (id, agent_id, subject, counted, at). A new conversation takes the subject and a count of 1 when
 * counted; an existing one is bumped (count + 1, last_message_at) only when counted, and keeps its
 * subject either way.
 */
export function upsertConversationsFrom(db: Database, source: Expression<unknown>) {
  return db
    .insertInto('conversations')
    .columns(['id', 'agent_id', 'subject', 'message_count', 'created_at', 'last_message_at'])
    .expression(
      sql`SELECT s.id, s.agent_id, CASE WHEN s.counted THEN s.subject END, CASE WHEN s.counted THEN 1 ELSE 0 END, s.at, s.at
          FROM (${source}) AS s(id, agent_id, subject, counted, at)`,
    )
    .onConflict((oc) =>
      oc.column('id').doUpdateSet({
        message_count: sql<number>`conversations.message_count + excluded.message_count`,
        last_message_at: sql<Date>`CASE WHEN excluded.message_count > 0 THEN excluded.last_message_at ELSE conversations.last_message_at END`,
      }),
    );
}

/** The upsert for one message (built and not run: `.execute()` it, or use it as a CTE). */
export function upsertConversation(db: Database, c: ConversationTouch) {
  return upsertConversationsFrom(db, sql`VALUES (${c.id}::text, ${c.agentId}::text, ${c.subject}::text, ${c.counted}::boolean, ${c.at}::timestamptz)`);
}

/**
 * A held message released (reviews/outcome.ts): it was neither counted nor named its conversation;
 * now it is. The count is taken afresh of what the mailbox shows (messages/visibility.ts), so it
 * is right whatever counted before.
 */
export async function recountConversation(db: Database, c: { id: string; agentId: string; subject: string | null; receivedAt: Date; now: Date }): Promise<void> {
  await db
    .updateTable('conversations')
    .set({
      message_count: sql<number>`(SELECT count(*) FROM messages m WHERE m.conversation_id = ${c.id} AND ${inMailbox(c.agentId, c.now)})::integer`,
      last_message_at: sql<Date>`greatest(last_message_at, ${c.receivedAt}::timestamptz)`,
      subject: sql<string | null>`coalesce(subject, ${c.subject}::text)`,
    })
    .where('id', '=', c.id)
    .execute();
}

export class ConversationsRepo {
  constructor(private readonly db: Database) {}

  /**
   * Most recently active first; the cursor is the (last_message_at, id) of the last row seen. With
   * `labels`, only conversations with every one of them (docs/LABELS.md).
   */
  list(agentId: string, opts: { limit: number; after?: { at: Date; id: string } | undefined; labels?: string[] | undefined; now: Date }) {
    // A conversation whose only message is held for review has no visible message yet.
    let q = this.db
      .selectFrom('conversations')
      .selectAll()
      .select(conversationLabelColumns(agentId, opts.now))
      .where('agent_id', '=', agentId)
      .where('message_count', '>', 0);
    if (opts.labels) q = q.where(conversationHasLabels(agentId, opts.labels, opts.now));
    if (opts.after) {
      const { at, id } = opts.after;
      q = q.where((eb) => eb.or([eb('last_message_at', '<', at), eb.and([eb('last_message_at', '=', at), eb('id', '<', id)])]));
    }
    return q.orderBy('last_message_at', 'desc').orderBy('id', 'desc').limit(opts.limit + 1).execute();
  }

  get(agentId: string, id: string, now: Date) {
    return this.db
      .selectFrom('conversations')
      .selectAll()
      .select(conversationLabelColumns(agentId, now))
      .where('agent_id', '=', agentId)
      .where('id', '=', id)
      .where('message_count', '>', 0)
      .executeTakeFirst();
  }
}
