/**
 * SQL of erasures (migration 0021): the request, the disabling and restoring of its scope, the
 * worker's claim. Disabling and restoring announce themselves in the same transaction: the
 * agents-changed notice makes every replica's RCPT cache forget the agents (inbound/directory.ts),
 * and the revocation notice closes (or lets reopen) their WebSocket listeners (events/revocations.ts).
 */
import { sql } from 'kysely';
import type { Database } from '../db/database.js';
import { json } from '../db/database.js';
import type { ErasuresTable } from '../db/schema.js';
import { AGENTS_CHANNEL } from '../events/bus.js';
import { announceRevocation } from '../events/revocations.js';
import type { Counts } from './plan.js';

export type ErasureRow = Awaited<ReturnType<ErasuresRepo['get']>> & {};

async function announceAgents(tx: Database, agentIds: string[], kind: 'erasing' | 'restored'): Promise<void> {
  for (const agentId of agentIds) {
    await sql`SELECT pg_notify(${AGENTS_CHANNEL}, ${agentId})`.execute(tx);
    await announceRevocation(tx, kind === 'erasing' ? { kind: 'agent', agentId, erasing: true } : { kind: 'restored', agentId });
  }
}

export class ErasuresRepo {
  constructor(private readonly db: Database) {}

  get(id: string) {
    return this.db.selectFrom('erasures').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The erasure under way for this agent or account, if any. */
  live(where: { scope: 'agent'; agentId: string } | { scope: 'account'; userId: string }) {
    let q = this.db.selectFrom('erasures').selectAll().where('scope', '=', where.scope).where('status', 'in', ['scheduled', 'erasing']);
    q = where.scope === 'agent' ? q.where('agent_id', '=', where.agentId) : q.where('user_id', '=', where.userId);
    return q.executeTakeFirst();
  }

  list(userId: string, opts: { limit: number; beforeId?: string | undefined }) {
    let q = this.db.selectFrom('erasures').selectAll().where('user_id', '=', userId);
    if (opts.beforeId) q = q.where('id', '<', opts.beforeId);
    return q.orderBy('id', 'desc').limit(opts.limit + 1).execute();
  }

  insert(row: Pick<ErasuresTable, 'id' | 'user_id' | 'scope' | 'agent_id' | 'target' | 'cancel_token_hash'> & { requested_at: Date; erase_after: Date }) {
    return this.db
      .insertInto('erasures')
      .values({ ...row, status: 'scheduled', cancelled_at: null, started_at: null, completed_at: null })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** Disables one agent for the erasure (unless something already disabled it). */
  async disableAgent(agentId: string, erasureId: string): Promise<void> {
    const done = await this.db.updateTable('agents').set({ erasure_id: erasureId }).where('id', '=', agentId).where('erasure_id', 'is', null).returning('id').execute();
    await announceAgents(this.db, done.map((r) => r.id), 'erasing');
  }

  /** Disables the account and every agent of it not already disabled by an erasure of its own. */
  async disableAccount(userId: string, erasureId: string): Promise<void> {
    await this.db.updateTable('users').set({ erasure_id: erasureId }).where('id', '=', userId).execute();
    const done = await this.db.updateTable('agents').set({ erasure_id: erasureId }).where('user_id', '=', userId).where('erasure_id', 'is', null).returning('id').execute();
    await announceAgents(this.db, done.map((r) => r.id), 'erasing');
  }

  /**
   * Cancels a scheduled erasure whose grace period has not ended, and restores what it disabled;
   * false when it is no longer scheduled or its grace period is over.
   */
  async cancel(erasure: { id: string; user_id: string }, now: Date): Promise<boolean> {
    const r = await this.db
      .updateTable('erasures')
      .set({ status: 'cancelled', cancelled_at: now })
      .where('id', '=', erasure.id)
      .where('status', '=', 'scheduled')
      .where('erase_after', '>', now)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return false;
    await this.db.updateTable('users').set({ erasure_id: null }).where('id', '=', erasure.user_id).where('erasure_id', '=', erasure.id).execute();
    const restored = await this.db.updateTable('agents').set({ erasure_id: null }).where('erasure_id', '=', erasure.id).returning('id').execute();
    await announceAgents(this.db, restored.map((a) => a.id), 'restored');
    return true;
  }

  /** Queues system mail (the notice of a scheduled account deletion, the report after one). */
  async queueMail(mail: { id: string; user_id: string | null; kind: string; from: string; to: string; subject: string; text: Uint8Array; now: Date }): Promise<void> {
    await this.db
      .insertInto('system_mail')
      .values({
        id: mail.id,
        user_id: mail.user_id,
        kind: mail.kind,
        from_address: mail.from,
        to_addresses: json([mail.to]),
        subject: mail.subject,
        text_body: mail.text,
        html_body: null,
        status: 'queued',
        next_attempt_at: mail.now,
        locked_until: null,
        status_reason: null,
        created_at: mail.now,
        sent_at: null,
      })
      .execute();
  }
}

/** The erasure erasing next: its grace period over, not finished; locked for the caller's transaction (SKIP LOCKED). */
export async function dueErasures(tx: Database, now: Date, limit: number): Promise<ErasureRow[]> {
  const result = await sql<ErasureRow>`
    SELECT * FROM erasures WHERE status IN ('scheduled', 'erasing') AND erase_after <= ${now}::timestamptz
    ORDER BY erase_after LIMIT ${limit} FOR UPDATE SKIP LOCKED`.execute(tx);
  return result.rows;
}

/** Adds a batch's counts to the report; `finished` closes the erasure. */
export async function recordProgress(tx: Database, erasure: ErasureRow, counts: Counts, at: Date, finished: boolean): Promise<Counts> {
  const erased: Counts = { ...(erasure.erased as Counts) };
  for (const [table, n] of Object.entries(counts)) if (n > 0) erased[table] = (erased[table] ?? 0) + n;
  await tx
    .updateTable('erasures')
    .set({
      erased: json(erased),
      status: finished ? 'done' : 'erasing',
      ...(erasure.started_at ? {} : { started_at: at }),
      ...(finished ? { completed_at: at } : {}),
      // An account's email goes with it; the report keeps the counts and the opaque ids.
      ...(finished && erasure.scope === 'account' ? { target: null } : {}),
    })
    .where('id', '=', erasure.id)
    .execute();
  return erased;
}
