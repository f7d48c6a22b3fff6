/**
 * The delivery queue in SQL: claim due deliveries, record outcomes. The claim is ONE statement,
 * `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n) RETURNING …`: safe with many
 * replicas on PostgreSQL (a row locked by one claimer is skipped by the others, and once claimed its
 * locked_until keeps it out of everyone's next select), and correct on PGlite, which has one
 * session. A claim also counts the attempt, so an attempt cut off by a crash still counts.
 */
import { sql } from 'kysely';
import type { Database } from '../db/database.js';

export interface ClaimedDelivery {
  id: string;
  webhook_id: string;
  event_id: string;
  /** Including the attempt this claim is for. */
  attempts: number;
  url: string;
  secret: Uint8Array;
  previous_secret: Uint8Array | null;
  previous_secret_expires_at: Date | null;
  event_type: string;
  schema_version: number;
  event_created_at: Date;
  data: Record<string, unknown>;
}

export async function claimDue(db: Database, opts: { now: Date; limit: number; lockedUntil: Date }): Promise<ClaimedDelivery[]> {
  const { rows } = await sql<ClaimedDelivery>`
    UPDATE webhook_deliveries AS d
       SET locked_until = ${opts.lockedUntil}::timestamptz, attempts = d.attempts + 1
      FROM webhooks AS w, events AS e
     WHERE d.id IN (
             SELECT q.id FROM webhook_deliveries AS q JOIN webhooks AS qw ON qw.id = q.webhook_id
              WHERE q.status = 'pending'
                AND q.next_attempt_at <= ${opts.now}::timestamptz
                AND (q.locked_until IS NULL OR q.locked_until <= ${opts.now}::timestamptz)
                AND qw.enabled
              ORDER BY q.next_attempt_at
              LIMIT ${opts.limit}
                FOR UPDATE OF q SKIP LOCKED)
       AND w.id = d.webhook_id
       AND e.id = d.event_id
    RETURNING d.id, d.webhook_id, d.event_id, d.attempts, w.url, w.secret, w.previous_secret, w.previous_secret_expires_at,
              e.type AS event_type, e.schema_version, e.created_at AS event_created_at, e.data`.execute(db);
  return rows;
}

/** What the last attempt saw of the receiver, recorded with its outcome. */
export interface AttemptResponse {
  latencyMs: number | null;
  excerpt: string | null;
}

/** One success to record. */
export interface Success extends AttemptResponse {
  job: Pick<ClaimedDelivery, 'id' | 'webhook_id'>;
  at: Date;
  status: number;
}

/**
 * Records successes and clears their webhooks' failure clocks, any number in one statement (the
 * worker records the successes of a burst together: workers/webhook-delivery.ts). A webhook row is
 * written only when that changes something (it was failing, or last_success_at is over a second
 * old): every delivery of a busy webhook would otherwise queue on the same row lock.
 */
export async function markSucceeded(db: Database, successes: readonly Success[]): Promise<void> {
  if (successes.length === 0) return;
  const col = <T>(f: (s: Success) => T) => successes.map(f);
  await sql`
    WITH r AS (
      SELECT * FROM unnest(${col((s) => s.job.id)}::text[], ${col((s) => s.job.webhook_id)}::text[], ${col((s) => s.at)}::timestamptz[],
                           ${col((s) => s.status)}::integer[], ${col((s) => (s.latencyMs === null ? null : Math.round(s.latencyMs)))}::integer[], ${col((s) => s.excerpt)}::text[])
        AS r(id, webhook_id, at, status, latency_ms, excerpt)
    ), d AS (
      UPDATE webhook_deliveries AS d
         SET status = 'succeeded', completed_at = r.at, locked_until = NULL, last_status = r.status, last_error = NULL,
             last_latency_ms = r.latency_ms, last_response_excerpt = r.excerpt
        FROM r
       WHERE d.id = r.id AND d.status = 'pending'
      RETURNING d.id
    )
    UPDATE webhooks AS w
       SET last_success_at = x.at, failing_since = NULL
      FROM (SELECT webhook_id, max(at) AS at FROM r GROUP BY webhook_id) AS x
     WHERE w.id = x.webhook_id
       AND (w.failing_since IS NOT NULL OR w.last_success_at IS NULL OR w.last_success_at < x.at - interval '1 second')`.execute(db);
}

/**
 * Records a failed attempt: back to pending with the next time, or dead (`nextAttemptAt` null).
 * Only the claim's owner writes (attempts still equal): a claimer whose lease lapsed and was retaken
 * must not overwrite the newer attempt's state. Then the webhook's failure clock: failing_since is
 * set on the first failure after a success, and a webhook failing since before
 * `disableIfFailingSince` is disabled with the reason. Both writes are one statement, as in
 * markSucceeded (a data-modifying CTE runs whether or not the outer statement reads it).
 */
export async function markFailed(
  db: Database,
  job: ClaimedDelivery,
  r: { at: Date; status: number | null; error: string; nextAttemptAt: Date | null; disableIfFailingSince: Date; disabledReason: string } & AttemptResponse,
): Promise<{ disabled: boolean }> {
  const disable = sql<boolean>`(enabled AND coalesce(failing_since, ${r.at}::timestamptz) <= ${r.disableIfFailingSince}::timestamptz)`;
  const row = await db
    .with('d', (qb) =>
      qb
        .updateTable('webhook_deliveries')
        .set({
          status: r.nextAttemptAt ? 'pending' : 'dead',
          ...(r.nextAttemptAt ? { next_attempt_at: r.nextAttemptAt } : { completed_at: r.at }),
          locked_until: null,
          last_status: r.status,
          last_error: r.error,
          last_latency_ms: r.latencyMs,
          last_response_excerpt: r.excerpt,
        })
        .where('id', '=', job.id)
        .where('status', '=', 'pending')
        .where('attempts', '=', job.attempts)
        .returning('id'),
    )
    .updateTable('webhooks')
    .set({
      failing_since: sql`coalesce(failing_since, ${r.at}::timestamptz)`,
      disabled_reason: sql`CASE WHEN ${disable} THEN ${r.disabledReason} ELSE disabled_reason END`,
      updated_at: sql`CASE WHEN ${disable} THEN ${r.at}::timestamptz ELSE updated_at END`,
      enabled: sql`enabled AND NOT ${disable}`,
    })
    .where('id', '=', job.webhook_id)
    .returning([sql<boolean>`NOT enabled AND disabled_reason IS NOT NULL AND updated_at = ${r.at}::timestamptz`.as('disabled')])
    .executeTakeFirst();
  return { disabled: row?.disabled === true };
}

/** Pending deliveries counted at most this far: a scrape stays one bounded index read however long the queue. */
export const QUEUE_DEPTH_CAP = 100_000;

/**
 * The queue for /metrics: pending deliveries (up to QUEUE_DEPTH_CAP) and the age of the oldest one,
 * read through the partial index on pending rows.
 */
export async function queueStats(db: Database, now: Date): Promise<{ depth: number; oldestAgeSeconds: number }> {
  const { rows } = await sql<{ depth: string | number; oldest: Date | string | null }>`
    select count(*) as depth, min(created_at) as oldest
    from (select created_at from webhook_deliveries where status = 'pending' limit ${QUEUE_DEPTH_CAP}) pending`.execute(db);
  const row = rows[0];
  const oldest = row?.oldest ? new Date(row.oldest).getTime() : null;
  return { depth: Number(row?.depth ?? 0), oldestAgeSeconds: oldest === null ? 0 : Math.max(0, (now.getTime() - oldest) / 1000) };
}
