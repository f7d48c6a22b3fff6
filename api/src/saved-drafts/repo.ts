/**
 * SQL for saved drafts. Every statement names the agent: a draft is found only through the agent
 * AgentsService.resolve let the caller open, so another agent's or account's id matches nothing.
 */
import { sql, type Insertable } from 'kysely';
import type { Database } from '../db/database.js';
import type { SavedDraftsTable } from '../db/schema.js';

const SUMMARY_COLUMNS = ['id', 'subject', 'to_addresses', 'attachment_count', 'in_reply_to', 'send_at', 'created_at', 'updated_at'] as const;

export type DraftColumns = Omit<Insertable<SavedDraftsTable>, 'id' | 'agent_id' | 'created_at'>;

export class SavedDraftsRepo {
  constructor(private readonly db: Database) {}

  /**
   * Inserts a draft unless the agent already holds `max`: the agent's row is locked first, so two
   * creates at once cannot both slip under the cap. False when it is full.
   */
  insertUnderCap(row: Insertable<SavedDraftsTable>, max: number): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      await sql`SELECT id FROM agents WHERE id = ${row.agent_id} FOR UPDATE`.execute(tx);
      const held = await tx.selectFrom('saved_drafts').select(sql<number>`count(*)::int`.as('n')).where('agent_id', '=', row.agent_id).executeTakeFirstOrThrow();
      if (held.n >= max) return false;
      await tx.insertInto('saved_drafts').values(row).execute();
      return true;
    });
  }

  async replace(agentId: string, id: string, columns: DraftColumns): Promise<{ created_at: Date } | undefined> {
    return this.db.updateTable('saved_drafts').set(columns).where('id', '=', id).where('agent_id', '=', agentId).returning(['created_at']).executeTakeFirst();
  }

  get(agentId: string, id: string) {
    return this.db.selectFrom('saved_drafts').select(['id', 'content', 'created_at', 'updated_at']).where('id', '=', id).where('agent_id', '=', agentId).executeTakeFirst();
  }

  /** Newest first (ids are time-ordered), `limit + 1` rows so the caller knows whether a page follows. */
  list(agentId: string, opts: { limit: number; beforeId: string | undefined }) {
    let query = this.db.selectFrom('saved_drafts').select(SUMMARY_COLUMNS).where('agent_id', '=', agentId);
    if (opts.beforeId) query = query.where('id', '<', opts.beforeId);
    return query.orderBy('id', 'desc').limit(opts.limit + 1).execute();
  }

  async delete(agentId: string, id: string): Promise<boolean> {
    const row = await this.db.deleteFrom('saved_drafts').where('id', '=', id).where('agent_id', '=', agentId).returning('id').executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Deletes a draft in the caller's transaction (the one accepting its send), if it is still the
   * version that was read (`updatedAt`): 'gone' when another request sent or deleted it meanwhile,
   * 'changed' when it was replaced.
   */
  static async consume(tx: Database, agentId: string, id: string, updatedAt: Date): Promise<'consumed' | 'gone' | 'changed'> {
    const row = await tx.deleteFrom('saved_drafts').where('id', '=', id).where('agent_id', '=', agentId).where('updated_at', '=', updatedAt).returning('id').executeTakeFirst();
    if (row) return 'consumed';
    const still = await tx.selectFrom('saved_drafts').select('id').where('id', '=', id).where('agent_id', '=', agentId).executeTakeFirst();
    return still ? 'changed' : 'gone';
  }
}
