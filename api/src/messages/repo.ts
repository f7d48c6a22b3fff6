import type { ListMessagesQuery } from '@e2a/sdk/wire';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { inMailbox } from './visibility.js';

const SUMMARY_COLUMNS = [
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
] as const;

/**
 * Every read here is of the agent's mailbox as visibility.ts defines it (`inMailbox`): mail held for
 * review, rejected or blocked, in either direction, is not there. A message's bytes are in its blob
 * (blobs/content.ts), shared with the other recipients' copies.
 */
export class MessagesRepo {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  list(agentId: string, q: ListMessagesQuery & { beforeId?: string | undefined }) {
    let query = this.db.selectFrom('messages as m').select(SUMMARY_COLUMNS).where(inMailbox(agentId, this.clock.now()));
    if (q.beforeId) query = query.where('m.id', '<', q.beforeId);
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
    return query.orderBy('m.id', 'desc').limit(q.limit + 1).execute();
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
      .where(inMailbox(agentId, this.clock.now()))
      .where('m.id', '=', id)
      .executeTakeFirst();
  }

  getRaw(agentId: string, id: string) {
    return this.db
      .selectFrom('messages as m')
      .innerJoin('message_blobs as b', 'b.id', 'm.blob_id')
      .select([...SUMMARY_COLUMNS, 'b.raw', 'm.authentication'])
      .where(inMailbox(agentId, this.clock.now()))
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
   * One attachment of a visible message, in one query that leaves the message's raw bytes alone: no
   * row when the message is not the agent's to see, null content when it has no such attachment.
   */
  attachment(agentId: string, messageId: string, idx: number) {
    return this.db
      .selectFrom('messages as m')
      .leftJoin('attachments as a', (join) => join.onRef('a.blob_id', '=', 'm.blob_id').on('a.idx', '=', idx))
      .select(['a.filename', 'a.content_type', 'a.disposition', 'a.content'])
      .where(inMailbox(agentId, this.clock.now()))
      .where('m.id', '=', messageId)
      .executeTakeFirst();
  }

  /** Read/unread, the one bit of a stored message the agent controls; false if it is not visible. */
  async setRead(agentId: string, id: string, readAt: Date | null): Promise<boolean> {
    const result = await this.db
      .updateTable('messages')
      .set({ read_at: readAt })
      .where(inMailbox(agentId, this.clock.now(), 'messages'))
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  isAgentAddress(address: string) {
    return this.db.selectFrom('agents').select('id').where('address', '=', address).executeTakeFirst().then((r) => r !== undefined);
  }
}
