/**
 * The events a label change writes (docs/LABELS.md), appended through the outbox (events/outbox.ts)
 * in the transaction that makes the change:
 *
 *   email.labels_changed          a message's labels; the message's metadata as every email.* event
 *                                 has it, plus `labels` (after), `labels_added`, `labels_removed`.
 *                                 On the agent's own feeds too: it is about mail its mailbox shows.
 *   conversation.labels_changed   a conversation's; account-level (webhooks, account keys' feed),
 *                                 like every event that is not about one message.
 *
 * Each change is a fact of its own (labelling a message twice is two events), so an id hashes a key
 * drawn for the change with what it is about; the append commits with the change or not at all.
 */
import type { MessageEventData } from '@e2a/sdk/wire';
import { messageEvent, type EventDraft, type MessageFacts } from '../events/outbox.js';
import { eventId, randomToken } from '../ids.js';

export interface LabelChange {
  /** The labels after the change, as the object shows them (system labels first). */
  labels: string[];
  added: string[];
  removed: string[];
}

/** A key for one change; the events of a change share it. */
export function newChangeKey(): string {
  return randomToken(12);
}

export function messageLabelsChanged(key: string, m: MessageFacts, change: LabelChange): EventDraft {
  const data = messageEvent('email.labels_changed', m).data as MessageEventData;
  return {
    id: eventId(`${m.id}\n${key}`, 'email.labels_changed'),
    type: 'email.labels_changed',
    about: m.id,
    data: { ...data, labels: change.labels, labels_added: change.added, labels_removed: change.removed },
  };
}

export function conversationLabelsChanged(key: string, c: { id: string; agentAddress: string; subject: string | null }, change: LabelChange): EventDraft {
  return {
    id: eventId(`${c.id}\n${key}`, 'conversation.labels_changed'),
    type: 'conversation.labels_changed',
    about: c.id,
    data: { conversation_id: c.id, agent_address: c.agentAddress, subject: c.subject, labels: change.labels, labels_added: change.added, labels_removed: change.removed },
  };
}
