/**
 * Reading events and replaying them to webhooks. Visibility follows agents: an account key sees
 * its user's events, an agent key only its agent's; anything else is not found. Replaying is an
 * account action (it reaches the account's webhooks), so agent keys get 403.
 */
import type { Event, EventPage, ListEventsQuery, RedeliverResult } from '@e2a/sdk/wire';
import type { Principal } from '../accounts/principal.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { toPage } from '../paging.js';
import { AppError, notFound } from '../errors.js';
import { WebhooksRepo } from '../webhooks/repo.js';
import { requireAccount } from '../webhooks/service.js';
import { toWireEvent } from './envelope.js';
import { EventsRepo, type EventRow } from './repo.js';

/** Events are paged by their sequence number (their ids are hashes, not time-ordered). */
function encodeSeqCursor(seq: number): string {
  return Buffer.from(`seq:${seq}`, 'utf8').toString('base64url');
}

function decodeSeqCursor(cursor: string): number {
  const m = /^seq:(\d{1,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new AppError('validation_error', 'cursor is not one this API issued; pass next_cursor from the previous page unchanged');
  return Number(m[1]);
}

export class EventsService {
  private readonly repo: EventsRepo;
  private readonly webhooks: WebhooksRepo;

  constructor(private readonly deps: { db: Database; clock: Clock; /** Wakes this process's delivery worker. */ onRequeued: () => void }) {
    this.repo = new EventsRepo(deps.db);
    this.webhooks = new WebhooksRepo(deps.db);
  }

  async list(principal: Principal, query: ListEventsQuery): Promise<EventPage> {
    const rows = await this.repo.list(
      { userId: principal.userId, agentId: principal.scope === 'agent' ? principal.agentId : null },
      { limit: query.limit, beforeSeq: query.cursor ? decodeSeqCursor(query.cursor) : undefined, type: query.type, agentAddress: query.agent_address, since: query.since },
    );
    return toPage(rows, query.limit, toWireEvent, (row) => encodeSeqCursor(Number(row.seq)));
  }

  async get(principal: Principal, id: string): Promise<Event> {
    return toWireEvent(await this.find(principal, id));
  }

  /** Replays the event (same id) to the caller's matching enabled webhooks, from attempt 1. */
  async redeliver(principal: Principal, id: string): Promise<RedeliverResult> {
    requireAccount(principal);
    const row = await this.find(principal, id);
    const deliveries = await this.webhooks.redeliver(principal.userId, row.id, this.deps.clock.now());
    if (deliveries.length > 0) this.deps.onRequeued();
    return { event_id: row.id, deliveries: deliveries.map((d) => ({ id: d.id, webhook_id: d.webhook_id })) };
  }

  private async find(principal: Principal, id: string): Promise<EventRow> {
    const row = await this.repo.get(id);
    if (!row || row.user_id !== principal.userId || (principal.scope === 'agent' && row.agent_id !== principal.agentId)) throw notFound(`event ${id}`);
    return row;
  }
}
