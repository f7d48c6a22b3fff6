/**
 * The one place the SMTP edge turns a spent budget into a reply (DESIGN §9). Rate limits are always
 * temporary: the sender keeps the message and retries (RFC 5321 §4.2.5), never a 5xx for what a
 * later attempt may deliver, and never a 250 for what was not stored.
 */
import type { BudgetVerdict, InboundBudget, Recipient } from '../ports.js';
import type { SmtpReply } from '../smtp-reply.js';
import { REPLY, clientRateLimited } from '../smtp-reply.js';

/** An accepted recipient's cost; null when within budget, else the reply for this RCPT. */
export async function chargeRecipient(
  budget: InboundBudget,
  step: { client: string; mailFrom: string; recipient: Recipient; firstOfTransaction: boolean },
): Promise<SmtpReply | null> {
  return toReply(await budget.charge({ kind: 'recipient', ...step }));
}

/** A refused recipient's cost; null when within budget, else 421 (the session ends). */
export async function chargeRefusal(budget: InboundBudget, client: string): Promise<SmtpReply | null> {
  return toReply(await budget.charge({ kind: 'refusal', client }));
}

function toReply(verdict: BudgetVerdict): SmtpReply | null {
  if (verdict.ok) return null;
  switch (verdict.limit) {
    // Only this mailbox is over budget for this sender: the other recipients of the transaction
    // still go through, this one is retried later.
    case 'sender_recipient':
      return REPLY.mailboxReceivingTooFast;
    case 'client_refusals':
      return REPLY.tooManyRefusedRecipients;
    case 'client_transactions':
    case 'client_messages':
      return clientRateLimited(verdict.retryAfterSeconds);
  }
}
