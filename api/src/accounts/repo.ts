import type { AgentRow } from '../agents/service.js';
import type { Database } from '../db/database.js';
import { json } from '../db/database.js';
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

  /** The id of the user with this email, read in the caller's transaction. */
  userIdByEmail(db: Database, email: string) {
    return db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
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
        'pa.erasure_id as path_agent_erasure_id',
        'pa.retention_days as path_agent_retention_days',
        'pa.retention_inherits as path_agent_retention_inherits',
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
      erasure_id: row.path_agent_erasure_id,
      retention_days: row.path_agent_retention_days,
      retention_inherits: row.path_agent_retention_inherits!,
    };
    return { key: row, pathAgent: { address, row: agent } };
  }

  private keyByHash(hash: string) {
    return this.db
      .selectFrom('api_keys as k')
      .innerJoin('users as u', 'u.id', 'k.user_id')
      .leftJoin('agents as a', 'a.id', 'k.agent_id')
      .select(['k.id', 'k.user_id', 'k.scope', 'k.agent_id', 'k.revoked_at', 'k.last_used_at', 'u.email', 'u.erasure_id as account_erasure_id', 'a.address as agent_address', 'a.expires_at as agent_expires_at', 'a.erasure_id as agent_erasure_id'])
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

/**
 * Dashboard sign-in links and sessions (accounts/dashboard-sessions.ts). Tokens are looked up by
 * their SHA-256 only; the callers hash them.
 */
export class DashboardSessionsRepo {
  constructor(private readonly db: Database) {}

  /** The session with this token hash and its user's email. */
  sessionByHash(tokenHash: string) {
    return this.db
      .selectFrom('dashboard_sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .select(['s.id', 's.user_id', 's.expires_at', 's.revoked_at', 's.last_used_at', 'u.email', 'u.erasure_id as account_erasure_id'])
      .where('s.token_hash', '=', tokenHash)
      .executeTakeFirst();
  }

  async touchSession(id: string, at: Date): Promise<void> {
    await this.db.updateTable('dashboard_sessions').set({ last_used_at: at }).where('id', '=', id).execute();
  }

  async insertLink(link: { id: string; user_id: string; token_hash: string; created_at: Date; expires_at: Date }): Promise<void> {
    await this.db.insertInto('dashboard_sign_in_links').values({ ...link, used_at: null }).execute();
  }

  /** Marks the link used if it is unused and unexpired at `now`; its user, or undefined. */
  useLink(tokenHash: string, now: Date) {
    return this.db
      .updateTable('dashboard_sign_in_links')
      .set({ used_at: now })
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .returning(['user_id'])
      .executeTakeFirst();
  }

  /** A link whatever its state (to tell unknown from used or expired). */
  linkByHash(tokenHash: string) {
    return this.db.selectFrom('dashboard_sign_in_links').select(['used_at']).where('token_hash', '=', tokenHash).executeTakeFirst();
  }

  async insertSession(session: { id: string; user_id: string; token_hash: string; created_at: Date; expires_at: Date; user_agent: string | null }): Promise<void> {
    await this.db
      .insertInto('dashboard_sessions')
      .values({ ...session, last_used_at: session.created_at, revoked_at: null })
      .execute();
  }

  /** Queues the sign-in mail for the system-mail worker; the bodies come sealed. */
  async queueSignInMail(mail: { id: string; user_id: string; from_address: string; to: string; subject: string; text_body: Uint8Array; html_body: Uint8Array; now: Date }): Promise<void> {
    const { to, now, ...rest } = mail;
    await this.db
      .insertInto('system_mail')
      .values({
        ...rest,
        kind: 'sign_in_link',
        to_addresses: json([to]),
        status: 'queued',
        next_attempt_at: now,
        locked_until: null,
        status_reason: null,
        created_at: now,
        sent_at: null,
      })
      .execute();
  }

  /** The user's sessions neither ended nor expired at `now`, newest first. */
  liveSessions(userId: string, now: Date) {
    return this.db
      .selectFrom('dashboard_sessions')
      .select(['id', 'created_at', 'last_used_at', 'expires_at', 'user_agent'])
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .orderBy('id', 'desc')
      .limit(500)
      .execute();
  }

  /** Ends one of the user's live sessions; false when there was none by that id. */
  async revokeSession(userId: string, id: string, at: Date): Promise<boolean> {
    const res = await this.db
      .updateTable('dashboard_sessions')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** Ends every live session of the user; the ids ended. */
  async revokeSessions(userId: string, at: Date): Promise<string[]> {
    const ended = await this.db.updateTable('dashboard_sessions').set({ revoked_at: at }).where('user_id', '=', userId).where('revoked_at', 'is', null).returning(['id']).execute();
    return ended.map((r) => r.id);
  }

  /** Drops links expired by `now` and sessions that ended or expired before `before`. */
  async purge(now: Date, before: Date): Promise<void> {
    await this.db.deleteFrom('dashboard_sign_in_links').where('expires_at', '<', now).execute();
    await this.db
      .deleteFrom('dashboard_sessions')
      .where((eb) => eb.or([eb('expires_at', '<', before), eb('revoked_at', '<', before)]))
      .execute();
  }
}

/** Each account's claims signing key (accounts/claims-keys.ts); secrets are stored sealed. */
export class ClaimsKeysRepo {
  constructor(private readonly db: Database) {}

  find(userId: string) {
    return this.db.selectFrom('account_claims_keys').selectAll().where('user_id', '=', userId).executeTakeFirst();
  }

  /** The account's key, which must exist (read back after insertIfAbsent). */
  get(userId: string) {
    return this.db.selectFrom('account_claims_keys').selectAll().where('user_id', '=', userId).executeTakeFirstOrThrow();
  }

  /** Stores a first key unless the account has one already (a concurrent first use): the stored one wins. */
  async insertIfAbsent(key: { user_id: string; secret: Uint8Array; created_at: Date }): Promise<void> {
    await this.db.insertInto('account_claims_keys').values(key).onConflict((oc) => oc.column('user_id').doNothing()).execute();
  }

  /** One statement: the current secret becomes the previous one (an older previous is dropped). */
  rotate(userId: string, next: { secret: Uint8Array; previousExpiresAt: Date; at: Date }) {
    return this.db
      .updateTable('account_claims_keys')
      .set((eb) => ({
        previous_secret: eb.ref('secret'),
        secret: next.secret,
        previous_secret_expires_at: next.previousExpiresAt,
        rotated_at: next.at,
      }))
      .where('user_id', '=', userId)
      .returningAll()
      .executeTakeFirstOrThrow();
  }
}

