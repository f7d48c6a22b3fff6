/**
 * SQL of retention and trash (docs/RETENTION.md): the account's setting, the trash's marks, and the
 * retention worker's claims and purge. Writes run in the caller's transaction.
 */
import type { MessagePriority } from '@e2a/sdk/wire';
import { sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { StoredAddress } from '../db/schema.js';
import { appendEventsFrom, type EventDraft } from '../events/outbox.js';
import { inMailbox } from '../messages/visibility.js';

/**
 * Statuses of a message still on its way: held for review, or queued or scheduled for sending.
 * Retention leaves them alone and DELETE refuses them, so no review or send loses its message; once
 * decided or sent they age like any other.
 */
export const UNSETTLED_STATUSES = ['held', 'queued', 'scheduled'] as const;
const unsettled = sql.join(UNSETTLED_STATUSES.map((s) => sql.lit(s)));

/** A message as deleting it needs it: what its email.deleted event says, and whether its mailbox showed it. */
export interface DeletionRow {
  id: string;
  agent_id: string;
  user_id: string;
  agent_address: string;
  conversation_id: string;
  direction: 'inbound' | 'outbound';
  status: string;
  held: boolean;
  from_address: string | null;
  to_addresses: StoredAddress[];
  subject: string | null;
  verified: boolean;
  priority: MessagePriority;
  deleted_at: Date | null;
}

const DELETION_COLUMNS = sql`m.id, m.agent_id, a.user_id, a.address AS agent_address, m.conversation_id, m.direction, m.status, m.held,
  m.from_address, m.to_addresses, m.subject, m.verified, m.priority, m.deleted_at`;

/** No review of the message is waiting (reviews.message_id is unique and indexed). */
const noPendingReview = sql`NOT EXISTS (SELECT 1 FROM reviews r WHERE r.message_id = m.id AND r.status = 'pending')`;

/** The retention period that applies to agent `a` of account `u`, in days; NULL keeps forever. */
const effectiveDays = sql`(CASE WHEN a.retention_inherits THEN u.retention_days ELSE a.retention_days END)`;

export async function accountRetentionDays(db: Database, userId: string): Promise<number | null> {
  const row = await db.selectFrom('users').select('retention_days').where('id', '=', userId).executeTakeFirstOrThrow();
  return row.retention_days;
}

export async function setAccountRetentionDays(db: Database, userId: string, days: number | null): Promise<void> {
  await db.updateTable('users').set({ retention_days: days }).where('id', '=', userId).execute();
}

/**
 * The message `id` of `agentId`'s mailbox or trash (visibility.ts, view `any`), locked until the
 * caller's transaction ends so that a concurrent purge, restore or second delete waits for it.
 */
export async function lockForDeletion(tx: Database, agentId: string, id: string, now: Date): Promise<DeletionRow | undefined> {
  const result = await sql<DeletionRow>`
    SELECT ${DELETION_COLUMNS} FROM messages m JOIN agents a ON a.id = m.agent_id
    WHERE ${inMailbox(agentId, now, 'm', 'any')} AND m.id = ${id}
    FOR UPDATE OF m`.execute(tx);
  return result.rows[0];
}

/** Moves the messages to the trash; returns those that were not there yet. */
export async function markTrashed(tx: Database, ids: string[], now: Date): Promise<string[]> {
  if (ids.length === 0) return [];
  const result = await tx.updateTable('messages').set({ deleted_at: now }).where('id', 'in', ids).where('deleted_at', 'is', null).returning('id').execute();
  return result.map((r) => r.id);
}

/** Takes the message out of the trash if it is still there and was deleted after `since`. */
export async function markRestored(tx: Database, id: string, since: Date): Promise<boolean> {
  const result = await tx.updateTable('messages').set({ deleted_at: null }).where('id', '=', id).where('deleted_at', '>', since).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Each conversation's count of what its mailbox shows, taken afresh (as reviews/outcome.ts does for
 * an approval), in id order: two writers recounting overlapping sets lock them in the same order.
 */
export async function recountConversations(tx: Database, conversations: Array<{ id: string; agentId: string }>, now: Date): Promise<void> {
  const unique = [...new Map(conversations.map((c) => [c.id, c])).values()].sort((x, y) => (x.id < y.id ? -1 : 1));
  for (const c of unique) {
    await tx
      .updateTable('conversations')
      .set({ message_count: sql<number>`(SELECT count(*) FROM messages m WHERE m.conversation_id = ${c.id} AND ${inMailbox(c.agentId, now)})::integer` })
      .where('id', '=', c.id)
      .execute();
  }
}

/**
 * Messages past their retention period, for one sweeper to trash, locked for the caller's
 * transaction (SKIP LOCKED: concurrent sweepers on any replica take disjoint batches). Held and
 * blocked mail is included once no review is waiting on it; mail still unsettled is not.
 *
 * Each agent's cutoff depends on its own row, which no index on messages can take as a constant,
 * so the candidates are found agent by agent (a LATERAL probe of messages_retention below that
 * agent's cutoff, oldest first) and only then locked: a sweep reads the agents that have a period
 * and the messages due, not the table (a join on the cutoff scanned all 200,000 rows of a test
 * table, 0.6 s, on every poll).
 */
export async function dueForRetention(tx: Database, now: Date, limit: number): Promise<DeletionRow[]> {
  const result = await sql<DeletionRow>`
    SELECT ${DELETION_COLUMNS}
    FROM messages m JOIN agents a ON a.id = m.agent_id
    WHERE m.id IN (
      SELECT due.id
      FROM (SELECT a.id, ${now}::timestamptz - make_interval(days => ${effectiveDays}) AS cutoff
              FROM agents a JOIN users u ON u.id = a.user_id
             WHERE ${effectiveDays} IS NOT NULL) x
      CROSS JOIN LATERAL (
        SELECT m.id FROM messages m
         WHERE m.agent_id = x.id AND m.deleted_at IS NULL AND m.received_at < x.cutoff
           AND m.status NOT IN (${unsettled})
           AND ${noPendingReview}
         ORDER BY m.received_at
         LIMIT ${limit}) due
      LIMIT ${limit})
      AND m.deleted_at IS NULL
    LIMIT ${limit}
    FOR UPDATE OF m SKIP LOCKED`.execute(tx);
  return result.rows;
}

/** Trashed messages whose restore period ended at `cutoff`, locked as dueForRetention's are (messages_trash serves it). */
export async function dueForPurge(tx: Database, cutoff: Date, limit: number): Promise<DeletionRow[]> {
  const result = await sql<DeletionRow>`
    SELECT ${DELETION_COLUMNS}
    FROM messages m JOIN agents a ON a.id = m.agent_id
    WHERE m.deleted_at IS NOT NULL AND m.deleted_at <= ${cutoff}::timestamptz
      AND m.status NOT IN (${unsettled})
      AND ${noPendingReview}
    ORDER BY m.deleted_at
    LIMIT ${limit}
    FOR UPDATE OF m SKIP LOCKED`.execute(tx);
  return result.rows;
}

/**
 * Deletes the trashed messages in ONE statement, so the trigger that releases their blobs
 * (migrations/0004) locks them once, in id order: two purges sharing blobs never deadlock, and a
 * blob goes only with its last copy. Their labels go by cascade. Returns the ids deleted.
 */
export async function purgeMessages(tx: Database, ids: string[], cutoff: Date): Promise<string[]> {
  if (ids.length === 0) return [];
  const result = await tx.deleteFrom('messages').where('id', 'in', ids).where('deleted_at', '<=', cutoff).returning('id').execute();
  return result.map((r) => r.id);
}

/**
 * Conversations the purge left without a message, deleted so that their subjects go too. Locked
 * first, in id order, and checked in a later statement: a message stored into one meanwhile either
 * committed before the lock was granted (and is seen, so the conversation stays) or waits for this
 * transaction and recreates it (conversations/repo.ts upserts).
 */
export async function dropEmptyConversations(tx: Database, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const unique = [...new Set(ids)].sort();
  await tx.selectFrom('conversations').select('id').where('id', 'in', unique).orderBy('id').forUpdate().execute();
  await sql`DELETE FROM conversations c WHERE c.id = ANY(${unique}::text[]) AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id)`.execute(tx);
}

/** Appends the drafts (each `about` one of `ids`) for their messages' accounts and agents, in one statement. */
export async function appendDeletionEvents(tx: Database, ids: string[], drafts: EventDraft[], at: Date): Promise<void> {
  if (drafts.length === 0) return;
  await appendEventsFrom(tx, drafts, sql`SELECT m.id, a.user_id, m.agent_id FROM messages m JOIN agents a ON a.id = m.agent_id WHERE m.id = ANY(${ids}::text[])`, at).execute();
}
