/** SQL of export jobs and their archive chunks (migration 0021; docs/DATA.md "Export"). */
import { sql } from 'kysely';
import type { Database } from '../db/database.js';
import { json } from '../db/database.js';
import type { ExportCursor } from './contents.js';

export type ExportRow = Awaited<ReturnType<ExportsRepo['get']>> & {};

/** A job a worker holds the lease on. */
export interface ClaimedExport {
  id: string;
  user_id: string;
  created_at: Date;
  cursor: ExportCursor;
  chunks: number;
  attempts: number;
  lease_owner: string;
}

export class ExportsRepo {
  constructor(private readonly db: Database) {}

  insert(row: { id: string; user_id: string; messages_total: number; created_at: Date }) {
    return this.db
      .insertInto('account_exports')
      .values({ ...row, status: 'queued', lease_owner: null, locked_until: null, error: null, started_at: null, completed_at: null, expires_at: null })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  get(userId: string, id: string) {
    return this.db.selectFrom('account_exports').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
  }

  /** The account's job that is not finished yet, if any: a second request joins it. */
  open(userId: string) {
    return this.db.selectFrom('account_exports').selectAll().where('user_id', '=', userId).where('status', 'in', ['queued', 'running']).orderBy('id', 'desc').executeTakeFirst();
  }

  list(userId: string, opts: { limit: number; beforeId?: string | undefined }) {
    let q = this.db.selectFrom('account_exports').selectAll().where('user_id', '=', userId);
    if (opts.beforeId) q = q.where('id', '<', opts.beforeId);
    return q.orderBy('id', 'desc').limit(opts.limit + 1).execute();
  }

  /** One chunk's sealed bytes, by position. */
  chunk(exportId: string, seq: number) {
    return this.db.selectFrom('account_export_chunks').select(['data']).where('export_id', '=', exportId).where('seq', '=', seq).executeTakeFirst();
  }
}

/**
 * Takes the oldest unfinished job whose lease is free (never taken, or lapsed: its worker died or
 * stalled) and leases it to `owner` until `until`. FOR UPDATE SKIP LOCKED: two workers, on one
 * replica or many, never take one job; a lapsed lease resumes where the last committed chunk left.
 */
export async function claimExport(db: Database, owner: string, now: Date, until: Date): Promise<ClaimedExport | undefined> {
  const result = await sql<ClaimedExport>`
    UPDATE account_exports SET status = 'running', lease_owner = ${owner}, locked_until = ${until}::timestamptz,
           attempts = attempts + 1, started_at = coalesce(started_at, ${now}::timestamptz)
     WHERE id = (
       SELECT id FROM account_exports
        WHERE status IN ('queued', 'running') AND (locked_until IS NULL OR locked_until < ${now}::timestamptz)
        ORDER BY created_at
        LIMIT 1
        FOR UPDATE SKIP LOCKED)
    RETURNING id, user_id, created_at, cursor, chunks, attempts, lease_owner`.execute(db);
  return result.rows[0];
}

/**
 * Appends one chunk and moves the cursor, if `owner` still holds the lease; false when it lost it
 * (another worker took the job over), and nothing is written.
 */
export async function appendChunk(
  tx: Database,
  job: { id: string; owner: string; seq: number },
  chunk: { sealed: Buffer; size: number; cursor: ExportCursor; messages: number; last: boolean; now: Date; leaseUntil: Date; expiresAt: Date },
): Promise<boolean> {
  const updated = await tx
    .updateTable('account_exports')
    .set((eb) => ({
      cursor: json(chunk.cursor),
      chunks: job.seq + 1,
      size_bytes: sql`size_bytes + ${chunk.size}`,
      messages_done: eb('messages_done', '+', chunk.messages),
      error: null,
      ...(chunk.last
        ? { status: 'done' as const, completed_at: chunk.now, expires_at: chunk.expiresAt, lease_owner: null, locked_until: null, messages_total: sql<number>`messages_done + ${chunk.messages}` }
        : { locked_until: chunk.leaseUntil }),
    }))
    .where('id', '=', job.id)
    .where('lease_owner', '=', job.owner)
    .where('status', '=', 'running')
    .where('chunks', '=', job.seq)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) return false;
  await tx.insertInto('account_export_chunks').values({ export_id: job.id, seq: job.seq, data: chunk.sealed, size_bytes: chunk.size }).execute();
  return true;
}

/** A failed attempt: the lease is released with the reason; after the last attempt the job fails. */
export async function recordFailure(db: Database, job: { id: string; owner: string }, reason: string, final: boolean): Promise<void> {
  await db
    .updateTable('account_exports')
    .set({ error: reason.slice(0, 500), lease_owner: null, locked_until: null, ...(final ? { status: 'failed' as const } : {}) })
    .where('id', '=', job.id)
    .where('lease_owner', '=', job.owner)
    .execute();
}

/** Finished archives past their retention, locked for the caller's transaction. */
export async function expiredExports(tx: Database, now: Date, limit: number): Promise<Array<{ id: string }>> {
  const result = await sql<{ id: string }>`
    SELECT id FROM account_exports WHERE status = 'done' AND expires_at <= ${now}::timestamptz
    ORDER BY expires_at LIMIT ${limit} FOR UPDATE SKIP LOCKED`.execute(tx);
  return result.rows;
}

/** Deletes an archive's chunks; the job stays, as `expired`, so its status still answers. */
export async function expireExport(tx: Database, id: string): Promise<boolean> {
  await tx.deleteFrom('account_export_chunks').where('export_id', '=', id).execute();
  const r = await tx.updateTable('account_exports').set({ status: 'expired' }).where('id', '=', id).where('status', '=', 'done').executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
