import type { ListMessagesQuery } from '@e2a/sdk/wire';
import { sql, type SelectQueryBuilder } from 'kysely';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { listingPlace, messageHasLabels, messageLabelColumns } from '../labels/conditions.js';
import { inMailbox } from './visibility.js';

export const SUMMARY_COLUMNS = [
  'm.id',
  'm.agent_id',
  'm.direction',
  'm.status',
  'm.conversation_id',
  'm.message_id_header',
  'm.from_address',
  'm.from_name',
  'm.to_addresses',
  'm.cc_addresses',
  'm.subject',
  'm.size_bytes',
  'm.attachment_count',
  'm.verified',
  'm.priority',
  'm.received_at',
  'm.read_at',
  'm.send_at',
  'm.deleted_at',
] as const;

/**
 * Every read here is of the agent's mailbox as visibility.ts defines it (`inMailbox`): mail held for
 * review, rejected or blocked, in either direction, is not there. Reads by id see the trash too
 * (view `any`): a trashed message can be read, and marked, before it is restored. A message's bytes
 * are in its blob (blobs/content.ts), shared with the other recipients' copies.
 */
export class MessagesRepo {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  list(agentId: string, q: ListMessagesQuery & { beforeId?: string | undefined }) {
    let query = this.db.selectFrom('messages as m').select(SUMMARY_COLUMNS).select(messageLabelColumns('m')).where(inMailbox(agentId, this.clock.now(), 'm', listingPlace(q)));
    if (q.beforeId) query = query.where('m.id', '<', q.beforeId);
    return withListFilters(query, q, agentId).orderBy('m.id', 'desc').limit(q.limit + 1).execute();
  }

  get(agentId: string, id: string) {
    return this.db
      .selectFrom('messages as m')
      .innerJoin('message_blobs as b', 'b.id', 'm.blob_id')
      .select([
        ...SUMMARY_COLUMNS,
        'm.in_reply_to',
        'm.references_header',
        'm.headers',
        'm.blob_id',
        'b.text_body',
        'b.html_body',
        'm.authentication',
        'b.raw',
        'm.content_hash',
      ])
      .select(messageLabelColumns('m'))
      .where(inMailbox(agentId, this.clock.now(), 'm', 'any'))
      .where('m.id', '=', id)
      .executeTakeFirst();
  }

  getRaw(agentId: string, id: string) {
    return this.db
      .selectFrom('messages as m')
      .innerJoin('message_blobs as b', 'b.id', 'm.blob_id')
      .select([...SUMMARY_COLUMNS, 'b.raw', 'm.authentication'])
      .where(inMailbox(agentId, this.clock.now(), 'm', 'any'))
      .where('m.id', '=', id)
      .executeTakeFirst();
  }

  attachments(blobId: string) {
    return this.db
      .selectFrom('attachments')
      .select(['idx', 'filename', 'content_type', 'size_bytes', 'content_id', 'disposition'])
      .where('blob_id', '=', blobId)
      .orderBy('idx')
      .execute();
  }

  /**
   * One attachment of a visible message, in one query: no row when the message is not the agent's to
   * see, null content when it has no such attachment. The raw message comes along only when the
   * attachment's bytes are read from it (blobs/content.ts, IN_RAW).
   */
  attachment(agentId: string, messageId: string, idx: number) {
    return this.db
      .selectFrom('messages as m')
      .leftJoin('attachments as a', (join) => join.onRef('a.blob_id', '=', 'm.blob_id').on('a.idx', '=', idx))
      .leftJoin('message_blobs as b', (join) => join.onRef('b.id', '=', 'm.blob_id').on(sql<boolean>`octet_length(a.content) = 0`))
      .select(['a.filename', 'a.content_type', 'a.disposition', 'a.content', 'a.sha256', 'b.raw'])
      .where(inMailbox(agentId, this.clock.now(), 'm', 'any'))
      .where('m.id', '=', messageId)
      .executeTakeFirst();
  }

  /** Read/unread, the one bit of a stored message the agent controls; false if it is not visible. */
  async setRead(agentId: string, id: string, readAt: Date | null): Promise<boolean> {
    const result = await this.db
      .updateTable('messages')
      .set({ read_at: readAt })
      .where(inMailbox(agentId, this.clock.now(), 'messages', 'any'))
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  isAgentAddress(address: string) {
    return this.db.selectFrom('agents').select('id').where('address', '=', address).executeTakeFirst().then((r) => r !== undefined);
  }
}

const messagesFrom = (db: Database) => db.selectFrom('messages as m');
type MessagesFrom = ReturnType<typeof messagesFrom> extends SelectQueryBuilder<infer D, infer _TB, infer _O> ? D : never;
/** `selectFrom('messages as m')` with any select list: what the list filters apply to. */
export type MessageRows<O> = SelectQueryBuilder<MessagesFrom, 'm', O>;

/**
 * The filters of ListMessagesQuery on rows of `messages as m`: the list and search apply the same.
 * `labelsOf`: the agent whose labels `?label=` names (labels are per agent); null where a listing
 * spans mailboxes and takes no `label`.
 */
export function withListFilters<O>(query: MessageRows<O>, q: Omit<ListMessagesQuery, 'limit' | 'cursor' | 'label'> & { label?: ListMessagesQuery['label'] }, labelsOf: string | null): MessageRows<O> {
  if (q.direction) query = query.where('m.direction', '=', q.direction);
  if (q.since) query = query.where('m.received_at', '>=', new Date(q.since));
  if (q.until) query = query.where('m.received_at', '<', new Date(q.until));
  if (q.from) query = query.where('m.from_address', '=', q.from.trim().toLowerCase());
  if (q.subject_contains) {
    const pattern = `%${q.subject_contains.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where('m.subject', 'ilike', pattern);
  }
  if (q.conversation_id) query = query.where('m.conversation_id', '=', q.conversation_id);
  if (q.unread === true) query = query.where('m.read_at', 'is', null);
  if (q.unread === false) query = query.where('m.read_at', 'is not', null);
  // Served by messages_agent_priority (migration 0011).
  if (q.priority) query = query.where('m.priority', '=', q.priority);
  // Every label given (docs/LABELS.md); message_labels_label serves a user label.
  if (q.label && labelsOf !== null) query = query.where(messageHasLabels(labelsOf, q.label, 'm'));
  return query;
}
