/**
 * Threading (DESIGN §4): a message joins the conversation of the agent's own message it answers
 * (In-Reply-To first, then References newest-first); otherwise it starts a new conversation.
 * X-E2A-Conversation-Id is honoured only for mail this gateway produced itself (`trustedConversationId`),
 * never from a header an outside sender could write.
 */
import { pgText, type Database } from '../db/database.js';

export interface ThreadingInput {
  agentId: string;
  inReplyTo: string | null;
  references: string[];
  trustedConversationId?: string | null;
}

/** The existing conversation this message belongs to, or null for a new one. */
export async function findConversation(db: Database, input: ThreadingInput): Promise<string | null> {
  if (input.trustedConversationId) {
    const found = await db
      .selectFrom('conversations')
      .select('id')
      .where('id', '=', input.trustedConversationId)
      .where('agent_id', '=', input.agentId)
      .executeTakeFirst();
    if (found) return found.id;
  }
  // Compared as stored: message_id_header went through pgText (a NUL cannot even be a parameter).
  const candidates = [input.inReplyTo, ...[...input.references].reverse()]
    .filter((v): v is string => !!v)
    .slice(0, 20)
    .map(pgText);
  if (candidates.length === 0) return null;
  const rows = await db
    .selectFrom('messages')
    .select(['message_id_header', 'conversation_id'])
    .where('agent_id', '=', input.agentId)
    .where('message_id_header', 'in', candidates)
    .execute();
  const byMessageId = new Map(rows.map((r) => [r.message_id_header, r.conversation_id]));
  for (const candidate of candidates) {
    const found = byMessageId.get(candidate);
    if (found) return found;
  }
  return null;
}
