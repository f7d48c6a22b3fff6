/** SQL for /v1/domains. */
import type { Database } from '../db/database.js';

export class DomainsRepo {
  constructor(private readonly db: Database) {}

  list(userId: string) {
    return this.db.selectFrom('domains').selectAll().where('user_id', '=', userId).orderBy('name').execute();
  }

  find(userId: string, name: string) {
    return this.db.selectFrom('domains').selectAll().where('user_id', '=', userId).where('name', '=', name).executeTakeFirst();
  }

  /** Null when another account already claimed the name. */
  async insert(row: { id: string; user_id: string; name: string; verification_token: string; created_at: Date }) {
    return this.db.insertInto('domains').values(row).onConflict((oc) => oc.column('name').doNothing()).returningAll().executeTakeFirst();
  }

  markVerified(id: string, at: Date) {
    return this.db.updateTable('domains').set({ verified_at: at }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
  }

  async agentCount(domain: string): Promise<number> {
    const row = await this.db.selectFrom('agents').select((eb) => eb.fn.countAll<string>().as('n')).where('domain', '=', domain).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('domains').where('id', '=', id).execute();
  }
}
