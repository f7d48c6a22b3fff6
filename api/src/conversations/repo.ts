import type { Database } from '../db/database.js';

export class ConversationsRepo {
  constructor(private readonly db: Database) {}

  /** Most recently active first; the cursor is the (last_message_at, id) of the last row seen. */
  list(agentId: string, opts: { limit: number; after?: { at: Date; id: string } | undefined }) {
    // A conversation whose only message is held for review has no visible message yet.
    let q = this.db.selectFrom('conversations').selectAll().where('agent_id', '=', agentId).where('message_count', '>', 0);
    if (opts.after) {
      const { at, id } = opts.after;
      q = q.where((eb) => eb.or([eb('last_message_at', '<', at), eb.and([eb('last_message_at', '=', at), eb('id', '<', id)])]));
    }
    return q.orderBy('last_message_at', 'desc').orderBy('id', 'desc').limit(opts.limit + 1).execute();
  }

  get(agentId: string, id: string) {
    return this.db
      .selectFrom('conversations')
      .selectAll()
      .where('agent_id', '=', agentId)
      .where('id', '=', id)
      .where('message_count', '>', 0)
      .executeTakeFirst();
  }
}
