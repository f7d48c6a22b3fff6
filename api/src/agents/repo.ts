import { sql } from 'kysely';
import type { Database } from '../db/database.js';
import { announceRevocation } from '../events/revocations.js';

export class AgentsRepo {
  constructor(private readonly db: Database) {}

  insert(agent: { id: string; user_id: string; address: string; domain: string; display_name: string | null; created_at: Date; expires_at: Date | null }) {
    return this.db.insertInto('agents').values(agent).returningAll().executeTakeFirstOrThrow();
  }

  findByAddress(address: string) {
    return this.db.selectFrom('agents').selectAll().where('address', '=', address).executeTakeFirst();
  }

  /** The list at `address`, if any: lists and agents share one namespace (docs/LISTS.md). */
  listAt(address: string) {
    return this.db.selectFrom('lists').select('user_id').where('address', '=', address).executeTakeFirst();
  }

  /** Locks the agent's row until the caller's transaction ends, so checks made under it cannot race. */
  async lock(id: string): Promise<void> {
    await this.db.selectFrom('agents').select('id').where('id', '=', id).forUpdate().execute();
  }

  /** The user's agents, expired ones (gone, awaiting the worker) and ones scheduled for deletion left out. */
  list(userId: string, opts: { limit: number; beforeId?: string; onlyId?: string | null; now: Date }) {
    let q = this.db
      .selectFrom('agents')
      .selectAll()
      .where('user_id', '=', userId)
      .where('erasure_id', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', opts.now)]));
    if (opts.onlyId) q = q.where('id', '=', opts.onlyId);
    if (opts.beforeId) q = q.where('id', '<', opts.beforeId);
    return q.orderBy('id', 'desc').limit(opts.limit + 1).execute();
  }

  /** The agent's retention setting (docs/RETENTION.md); undefined when the agent is gone. */
  update(id: string, retention: { retention_days: number | null; retention_inherits: boolean }) {
    return this.db.updateTable('agents').set(retention).where('id', '=', id).returningAll().executeTakeFirst();
  }

  /**
   * A new expiry, if the agent has not expired by `now`; agent.expiring is due again before it.
   * undefined when the agent expired (or is gone).
   */
  extend(id: string, expiresAt: Date, now: Date) {
    return this.db
      .updateTable('agents')
      .set({ expires_at: expiresAt, expiring_notified_at: null })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .returningAll()
      .executeTakeFirst();
  }

  isVerifiedDomainOf(userId: string | null, domain: string) {
    let q = this.db.selectFrom('domains').select('id').where('name', '=', domain).where('verified_at', 'is not', null);
    if (userId) q = q.where('user_id', '=', userId);
    return q.executeTakeFirst().then((r) => r !== undefined);
  }
}

/**
 * The agent and, by cascade, its mailbox, in the caller's transaction (the expiry worker deletes an
 * expired agent with its agent.expired event in one; a deletion through the API goes through an
 * erasure instead: erasure/plan.ts). Its messages go first, in one statement, so the trigger that
 * releases their blobs (migrations/0004_message_blobs.sql) runs once and locks the blobs in one
 * ordered pass; left to the cascade they can go conversation by conversation, and two agents
 * deleted at once that share messages could lock the shared blobs in opposite orders. Listeners of
 * the agent on every replica are told at commit (events/revocations.ts). Returns false when the
 * agent was already gone.
 */
export async function deleteAgent(tx: Database, id: string, reason: 'deleted' | 'expired' = 'deleted'): Promise<boolean> {
  await tx.deleteFrom('messages').where('agent_id', '=', id).execute();
  const deleted = await tx.deleteFrom('agents').where('id', '=', id).executeTakeFirst();
  if (Number(deleted.numDeletedRows) === 0) return false;
  await announceRevocation(tx, { kind: 'agent', agentId: id, ...(reason === 'expired' ? { expired: true as const } : {}) });
  return true;
}

/** An ephemeral agent the expiry worker acts on. */
export interface ExpiringAgent {
  id: string;
  user_id: string;
  address: string;
  expires_at: Date;
}

/**
 * Agents whose agent.expiring is due (expiring within `lead` of `now`, not yet expired, not yet
 * notified for this expiry), locked for the caller's transaction. SKIP LOCKED: two workers, on one
 * replica or many, each take different agents (served by agents_expiry, migration 0013).
 */
export async function agentsToNotify(tx: Database, now: Date, lead: Date, limit: number): Promise<ExpiringAgent[]> {
  const result = await sql<ExpiringAgent>`
    SELECT id, user_id, address, expires_at FROM agents
    WHERE expires_at IS NOT NULL AND expires_at > ${now}::timestamptz AND expires_at <= ${lead}::timestamptz
      AND expiring_notified_at IS NULL
    ORDER BY expires_at
    LIMIT ${limit}
    FOR UPDATE SKIP LOCKED`.execute(tx);
  return result.rows;
}

/** Agents expired by `now`, locked for the caller's transaction (SKIP LOCKED, as above). */
export async function expiredAgents(tx: Database, now: Date, limit: number): Promise<ExpiringAgent[]> {
  const result = await sql<ExpiringAgent>`
    SELECT id, user_id, address, expires_at FROM agents
    WHERE expires_at IS NOT NULL AND expires_at <= ${now}::timestamptz
    ORDER BY expires_at
    LIMIT ${limit}
    FOR UPDATE SKIP LOCKED`.execute(tx);
  return result.rows;
}

/** Records that agent.expiring went out for the agent's current expiry. */
export async function markNotified(tx: Database, id: string, at: Date): Promise<void> {
  await tx.updateTable('agents').set({ expiring_notified_at: at }).where('id', '=', id).execute();
}
