/**
 * POST /v1/agents/{address}/messages/{id}/cancel: a scheduled message becomes `cancelled` with its
 * email.cancelled event, in one transaction, or nothing happens. Only `scheduled` can be cancelled:
 * once the worker's claim has made the message `queued` it is being sent (outbound/schedule.ts).
 */
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { AppError, notFound } from '../errors.js';
import { appendEvents, messageEvent } from '../events/outbox.js';
import { uniqueRecipients } from './recipients.js';
import { OutboundRepo } from './repo.js';

export async function cancelScheduled(db: Database, clock: Clock, agent: { id: string; address: string; user_id: string }, id: string): Promise<void> {
  const at = clock.now();
  const cancelled = await db.transaction().execute(async (tx) => {
    const row = await OutboundRepo.cancel(tx, agent.id, id, at);
    if (!row) return false;
    const to = uniqueRecipients(row.to_addresses, row.cc_addresses, row.bcc_addresses);
    // The sender is the agent the API key authenticated: verified.
    const facts = { id: row.id, agentAddress: agent.address, conversationId: row.conversation_id, direction: 'outbound' as const, from: agent.address, to, subject: row.subject, verified: true, priority: row.priority };
    await appendEvents(tx, [messageEvent('email.cancelled', facts)], { userId: agent.user_id, agentId: agent.id, at });
    return true;
  });
  if (cancelled) return;
  // Nothing matched: an id the mailbox does not show answers as an unknown one (messages/visibility.ts).
  const shown = await new OutboundRepo(db, clock).shownStatus(agent.id, id);
  if (!shown) throw notFound(`message ${id}`);
  // A repeated cancel (a retry after a lost answer) answers as the first did.
  if (shown.status === 'cancelled') return;
  throw new AppError('conflict', `message ${id} is ${shown.status}: only a scheduled message can be cancelled, and only before the outbound worker takes it at its send_at`);
}
