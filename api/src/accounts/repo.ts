import type { Database } from '../db/database.js';

export class AccountsRepo {
  constructor(private readonly db: Database) {}

  countUsers(): Promise<number> {
    return this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
      .then((r) => Number(r.n));
  }

  findUserByEmail(email: string) {
    return this.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
  }

  insertUser(db: Database, user: { id: string; email: string; created_at: Date }) {
    return db.insertInto('users').values(user).execute();
  }

  insertKey(
    db: Database,
    key: { id: string; user_id: string; name: string; prefix: string; key_hash: string; scope: 'account' | 'agent'; agent_id: string | null; created_at: Date },
  ) {
    return db.insertInto('api_keys').values(key).execute();
  }

  findKeyByHash(hash: string) {
    return this.db
      .selectFrom('api_keys as k')
      .innerJoin('users as u', 'u.id', 'k.user_id')
      .leftJoin('agents as a', 'a.id', 'k.agent_id')
      .select(['k.id', 'k.user_id', 'k.scope', 'k.agent_id', 'k.revoked_at', 'k.last_used_at', 'u.email', 'a.address as agent_address'])
      .where('k.key_hash', '=', hash)
      .executeTakeFirst();
  }

  touchKey(id: string, at: Date) {
    return this.db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
  }

  revokeKey(userId: string, id: string, at: Date) {
    return this.db
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
  }

  listKeys(userId: string, opts: { limit: number; beforeId?: string | undefined }) {
    let q = this.db
      .selectFrom('api_keys as k')
      .leftJoin('agents as a', 'a.id', 'k.agent_id')
      .select(['k.id', 'k.name', 'k.prefix', 'k.scope', 'a.address as agent_address', 'k.created_at', 'k.last_used_at', 'k.revoked_at'])
      .where('k.user_id', '=', userId);
    if (opts.beforeId) q = q.where('k.id', '<', opts.beforeId);
    return q.orderBy('k.id', 'desc').limit(opts.limit + 1).execute();
  }
}
