/**
 * The SQL behind WebSocket delivery. The events table is the source of truth: listeners are fed from
 * it by sequence number, and acknowledgement is a column on it, so every replica sees the same state.
 */
import { sql } from 'kysely';
import type { EmailEvent } from '@e2a/sdk/wire';
import type { Database } from '../db/database.js';
import { toWireEvent } from '../events/envelope.js';
import type { EventRow as StoredEvent } from '../events/repo.js';

export interface EventRow {
  seq: number;
  event: EmailEvent;
}

function toRow(r: Pick<StoredEvent, 'seq' | 'id' | 'type' | 'schema_version' | 'data' | 'created_at'>): EventRow {
  // int8: a number from pg (parser set in db/database.ts), possibly a string or bigint elsewhere.
  return { seq: Number(r.seq), event: toWireEvent(r) as EmailEvent };
}

const COLUMNS = ['seq', 'id', 'type', 'schema_version', 'data', 'created_at'] as const;

export class RealtimeRepo {
  constructor(private readonly db: Database) {}

  /** The highest sequence number of the agent's events (0 if none): where live delivery starts. */
  async maxSeq(agentId: string): Promise<number> {
    const row = await this.db
      .selectFrom('events')
      .select((eb) => eb.fn.max('seq').as('max'))
      .where('agent_id', '=', agentId)
      .executeTakeFirst();
    return Number(row?.max ?? 0);
  }

  /**
   * Replay: unacknowledged events in (after, upTo], oldest first; with `urgentOnly`, only those about
   * urgent mail. Served by events_agent_unacked, and events_agent_unacked_urgent (migration 0011),
   * whose predicate the urgent filter repeats as written, a literal, so it matches whatever the plan.
   */
  async unacked(agentId: string, after: number, upTo: number, limit: number, urgentOnly = false): Promise<EventRow[]> {
    let query = this.db
      .selectFrom('events')
      .select(COLUMNS)
      .where('agent_id', '=', agentId)
      .where('acked_at', 'is', null)
      .where('seq', '>', String(after))
      .where('seq', '<=', String(upTo));
    if (urgentOnly) query = query.where(sql<boolean>`(data->>'priority') = 'urgent'`);
    const rows = await query.orderBy('seq').limit(limit).execute();
    return rows.map(toRow);
  }

  /**
   * Live: every event after `after` (acknowledged or not: a listener that is connected sees each
   * event even if another listener acked it first), plus specific late sequence numbers.
   */
  async since(agentId: string, after: number, late: number[], limit: number): Promise<EventRow[]> {
    const rows = await this.db
      .selectFrom('events')
      .select(COLUMNS)
      .where('agent_id', '=', agentId)
      .where((eb) => {
        const newer = eb('seq', '>', String(after));
        return late.length === 0 ? newer : eb.or([newer, eb('seq', 'in', late.map(String))]);
      })
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map(toRow);
  }

  /**
   * The poll: of the given agents, which have an event after their cursor? One statement for every
   * agent with listeners, one index probe (events_agent_seq) per agent, whatever the listener count.
   */
  async agentsWithNewEvents(cursors: Map<string, number>): Promise<string[]> {
    if (cursors.size === 0) return [];
    const ids = [...cursors.keys()];
    const seqs = ids.map((id) => cursors.get(id)!);
    const result = await sql<{ agent_id: string }>`
      SELECT c.agent_id FROM unnest(${ids}::text[], ${seqs}::bigint[]) AS c(agent_id, seq)
      WHERE EXISTS (SELECT 1 FROM events e WHERE e.agent_id = c.agent_id AND e.seq > c.seq)`.execute(this.db);
    return result.rows.map((r) => r.agent_id);
  }

  /** The sequence number of one of the agent's events, or null if it is not the agent's. */
  async seqOf(agentId: string, eventId: string): Promise<number | null> {
    const row = await this.db.selectFrom('events').select('seq').where('id', '=', eventId).where('agent_id', '=', agentId).executeTakeFirst();
    return row ? Number(row.seq) : null;
  }

  /**
   * Acknowledge for every listener of the agent. True if the event is the agent's (already acked
   * counts: acks are idempotent, a reconnecting client may repeat one); false if unknown or foreign.
   */
  async ack(agentId: string, eventId: string, at: Date): Promise<boolean> {
    const updated = await this.db
      .updateTable('events')
      .set({ acked_at: at })
      .where('id', '=', eventId)
      .where('agent_id', '=', agentId)
      .where('acked_at', 'is', null)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) > 0) return true;
    return (await this.seqOf(agentId, eventId)) !== null;
  }

  /**
   * The periodic credential re-check (credential-watch.ts): of these keys (and dashboard sessions,
   * whose ids stand in for key ids), those revoked, expired or gone;
   * of these agents, those gone, those expired by `now` (docs/EPHEMERAL.md) and those scheduled for
   * deletion (docs/DATA.md). One statement for every open connection in the process, one
   * primary-key probe per distinct key and agent.
   */
  async invalidAmong(keyIds: string[], agentIds: string[], now: Date): Promise<{ keyIds: string[]; agentIds: string[]; expiredAgentIds: string[]; erasingAgentIds: string[] }> {
    if (keyIds.length === 0 && agentIds.length === 0) return { keyIds: [], agentIds: [], expiredAgentIds: [], erasingAgentIds: [] };
    const result = await sql<{ kind: 'key' | 'agent' | 'expired' | 'erasing'; id: string }>`
      SELECT 'key' AS kind, c.id FROM unnest(${keyIds}::text[]) AS c(id)
        WHERE NOT EXISTS (SELECT 1 FROM api_keys k WHERE k.id = c.id AND k.revoked_at IS NULL)
          AND NOT EXISTS (SELECT 1 FROM dashboard_sessions s WHERE s.id = c.id AND s.revoked_at IS NULL AND s.expires_at > now())
      UNION ALL
      SELECT 'agent' AS kind, c.id FROM unnest(${agentIds}::text[]) AS c(id)
        WHERE NOT EXISTS (SELECT 1 FROM agents a WHERE a.id = c.id)
      UNION ALL
      SELECT 'expired' AS kind, a.id FROM agents a
        WHERE a.id = ANY(${agentIds}::text[]) AND a.expires_at <= ${now}::timestamptz
      UNION ALL
      SELECT 'erasing' AS kind, a.id FROM agents a
        WHERE a.id = ANY(${agentIds}::text[]) AND a.erasure_id IS NOT NULL`.execute(this.db);
    return {
      keyIds: result.rows.filter((r) => r.kind === 'key').map((r) => r.id),
      agentIds: result.rows.filter((r) => r.kind === 'agent').map((r) => r.id),
      expiredAgentIds: result.rows.filter((r) => r.kind === 'expired').map((r) => r.id),
      erasingAgentIds: result.rows.filter((r) => r.kind === 'erasing').map((r) => r.id),
    };
  }
}
