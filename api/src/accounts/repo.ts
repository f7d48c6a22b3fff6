import type { AgentRow } from '../agents/service.js';
import type { Database } from '../db/database.js';
import type { PathAgent } from './principal.js';

export type KeyRow = Awaited<ReturnType<AccountsRepo['findKeyByHash']>> & {};

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

  /** The key with this hash, its user's email and the address of the agent it is scoped to. */
  findKeyByHash(hash: string) {
    return this.keyByHash(hash).executeTakeFirst();
  }

  /**
   * findKeyByHash and the agent at `address` in one statement: a second left join costs an index
   * probe on agents.address where a separate query costs a round trip. The agent comes back as plain
   * prefixed columns, not as json, so dates and jsonb keep the types the driver gives them.
   */
  async findKeyWithPathAgent(hash: string, address: string): Promise<{ key: KeyRow | undefined; pathAgent: PathAgent }> {
    // PostgreSQL text cannot hold U+0000, so no agent has such an address, and as a parameter it
    // would fail the statement: the key is still checked, and the agent is simply not there.
    if (address.includes('\0')) return { key: await this.findKeyByHash(hash), pathAgent: { address, row: null } };
    const row = await this.keyByHash(hash)
      .leftJoin('agents as pa', (join) => join.on('pa.address', '=', address))
      .select([
        'pa.id as path_agent_id',
        'pa.user_id as path_agent_user_id',
        'pa.address as path_agent_address',
        'pa.domain as path_agent_domain',
        'pa.display_name as path_agent_display_name',
        'pa.protection as path_agent_protection',
        'pa.created_at as path_agent_created_at',
        'pa.expires_at as path_agent_expires_at',
        'pa.expiring_notified_at as path_agent_expiring_notified_at',
      ])
      .executeTakeFirst();
    if (!row || row.path_agent_id === null) return { key: row, pathAgent: { address, row: null } };
    // A left-joined row is all null or whole: with its id present, its NOT NULL columns are too.
    const agent: AgentRow = {
      id: row.path_agent_id,
      user_id: row.path_agent_user_id!,
      address: row.path_agent_address!,
      domain: row.path_agent_domain!,
      display_name: row.path_agent_display_name,
      protection: row.path_agent_protection!,
      created_at: row.path_agent_created_at!,
      expires_at: row.path_agent_expires_at,
      expiring_notified_at: row.path_agent_expiring_notified_at,
    };
    return { key: row, pathAgent: { address, row: agent } };
  }

  private keyByHash(hash: string) {
    return this.db
      .selectFrom('api_keys as k')
      .innerJoin('users as u', 'u.id', 'k.user_id')
      .leftJoin('agents as a', 'a.id', 'k.agent_id')
      .select(['k.id', 'k.user_id', 'k.scope', 'k.agent_id', 'k.revoked_at', 'k.last_used_at', 'u.email', 'a.address as agent_address', 'a.expires_at as agent_expires_at'])
      .where('k.key_hash', '=', hash);
  }

  touchKey(id: string, at: Date) {
    return this.db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
  }

  revokeKey(db: Database, userId: string, id: string, at: Date) {
    return db
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
