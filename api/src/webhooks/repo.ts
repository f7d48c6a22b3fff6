/** SQL for webhooks and their deliveries. The delivery worker's claim lives in workers/. */
import type { ReplayableDeliveryStatus } from '@e2a/sdk/wire';
import { sql, type Updateable } from 'kysely';
import { json, type Database } from '../db/database.js';
import type { WebhooksTable } from '../db/schema.js';
import { webhookReceives } from '../events/outbox.js';

/**
 * The SET list of a replay: pending from attempt 1, due at `at`, and the previous attempts' record
 * cleared. Shared by redeliver and replayDead so the two cannot drift.
 */
const resetToPending = (at: Date) => sql`
  status = 'pending', attempts = 0, next_attempt_at = ${at}::timestamptz, locked_until = NULL,
  last_status = NULL, last_error = NULL, last_latency_ms = NULL, last_response_excerpt = NULL, completed_at = NULL`;

export type WebhookRow = Awaited<ReturnType<WebhooksRepo['get']>> & {};

export interface WebhookFields {
  url: string;
  events: string[];
  agentAddresses: string[];
  conversationIds: string[];
  description: string;
  enabled: boolean;
}

export class WebhooksRepo {
  constructor(private readonly db: Database) {}

  insert(row: { id: string; user_id: string; fields: WebhookFields; secret: Buffer; at: Date }) {
    const { fields: f } = row;
    return this.db
      .insertInto('webhooks')
      .values({
        id: row.id,
        user_id: row.user_id,
        url: f.url,
        events: json(f.events),
        filter_agent_addresses: json(f.agentAddresses),
        filter_conversation_ids: json(f.conversationIds),
        description: f.description,
        enabled: f.enabled,
        secret: row.secret,
        created_at: row.at,
        updated_at: row.at,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  get(userId: string, id: string) {
    return this.db.selectFrom('webhooks').selectAll().where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
  }

  list(userId: string, opts: { limit: number; beforeId?: string | undefined }) {
    let q = this.db.selectFrom('webhooks').selectAll().where('user_id', '=', userId);
    if (opts.beforeId) q = q.where('id', '<', opts.beforeId);
    return q.orderBy('id', 'desc').limit(opts.limit + 1).execute();
  }

  update(id: string, set: Omit<Updateable<WebhooksTable>, 'id' | 'user_id' | 'created_at'> & { updated_at: Date }) {
    return this.db.updateTable('webhooks').set(set).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
  }

  delete(id: string) {
    return this.db.deleteFrom('webhooks').where('id', '=', id).execute();
  }

  deliveries(webhookId: string, opts: { limit: number; beforeId?: string | undefined }) {
    let q = this.db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('events as e', 'e.id', 'd.event_id')
      .select(['d.id', 'd.webhook_id', 'd.event_id', 'e.type as event_type', 'd.status', 'd.attempts', 'd.next_attempt_at', 'd.last_status', 'd.last_error', 'd.last_latency_ms', 'd.last_response_excerpt', 'd.created_at', 'd.completed_at'])
      .where('d.webhook_id', '=', webhookId);
    if (opts.beforeId) q = q.where('d.id', '<', opts.beforeId);
    return q.orderBy('d.id', 'desc').limit(opts.limit + 1).execute();
  }

  /**
   * Replay: (re)creates a pending delivery of `eventId` for every enabled webhook of the user that
   * matches it: the fan-out rule (events/outbox.ts), as the events trigger applies it. A row that
   * exists (succeeded, dead or pending) is reset, so the attempt count and schedule start over.
   */
  redeliver(userId: string, eventId: string, at: Date) {
    return sql<{ id: string; webhook_id: string }>`
      INSERT INTO webhook_deliveries (id, webhook_id, event_id, status, next_attempt_at, created_at)
      SELECT e2a_delivery_id(w.id, e.seq), w.id, e.id, 'pending', ${at}::timestamptz, ${at}::timestamptz
      FROM events e JOIN webhooks w ON ${webhookReceives('w', 'e')}
      WHERE e.id = ${eventId} AND e.user_id = ${userId}
      ON CONFLICT (webhook_id, event_id) DO UPDATE SET ${resetToPending(at)}
      RETURNING id, webhook_id`.execute(this.db).then((r) => r.rows);
  }

  /**
   * Puts every delivery of the webhook in `status` (dead) back in the queue from attempt 1, with the
   * reset redeliver applies; one statement, whatever the count. Returns how many were requeued.
   */
  async replay(webhookId: string, status: ReplayableDeliveryStatus, at: Date): Promise<number> {
    const { rows } = await sql<{ replayed: string | number }>`
      WITH replayed AS (
        UPDATE webhook_deliveries SET ${resetToPending(at)}
        WHERE webhook_id = ${webhookId} AND status = ${status}
        RETURNING 1)
      SELECT count(*) AS replayed FROM replayed`.execute(this.db);
    return Number(rows[0]?.replayed ?? 0);
  }
}
