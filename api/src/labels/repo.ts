/**
 * Labels' storage (migration 0018): an agent's labels, and the links to its messages and
 * conversations. Every read of a message or conversation here is of what the agent's mailbox shows
 * (messages/visibility.ts), so a hidden message can be neither labelled nor counted.
 */
import { sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { StoredAddress } from '../db/schema.js';
import { inMailbox } from '../messages/visibility.js';
import { conversationLabelColumns, messageLabelColumns, placeOf, SHOWN_SYSTEM_LABELS, systemCondition } from './conditions.js';

/** What a label hangs on, and the table that links them. */
export type LabelTarget = 'message' | 'conversation';
const LINKS = {
  message: { table: 'message_labels', column: 'message_id' },
  conversation: { table: 'conversation_labels', column: 'conversation_id' },
} as const;

/** The first key of the advisory locks that serialise one agent's label changes (the second is its id's hash). */
const LABELS_LOCK_SPACE = 0x6c626c; // "lbl"

export interface LabelRow {
  id: string;
  name: string;
}

export class LabelsRepo {
  constructor(private readonly db: Database) {}

  /**
   * Serialises the agent's label changes until the caller's transaction ends: the count checked
   * against labels.max_per_agent stays true until the insert, and a label being deleted is not
   * linked meanwhile. An advisory lock rather than the agent's row, so deleting the agent (which
   * locks its messages, then the row) cannot deadlock with a change.
   */
  async lock(agentId: string): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(${sql.lit(LABELS_LOCK_SPACE)}, hashtext(${agentId}))`.execute(this.db);
  }

  async count(agentId: string): Promise<number> {
    const row = await this.db.selectFrom('labels').select(sql<number>`count(*)::int`.as('n')).where('agent_id', '=', agentId).executeTakeFirstOrThrow();
    return row.n;
  }

  /** The agent's labels with these names, compared in lower case (`keys` are lower case). */
  byKeys(agentId: string, keys: readonly string[]): Promise<LabelRow[]> {
    if (keys.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('labels')
      .select(['id', 'name'])
      .where('agent_id', '=', agentId)
      .where(sql<boolean>`lower(name) = ANY(${[...keys]}::text[])`)
      .execute();
  }

  /** New labels; a name another change created meanwhile is left as it is (the lock makes that rare). */
  async create(agentId: string, labels: readonly LabelRow[], now: Date): Promise<void> {
    if (labels.length === 0) return;
    await this.db
      .insertInto('labels')
      .values(labels.map((l) => ({ id: l.id, agent_id: agentId, name: l.name, created_at: now })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  /** A message the agent's mailbox shows, or its trash: what its events say about it, and its labels. */
  message(agentId: string, id: string, now: Date) {
    return this.messages(agentId, [id], now).then((rows) => rows[0]);
  }

  messages(agentId: string, ids: readonly string[], now: Date) {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('messages as m')
      .select(['m.id', 'm.conversation_id', 'm.direction', 'm.from_address', 'm.to_addresses', 'm.subject', 'm.verified', 'm.priority'])
      .select(messageLabelColumns('m'))
      // Like every read by id, in the mailbox or its trash (visibility.ts).
      .where(inMailbox(agentId, now, 'm', 'any'))
      .where(sql<boolean>`m.id = ANY(${[...ids]}::text[])`)
      .execute()
      .then((rows) => rows.map((r) => ({ ...r, to_addresses: r.to_addresses as StoredAddress[] })));
  }

  /** A conversation the agent's conversation list shows (one with a message the mailbox shows). */
  conversation(agentId: string, id: string, now: Date) {
    return this.conversations(agentId, [id], now).then((rows) => rows[0]);
  }

  conversations(agentId: string, ids: readonly string[], now: Date) {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('conversations')
      .select(['conversations.id', 'conversations.subject'])
      .select(conversationLabelColumns(agentId, now))
      .where('agent_id', '=', agentId)
      .where('message_count', '>', 0)
      .where(sql<boolean>`conversations.id = ANY(${[...ids]}::text[])`)
      .execute();
  }

  /** Links the labels to the target; the ids of those it did not have already. */
  async attach(target: LabelTarget, targetId: string, labelIds: readonly string[]): Promise<string[]> {
    if (labelIds.length === 0) return [];
    const { table, column } = LINKS[target];
    const result = await sql<{ label_id: string }>`INSERT INTO ${sql.table(table)} (${sql.ref(column)}, label_id)
      SELECT ${targetId}, unnest(${[...labelIds]}::text[]) ON CONFLICT DO NOTHING RETURNING label_id`.execute(this.db);
    return result.rows.map((r) => r.label_id);
  }

  /** Unlinks the labels from the target; the ids of those it had. */
  async detach(target: LabelTarget, targetId: string, labelIds: readonly string[]): Promise<string[]> {
    if (labelIds.length === 0) return [];
    const { table, column } = LINKS[target];
    const result = await sql<{ label_id: string }>`DELETE FROM ${sql.table(table)}
      WHERE ${sql.ref(column)} = ${targetId} AND label_id = ANY(${[...labelIds]}::text[]) RETURNING label_id`.execute(this.db);
    return result.rows.map((r) => r.label_id);
  }

  /** Deletes the label; the messages and conversations it was on. */
  async delete(labelId: string): Promise<{ messageIds: string[]; conversationIds: string[] }> {
    const messages = await this.db.deleteFrom('message_labels').where('label_id', '=', labelId).returning('message_id').execute();
    const conversations = await this.db.deleteFrom('conversation_labels').where('label_id', '=', labelId).returning('conversation_id').execute();
    await this.db.deleteFrom('labels').where('id', '=', labelId).execute();
    return { messageIds: messages.map((r) => r.message_id), conversationIds: conversations.map((r) => r.conversation_id) };
  }

  /**
   * The agent's labels, case-insensitively by name, each with what the mailbox (not its trash) shows
   * of it, as `?label=` lists it: its messages (and how many are unread) and its conversations. The
   * counts are two grouped passes over the agent's links, not a count per label: a label on most of
   * a large mailbox costs one hash join, not a probe per message per label.
   */
  list(agentId: string, now: Date) {
    return this.db
      .with('mc', (db) =>
        db
          .selectFrom('labels as l')
          .innerJoin('message_labels as ml', 'ml.label_id', 'l.id')
          .innerJoin('messages as m', 'm.id', 'ml.message_id')
          .select(['ml.label_id', sql<number>`count(*)::int`.as('messages'), sql<number>`(count(*) FILTER (WHERE ${systemCondition('unread', 'm')}))::int`.as('unread_messages')])
          .where('l.agent_id', '=', agentId)
          .where(inMailbox(agentId, now))
          .groupBy('ml.label_id'),
      )
      .with('cc', (db) =>
        db
          .selectFrom('labels as l')
          .innerJoin('conversation_labels as cl', 'cl.label_id', 'l.id')
          .innerJoin('conversations as c', 'c.id', 'cl.conversation_id')
          .select(['cl.label_id', sql<number>`count(*)::int`.as('conversations')])
          .where('l.agent_id', '=', agentId)
          .where('c.message_count', '>', 0)
          .groupBy('cl.label_id'),
      )
      .selectFrom('labels as l')
      .leftJoin('mc', 'mc.label_id', 'l.id')
      .leftJoin('cc', 'cc.label_id', 'l.id')
      .select(['l.id', 'l.name', 'l.created_at', 'mc.messages', 'mc.unread_messages', 'cc.conversations'])
      .where('l.agent_id', '=', agentId)
      .orderBy(sql`lower(l.name)`)
      .execute();
  }

  /**
   * The system labels' counts, in one pass over the mailbox and its trash: per label, its messages
   * in its place (placeOf), those unread, and the conversations they are in.
   */
  async systemCounts(agentId: string, now: Date) {
    const columns = SHOWN_SYSTEM_LABELS.flatMap((label) => {
      const has = placeOf(label) === 'mailbox' ? sql`${systemCondition(label, 'm')} AND NOT ${systemCondition('trash', 'm')}` : systemCondition(label, 'm');
      return [
        sql<number>`(count(*) FILTER (WHERE ${has}))::int`.as(`${label}_messages`),
        sql<number>`(count(*) FILTER (WHERE ${has} AND ${systemCondition('unread', 'm')}))::int`.as(`${label}_unread`),
        sql<number>`(count(DISTINCT m.conversation_id) FILTER (WHERE ${has}))::int`.as(`${label}_conversations`),
      ];
    });
    const row = (await this.db.selectFrom('messages as m').select(columns).where(inMailbox(agentId, now, 'm', 'any')).executeTakeFirstOrThrow()) as Record<string, number>;
    return Object.fromEntries(
      SHOWN_SYSTEM_LABELS.map((label) => [label, { messages: row[`${label}_messages`]!, unread_messages: row[`${label}_unread`]!, conversations: row[`${label}_conversations`]! }]),
    ) as Record<(typeof SHOWN_SYSTEM_LABELS)[number], { messages: number; unread_messages: number; conversations: number }>;
  }
}
