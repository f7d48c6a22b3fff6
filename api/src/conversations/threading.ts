/**
 * Threading (DESIGN §4): a message joins the conversation of the agent's own message it answers
 * (In-Reply-To first, then References newest-first); otherwise it starts a new conversation.
 * X-E2A-Conversation-Id is honoured only for mail this gateway produced itself (`trustedConversationId`),
 * never from a header an outside sender could write.
 */
import type { Database } from '../db/database.js';
import { pgText } from '../db/database.js';
import { newId } from '../ids.js';

export interface ThreadingInput {
  agentId: string;
  inReplyTo: string | null;
  references: string[];
  subject: string | null;
  trustedConversationId?: string | null;
  at: Date;
}

export async function resolveConversation(tx: Database, input: ThreadingInput): Promise<string> {
  if (input.trustedConversationId) {
    const found = await tx
      .selectFrom('conversations')
      .select('id')
      .where('id', '=', input.trustedConversationId)
      .where('agent_id', '=', input.agentId)
      .executeTakeFirst();
    if (found) return touch(tx, found.id, input.at);
  }
  const candidates = [input.inReplyTo, ...[...input.references].reverse()].filter((v): v is string => !!v).slice(0, 20);
  for (const messageId of candidates) {
    const found = await tx
      .selectFrom('messages')
      .select('conversation_id')
      .where('agent_id', '=', input.agentId)
      .where('message_id_header', '=', messageId)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (found) return touch(tx, found.conversation_id, input.at);
  }
  const id = newId('conversation');
  await tx
    .insertInto('conversations')
    .values({ id, agent_id: input.agentId, subject: pgText(input.subject), message_count: 1, created_at: input.at, last_message_at: input.at })
    .execute();
  return id;
}

async function touch(tx: Database, id: string, at: Date): Promise<string> {
  await tx
    .updateTable('conversations')
    .set((eb) => ({ message_count: eb('message_count', '+', 1), last_message_at: at }))
    .where('id', '=', id)
    .execute();
  return id;
}
