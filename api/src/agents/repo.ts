import type { Database } from '../db/database.js';
import { announceRevocation } from '../events/revocations.js';

export class AgentsRepo {
  constructor(private readonly db: Database) {}

  insert(agent: { id: string; user_id: string; address: string; domain: string; display_name: string | null; created_at: Date }) {
    return this.db.insertInto('agents').values(agent).returningAll().executeTakeFirstOrThrow();
  }

  findByAddress(address: string) {
    return this.db.selectFrom('agents').selectAll().where('address', '=', address).executeTakeFirst();
  }

  list(userId: string, opts: { limit: number; beforeId?: string; onlyId?: string | null }) {
    let q = this.db.selectFrom('agents').selectAll().where('user_id', '=', userId);
    if (opts.onlyId) q = q.where('id', '=', opts.onlyId);
    if (opts.beforeId) q = q.where('id', '<', opts.beforeId);
    return q.orderBy('id', 'desc').limit(opts.limit + 1).execute();
  }

  /**
   * The agent and, by cascade, its mailbox. Its messages go first, in one statement, so the trigger
   * that releases their blobs (migrations/0004_message_blobs.sql) runs once and locks the blobs in
   * one ordered pass; left to the cascade they can go conversation by conversation, and two
   * agents deleted at once that share messages could lock the shared blobs in opposite orders.
   * Listeners of the agent on every replica are told at commit (events/revocations.ts).
   */
  async delete(id: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('messages').where('agent_id', '=', id).execute();
      await tx.deleteFrom('agents').where('id', '=', id).execute();
      await announceRevocation(tx, { kind: 'agent', agentId: id });
    });
  }

  isVerifiedDomainOf(userId: string | null, domain: string) {
    let q = this.db.selectFrom('domains').select('id').where('name', '=', domain).where('verified_at', 'is not', null);
    if (userId) q = q.where('user_id', '=', userId);
    return q.executeTakeFirst().then((r) => r !== undefined);
  }
}
