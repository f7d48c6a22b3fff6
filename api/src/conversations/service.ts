/** Conversations: an agent's threads, most recently active first. */
import type { Conversation, ConversationDetail, ConversationPage, ListConversationsQuery } from '@e2a/sdk/wire';
import type { Clock } from '../clock.js';
import { toPage } from '../paging.js';
import { AppError, notFound } from '../errors.js';
import type { Database } from '../db/database.js';
import type { MessagesService } from '../messages/service.js';
import { labelsOf } from '../labels/conditions.js';
import { ConversationsRepo } from './repo.js';

type Row = NonNullable<Awaited<ReturnType<ConversationsRepo['get']>>>;

function toWire(row: Row, agentAddress: string): Conversation {
  return {
    id: row.id,
    agent_address: agentAddress,
    subject: row.subject,
    message_count: row.message_count,
    created_at: new Date(row.created_at).toISOString(),
    last_message_at: new Date(row.last_message_at).toISOString(),
    labels: labelsOf(row),
  };
}

/** Cursor over a non-unique sort key: the timestamp and the id that breaks ties. */
function encode(row: Row): string {
  return Buffer.from(`c1:${new Date(row.last_message_at).toISOString()}|${row.id}`, 'utf8').toString('base64url');
}

function decode(cursor: string): { at: Date; id: string } {
  const m = /^c1:([^|]+)\|(conv_[0-9a-z]+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const at = m ? new Date(m[1]!) : null;
  if (!m || !at || Number.isNaN(at.getTime())) {
    throw new AppError('validation_error', 'cursor is not one this API issued; pass next_cursor from the previous page unchanged');
  }
  return { at, id: m[2]! };
}

export class ConversationsService {
  private readonly repo: ConversationsRepo;

  constructor(private readonly deps: { db: Database; messages: MessagesService; clock: Clock }) {
    this.repo = new ConversationsRepo(deps.db);
  }

  async list(agent: { id: string; address: string }, opts: ListConversationsQuery): Promise<ConversationPage> {
    const rows = await this.repo.list(agent.id, { limit: opts.limit, after: opts.cursor ? decode(opts.cursor) : undefined, labels: opts.label, now: this.deps.clock.now() });
    return toPage(rows, opts.limit, (r) => toWire(r, agent.address), encode);
  }

  async get(agent: { id: string; address: string }, id: string): Promise<ConversationDetail> {
    const row = await this.repo.get(agent.id, id, this.deps.clock.now());
    if (!row) throw notFound(`conversation ${id}`);
    const page = await this.deps.messages.list(agent, { conversation_id: id, limit: 200 });
    return { ...toWire(row, agent.address), messages: page.items.reverse() };
  }
}
