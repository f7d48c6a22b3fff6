/**
 * The trash (docs/RETENTION.md): DELETE …/messages/{id} moves a message there, POST …/restore takes
 * it back within retention.trash_days, and the retention worker (workers/retention.ts) purges it
 * after that. A trashed message has left the mailbox (messages/visibility.ts): no listing,
 * conversation count, search, reply or forward sees it; a read by id still does, and says
 * `deleted_at`.
 *
 * Both requests lock the message for their transaction, so they serialise with each other and with
 * a purge: a restore that loses the race to the purge finds no message (404), one that wins keeps it.
 * Deleting is idempotent (a trashed message stays as it was trashed), and so is restoring a message
 * that is not in the trash: each tells its event (email.deleted, email.restored) once.
 */
import type { Message } from '@e2a/sdk/wire';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { AppError, notFound } from '../errors.js';
import type { MessagesService } from '../messages/service.js';
import { deletionEvent, restoredEvent } from './deletion-events.js';
import { appendDeletionEvents, lockForDeletion, markRestored, markTrashed, recountConversations, UNSETTLED_STATUSES } from './repo.js';

const DAY_MS = 86_400_000;

type Agent = { id: string; address: string; user_id: string };

export class TrashService {
  constructor(private readonly deps: { db: Database; clock: Clock; messages: Pick<MessagesService, 'get'>; trashDays: number }) {}

  /** Moves the message to the trash, with its email.deleted (trashed) event. */
  async trash(agent: Agent, id: string): Promise<void> {
    await this.deps.db.transaction().execute(async (tx) => {
      const now = this.deps.clock.now();
      const row = await lockForDeletion(tx, agent.id, id, now);
      if (!row) throw notFound(`message ${id}`);
      if (row.deleted_at) return;
      if ((UNSETTLED_STATUSES as readonly string[]).includes(row.status)) {
        const cancel = row.status === 'scheduled' ? ', or cancel it first (POST …/messages/{id}/cancel)' : '';
        throw new AppError('conflict', `message ${id} is ${row.status}: it can go to the trash once it has been sent or has failed${cancel}`);
      }
      await markTrashed(tx, [id], now);
      await recountConversations(tx, [{ id: row.conversation_id, agentId: agent.id }], now);
      const restorableUntil = new Date(now.getTime() + this.deps.trashDays * DAY_MS);
      await appendDeletionEvents(tx, [id], [deletionEvent(row, 'trashed', { deletedAt: now, by: 'api', restorableUntil })], now);
    });
  }

  /** Takes the message out of the trash, with its email.restored event; returns it as it now is. */
  async restore(agent: Agent, id: string): Promise<Message> {
    await this.deps.db.transaction().execute(async (tx) => {
      const now = this.deps.clock.now();
      const row = await lockForDeletion(tx, agent.id, id, now);
      if (!row) throw notFound(`message ${id}`);
      if (!row.deleted_at) return;
      const since = new Date(now.getTime() - this.deps.trashDays * DAY_MS);
      if (!(await markRestored(tx, id, since))) {
        const ended = new Date(new Date(row.deleted_at).getTime() + this.deps.trashDays * DAY_MS).toISOString();
        throw new AppError('gone', `message ${id} went to the trash at ${new Date(row.deleted_at).toISOString()} and could be restored until ${ended} (retention.trash_days is ${this.deps.trashDays}); it is being purged`);
      }
      await recountConversations(tx, [{ id: row.conversation_id, agentId: agent.id }], now);
      await appendDeletionEvents(tx, [id], [restoredEvent(row, new Date(row.deleted_at))], now);
    });
    return this.deps.messages.get(agent, id);
  }
}
