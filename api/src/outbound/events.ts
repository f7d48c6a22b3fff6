/**
 * The events about an outbound message (email.flagged, email.blocked, email.sent, email.failed):
 * one MessageEventData shape, whoever writes them (the API on acceptance, the worker, a bounce).
 */
import type { EventType, MessageEventData, MessagePriority } from '@e2a/sdk/wire';
import { eventId } from '../ids.js';
import type { NewEvent } from './repo.js';

export interface OutboundFacts {
  id: string;
  agentAddress: string;
  conversationId: string;
  to: string[];
  subject: string | null;
  priority: MessagePriority;
}

export function outboundEvent(type: EventType, m: OutboundFacts, reason: string | null): NewEvent {
  const data: MessageEventData = {
    message_id: m.id,
    agent_address: m.agentAddress,
    conversation_id: m.conversationId,
    direction: 'outbound',
    from: m.agentAddress,
    to: m.to,
    subject: m.subject,
    // The sender is the agent the API key authenticated.
    verified: true,
    priority: m.priority,
    reason,
  };
  return { id: eventId(m.id, type), type, data };
}
