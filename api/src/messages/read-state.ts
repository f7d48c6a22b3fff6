/** Read/unread: the one mutable bit of a stored message that an agent controls. */
import type { Database } from '../db/database.js';

export async function setRead(db: Database, agentId: string, messageId: string, read: boolean, at: Date): Promise<boolean> {
  const result = await db
    .updateTable('messages')
    .set({ read_at: read ? at : null })
    .where('agent_id', '=', agentId)
    .where('id', '=', messageId)
    .where('held', '=', false)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
