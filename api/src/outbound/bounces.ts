/**
 * Bounces: a DSN (RFC 3464) that arrives for an agent and reports a failed recipient of a message
 * that agent sent marks that message `bounced` and emits email.failed with reason "bounced: …".
 * The original is found by the Message-ID in the returned headers (or In-Reply-To), among THIS
 * agent's outbound messages only, so a forged DSN can at most mark the recipient's own mail.
 * The DSN itself is stored as ordinary inbound mail by the caller; this runs in its transaction.
 */
import { describeDsn, parseDsn, type ParsedMessage } from '@e2a/relay';
import type { Database } from '../db/database.js';
import { json } from '../db/database.js';
import { appendEvents, messageEvent } from '../events/outbox.js';

export interface BounceHook {
  onInbound(db: Database, input: { agentId: string; raw: Buffer; parsed: ParsedMessage; at: Date }): Promise<boolean>;
}

export const bounceDetector: BounceHook = {
  async onInbound(db, { agentId, raw, parsed, at }) {
    const dsn = parseDsn(raw, parsed);
    if (!dsn?.originalMessageId) return false;
    // A "delayed" report (RFC 3464 §2.3.3) is news, not a failure: the remote MTA is still trying.
    if (!dsn.recipients.some((r) => r.action === 'failed')) return false;
    const original = await db
      .selectFrom('messages as m')
      .innerJoin('agents as a', 'a.id', 'm.agent_id')
      .select(['m.id', 'm.conversation_id', 'm.subject', 'm.priority', 'm.delivery', 'a.user_id', 'a.address'])
      .where('m.agent_id', '=', agentId)
      .where('m.direction', '=', 'outbound')
      .where('m.message_id_header', '=', dsn.originalMessageId)
      .where('m.status', '=', 'sent')
      .executeTakeFirst();
    if (!original) return false;
    const reason = `bounced: ${describeDsn(dsn)}`.slice(0, 1000);
    const bounced = new Map(dsn.recipients.filter((r) => r.action === 'failed' && r.recipient).map((r) => [r.recipient!.toLowerCase(), r]));
    const delivery = (original.delivery as Array<{ address: string; status: string; response: string | null }>).map((d) => {
      const report = bounced.get(d.address.toLowerCase());
      return report ? { ...d, status: 'bounced', response: [report.status, report.diagnostic].filter(Boolean).join(' ') } : d;
    });
    const updated = await db
      .updateTable('messages')
      .set({ status: 'bounced', status_reason: reason, delivery: json(delivery) })
      .where('id', '=', original.id)
      .where('status', '=', 'sent')
      .returning('id')
      .executeTakeFirst();
    if (!updated) return false;
    const facts = {
      id: original.id,
      agentAddress: original.address,
      conversationId: original.conversation_id,
      direction: 'outbound' as const,
      from: original.address,
      to: delivery.map((d) => d.address),
      subject: original.subject,
      verified: true,
      priority: original.priority,
    };
    await appendEvents(db, [messageEvent('email.failed', facts, { reason })], { userId: original.user_id, agentId, at });
    return true;
  },
};
