/**
 * Threading (DESIGN §4): a message joins the conversation of the agent's own message it answers
 * (In-Reply-To first, then References newest-first); otherwise it starts a new conversation.
 * X-E2A-Conversation-Id is honoured only for mail this gateway produced itself (`trustedConversationId`),
 * never from a header an outside sender could write.
 */
import { sql } from 'kysely';
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

/** findConversation for many agents at once (a list's members), in one statement; no trusted id. */
export async function findConversations(db: Database, agentIds: string[], inReplyTo: string | null, references: string[]): Promise<Map<string, string>> {
  const candidates = [inReplyTo, ...[...references].reverse()]
    .filter((v): v is string => !!v)
    .slice(0, 20)
    .map(pgText);
  const found = new Map<string, string>();
  if (candidates.length === 0 || agentIds.length === 0) return found;
  const rows = await db
    .selectFrom('messages')
    .select(['agent_id', 'message_id_header', 'conversation_id'])
    .where(sql<boolean>`agent_id = ANY(${agentIds}::text[])`)
    .where('message_id_header', 'in', candidates)
    .execute();
  const rank = new Map(candidates.map((c, i) => [c, i]));
  const best = new Map<string, number>();
  for (const row of rows) {
    const r = rank.get(row.message_id_header ?? '') ?? Infinity;
    if (r < (best.get(row.agent_id) ?? Infinity)) {
      best.set(row.agent_id, r);
      found.set(row.agent_id, row.conversation_id);
    }
  }
  return found;
}
