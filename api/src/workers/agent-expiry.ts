/**
 * The agent-expiry sweeper (docs/EPHEMERAL.md). Two passes per sweep, each batch one transaction:
 *
 *   - agents expiring within `noticeLeadMs`: emit agent.expiring and mark the agent notified;
 *   - agents past their expires_at: emit agent.expired and delete the agent at once, without the
 *     grace period of DELETE /v1/agents/{address} (agents/repo.ts deleteAgent: its messages, held mail under
 *     review included, its conversations, keys and webhooks' agent filter targets; listeners on
 *     every replica are told through the revocation notice at commit).
 *
 * Safe across replicas: each batch is claimed with FOR UPDATE SKIP LOCKED and the writes are
 * conditional, and both events have deterministic ids (agent id, expiry and type), so a second
 * worker, or this one running twice, emits nothing new. Both events are account-level
 * (agent_id NULL): they reach account keys and webhooks, never the agent's own feeds, and they
 * outlive the agent whose rows they would otherwise cascade with.
 *
 * Expiry is already in force before this runs: RCPT, API keys, the API and WebSocket listeners
 * check expires_at against the clock themselves. This worker only tells, and cleans up.
 */
import type { AgentEventData, AgentEventType } from '@e2a/sdk/wire';
import type { Logger } from 'pino';
import { agentsToNotify, deleteAgent, expiredAgents, markNotified, type ExpiringAgent } from '../agents/repo.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { appendEvents, type EventDraft } from '../events/outbox.js';
import { eventId } from '../ids.js';
import { drainInBatches, Sweeper } from './sweeper.js';

export interface AgentExpiryDeps {
  db: Database;
  clock: Clock;
  logger: Pick<Logger, 'info' | 'error'>;
  pollIntervalMs: number;
  /** agent.expiring goes out this long before expires_at (`agents.expiring_notice_minutes`). */
  noticeLeadMs: number;
  /** Agents handled per transaction. */
  batchSize?: number;
}

/** One event per agent, expiry and type: the id hashes all three, so an extended agent is told again. */
function agentEvent(type: AgentEventType, agent: ExpiringAgent): EventDraft {
  const expiresAt = new Date(agent.expires_at).toISOString();
  const data: AgentEventData = { agent_id: agent.id, agent_address: agent.address, expires_at: expiresAt };
  return { id: eventId(`${agent.id}\n${expiresAt}`, type), type, data, about: agent.id };
}

export class AgentExpiryWorker extends Sweeper {
  constructor(private readonly deps: AgentExpiryDeps) {
    super({ logger: deps.logger, pollIntervalMs: deps.pollIntervalMs, name: 'agent expiry' });
  }

  /** Notifies and deletes every agent due by now; returns how many of each this call handled. */
  async sweepOnce(): Promise<{ notified: number; expired: number }> {
    const batches = { ...this.deps, batchSize: this.deps.batchSize ?? 50 };
    const notified = await drainInBatches(batches, (tx, now, limit) => agentsToNotify(tx, now, new Date(now.getTime() + this.deps.noticeLeadMs), limit), async (tx, agent, now) => {
      await markNotified(tx, agent.id, now);
      await appendEvents(tx, [agentEvent('agent.expiring', agent)], { userId: agent.user_id, agentId: null, at: now });
      return true;
    });
    const expired = await drainInBatches(batches, expiredAgents, async (tx, agent, now) => {
      // The event first: deleting the agent must not take it along (agent_id NULL, so it does not).
      await appendEvents(tx, [agentEvent('agent.expired', agent)], { userId: agent.user_id, agentId: null, at: now });
      return deleteAgent(tx, agent.id, 'expired');
    });
    return { notified, expired };
  }

  protected async sweep(): Promise<void> {
    const { notified, expired } = await this.sweepOnce();
    if (notified > 0 || expired > 0) this.deps.logger.info({ notified, expired }, 'ephemeral agents notified and deleted');
  }
}
