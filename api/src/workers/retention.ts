/**
 * The retention worker (docs/RETENTION.md). Two passes per sweep, each batch one transaction:
 *
 *   - messages past their retention period (the agent's, or its account's) go to the trash, with
 *     an email.deleted (trashed, by retention) event each, and their conversations recounted; mail
 *     held for review, or still queued or scheduled for sending, is left until that is settled;
 *   - messages in the trash longer than retention.trash_days are purged: their rows, their labels,
 *     and with the last copy of each the blob (raw message, bodies) and its attachments (the
 *     release trigger, migrations/0004), then conversations left empty; an email.deleted (purged)
 *     event each.
 *
 * Safe across replicas: each batch is claimed with FOR UPDATE SKIP LOCKED, the writes are
 * conditional (trash only what is not trashed, purge only what is still due), and event ids are
 * deterministic, so two workers, or one running twice, never act on a message twice.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { deletionEvent } from '../retention/deletion-events.js';
import { appendDeletionEvents, dropEmptyConversations, dueForPurge, dueForRetention, markTrashed, purgeMessages, recountConversations } from '../retention/repo.js';
import { drainBatches, Sweeper } from './sweeper.js';

const DAY_MS = 86_400_000;

export interface RetentionDeps {
  db: Database;
  clock: Clock;
  logger: Pick<Logger, 'info' | 'error'>;
  pollIntervalMs: number;
  /** retention.trash_days: how long a trashed message can be restored before the purge. */
  trashDays: number;
  /** Messages trashed or purged per transaction (retention.batch_size). */
  batchSize: number;
}

export class RetentionWorker extends Sweeper {
  constructor(private readonly deps: RetentionDeps) {
    super({ logger: deps.logger, pollIntervalMs: deps.pollIntervalMs, name: 'retention' });
  }

  /** Trashes what is past its retention and purges what is past its restore period; returns how many of each. */
  async sweepOnce(): Promise<{ trashed: number; purged: number }> {
    const batches = { db: this.deps.db, clock: this.deps.clock, batchSize: this.deps.batchSize };
    const trashMs = this.deps.trashDays * DAY_MS;
    const trashed = await drainBatches(batches, dueForRetention, async (tx, rows, now) => {
      const ids = await markTrashed(tx, rows.map((r) => r.id), now);
      const done = new Set(ids);
      const moved = rows.filter((r) => done.has(r.id));
      await recountConversations(tx, moved.map((r) => ({ id: r.conversation_id, agentId: r.agent_id })), now);
      const restorableUntil = new Date(now.getTime() + trashMs);
      await appendDeletionEvents(tx, ids, moved.map((r) => deletionEvent(r, 'trashed', { deletedAt: now, by: 'retention', restorableUntil })), now);
      return ids.length;
    });
    const purged = await drainBatches(
      batches,
      (tx, now, limit) => dueForPurge(tx, new Date(now.getTime() - trashMs), limit),
      async (tx, rows, now) => {
        // The events first: they read the rows the purge deletes.
        await appendDeletionEvents(tx, rows.map((r) => r.id), rows.map((r) => deletionEvent(r, 'purged', { deletedAt: now })), now);
        const ids = await purgeMessages(tx, rows.map((r) => r.id), new Date(now.getTime() - trashMs));
        await dropEmptyConversations(tx, rows.map((r) => r.conversation_id));
        return ids.length;
      },
    );
    return { trashed, purged };
  }

  protected async sweep(): Promise<void> {
    const { trashed, purged } = await this.sweepOnce();
    if (trashed > 0 || purged > 0) this.deps.logger.info({ trashed, purged }, 'messages past their retention trashed, trash past its restore period purged');
  }
}
