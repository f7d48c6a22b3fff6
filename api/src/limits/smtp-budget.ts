/**
 * The relay's InboundBudget over the shared limiter: what each SMTP step costs, against which
 * configured limit. A limit of 0 is off. Counters are per client network (an IPv4 address or an
 * IPv6 /64) and per envelope sender → mailbox pair; the pair is hashed so the counters table holds
 * no addresses.
 */
import type { BudgetLimit, BudgetStep, BudgetVerdict, InboundBudget } from '@e2a/relay';
import { sha256Hex } from '../ids.js';
import type { LimitRule, Limiter } from './limiter.js';

export interface SmtpRateLimits {
  transactionsPerClientPerMinute: number;
  messagesPerClientPerMinute: number;
  messagesPerSenderPerMailboxPerHour: number;
  refusedRecipientsPerClientPerHour: number;
}

export class SmtpBudget implements InboundBudget {
  constructor(private readonly deps: { limiter: Limiter; limits: SmtpRateLimits }) {}

  async charge(step: BudgetStep): Promise<BudgetVerdict> {
    const decision = await this.deps.limiter.consume(this.rules(step));
    if (decision.allowed) return { ok: true };
    return { ok: false, limit: decision.rule as BudgetLimit, retryAfterSeconds: decision.retryAfterSeconds };
  }

  private rules(step: BudgetStep): LimitRule[] {
    const { limits } = this.deps;
    const rule = (name: BudgetLimit, subject: string, limit: number, windowSeconds: number): LimitRule => ({
      name,
      key: `smtp:${name}:${subject}`,
      limit,
      windowSeconds,
    });
    if (step.kind === 'refusal') return [rule('client_refusals', step.client, limits.refusedRecipientsPerClientPerHour, 3600)];
    const rules = [
      rule('client_messages', step.client, limits.messagesPerClientPerMinute, 60),
      rule('sender_recipient', sha256Hex(`${step.mailFrom.toLowerCase()}\n${step.recipient.agentId}`).slice(0, 32), limits.messagesPerSenderPerMailboxPerHour, 3600),
    ];
    // A transaction is counted at its first accepted recipient: one that never names a mailbox costs
    // us nothing to refuse, and counting there keeps the common message at one statement.
    if (step.firstOfTransaction) rules.unshift(rule('client_transactions', step.client, limits.transactionsPerClientPerMinute, 60));
    return rules;
  }
}
