/** SQL for /v1/domains. */
import type { Database } from '../db/database.js';

export class DomainsRepo {
  constructor(private readonly db: Database) {}

  list(userId: string) {
    return this.db.selectFrom('domains').selectAll().where('user_id', '=', userId).orderBy('name').execute();
  }

  /** This account's claim on `name`, verified or not; other accounts' claims are never read here. */
  find(userId: string, name: string) {
    return this.db.selectFrom('domains').selectAll().where('user_id', '=', userId).where('name', '=', name).executeTakeFirst();
  }

  /** A new claim, or null when this account already holds one on the name (domains_user_name). */
  insert(row: { id: string; user_id: string; name: string; verification_token: string; created_at: Date }) {
    return this.db
      .insertInto('domains')
      .values(row)
      .onConflict((oc) => oc.columns(['user_id', 'name']).doNothing())
      .returningAll()
      .executeTakeFirst();
  }

  /** True when another account has verified `name`. */
  async verifiedElsewhere(userId: string, name: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('domains')
      .select('id')
      .where('name', '=', name)
      .where('verified_at', 'is not', null)
      .where('user_id', '<>', userId)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Throws the unique violation (23505) of domains_verified_name when another claim won first. */
  markVerified(id: string, at: Date) {
    return this.db.updateTable('domains').set({ verified_at: at }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
  }

  /** This account's agents on `domain`: never another account's, which it has no right to count. */
  async agentCount(userId: string, domain: string): Promise<number> {
    const row = await this.db
      .selectFrom('agents')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('user_id', '=', userId)
      .where('domain', '=', domain)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('domains').where('id', '=', id).execute();
  }
}

/** DKIM key pairs, one per domain (domains/dkim-keys.ts); the private half is stored sealed. */
export class DkimKeysRepo {
  constructor(private readonly db: Database) {}

  find(domain: string) {
    return this.db.selectFrom('dkim_keys').selectAll().where('domain', '=', domain).executeTakeFirst();
  }

  /** The domain's key, which must exist (read back after insertIfAbsent). */
  get(domain: string) {
    return this.db.selectFrom('dkim_keys').selectAll().where('domain', '=', domain).executeTakeFirstOrThrow();
  }

  /** Stores a key unless the domain has one already (a concurrent first use): the stored one wins. */
  async insertIfAbsent(key: { domain: string; selector: string; private_key: Uint8Array; public_key: string; created_at: Date }): Promise<void> {
    await this.db.insertInto('dkim_keys').values(key).onConflict((oc) => oc.column('domain').doNothing()).execute();
  }

  /** The public half only. */
  findPublic(domain: string) {
    return this.db.selectFrom('dkim_keys').select(['selector', 'public_key']).where('domain', '=', domain).executeTakeFirst();
  }
}
