/**
 * SQL for reviews and their magic-link tokens. Every decision is a conditional UPDATE on
 * status = 'pending' (plus the expiry bound), so however many replicas, links, API calls and
 * sweepers race for one review, exactly one of them changes it and the rest see no row.
 */
import { sql, type Selectable } from 'kysely';
import type { Database } from '../db/database.js';
import { json } from '../db/database.js';
import type { ReviewsTable } from '../db/schema.js';
import type { IssuedToken } from './tokens.js';

export type ReviewRow = Selectable<ReviewsTable>;
export type ReviewStatus = ReviewRow['status'];

/** The review with what a reviewer needs to see of its message. */
function withMessage(db: Database) {
  return db
    .selectFrom('reviews as r')
    .innerJoin('agents as a', 'a.id', 'r.agent_id')
    .innerJoin('messages as m', 'm.id', 'r.message_id')
    .selectAll('r')
    .select(['a.address as agent_address', 'm.from_address', 'm.to_addresses', 'm.cc_addresses', 'm.subject', 'm.send_at']);
}
export type ReviewView = Awaited<ReturnType<ReturnType<typeof withMessage>['executeTakeFirstOrThrow']>>;

export async function insertReview(tx: Database, row: Omit<ReviewRow, 'decided_at' | 'decided_by' | 'decision_note' | 'edits' | 'reasons'> & { reasons: string[] }, tokens: IssuedToken[]): Promise<void> {
  await tx
    .insertInto('reviews')
    .values({ ...row, reasons: json(row.reasons), decided_at: null, decided_by: null, decision_note: null, edits: null })
    .execute();
  await tx
    .insertInto('review_tokens')
    .values(tokens.map((t) => ({ token_hash: t.hash, review_id: row.id, action: t.action, expires_at: row.expires_at, used_at: null })))
    .execute();
}

export function listReviews(
  db: Database,
  userId: string,
  q: { limit: number; beforeId?: string | undefined; status?: ReviewStatus | undefined; direction?: 'inbound' | 'outbound' | undefined; agentAddress?: string | undefined },
) {
  let query = withMessage(db).where('r.user_id', '=', userId);
  if (q.status) query = query.where('r.status', '=', q.status);
  if (q.direction) query = query.where('r.direction', '=', q.direction);
  if (q.agentAddress) query = query.where('a.address', '=', q.agentAddress.trim().toLowerCase());
  if (q.beforeId) query = query.where('r.id', '<', q.beforeId);
  return query.orderBy('r.id', 'desc').limit(q.limit + 1).execute();
}

/** The account's pending reviews, counted on the partial index reviews_user_pending (migration 0010). */
export async function countPendingReviews(db: Database, userId: string): Promise<number> {
  const row = await db
    .selectFrom('reviews')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('user_id', '=', userId)
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export function getReview(db: Database, id: string) {
  return withMessage(db).where('r.id', '=', id).executeTakeFirst();
}

/** The token's row and its review, used or not, expired or not: the page explains which. */
export function findToken(db: Database, hash: string) {
  return db
    .selectFrom('review_tokens as t')
    .select(['t.review_id', 't.action', 't.expires_at', 't.used_at'])
    .where('t.token_hash', '=', hash)
    .executeTakeFirst();
}

/** Marks the token used if it is still usable; returns it only to the one caller that did. */
export function consumeToken(tx: Database, hash: string, now: Date) {
  return tx
    .updateTable('review_tokens')
    .set({ used_at: now })
    .where('token_hash', '=', hash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning(['review_id', 'action'])
    .executeTakeFirst();
}

/**
 * Decides a pending review. A human decision needs the hold still open (expires_at > now); an
 * expiry decision needs it lapsed (expires_at <= now). Returns the updated row, or undefined when
 * someone else decided first or the window does not match.
 */
export function decideReview(
  tx: Database,
  id: string,
  d: { status: ReviewStatus; at: Date; by: string; note: string | null; edits: Record<string, unknown> | null; byExpiry: boolean },
) {
  return tx
    .updateTable('reviews')
    .set({ status: d.status, decided_at: d.at, decided_by: d.by, decision_note: d.note, edits: d.edits === null ? null : json(d.edits) })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('expires_at', d.byExpiry ? '<=' : '>', d.at)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Lapsed holds for one sweeper to decide. FOR UPDATE SKIP LOCKED hands concurrent sweepers on
 * PostgreSQL disjoint batches; on PGlite (one session) it is a plain select. The conditional
 * UPDATE in decideReview is what guarantees once-only either way.
 */
export async function lapsedReviews(tx: Database, now: Date, limit: number): Promise<Array<{ id: string; on_expiry: 'approve' | 'reject' }>> {
  const result = await sql<{ id: string; on_expiry: 'approve' | 'reject' }>`
    SELECT id, on_expiry FROM reviews
    WHERE status = 'pending' AND expires_at <= ${now}::timestamptz
    ORDER BY expires_at
    LIMIT ${limit}
    FOR UPDATE SKIP LOCKED`.execute(tx);
  return result.rows;
}
