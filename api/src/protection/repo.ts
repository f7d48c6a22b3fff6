/**
 * Where an agent's protection settings are stored: agents.protection (jsonb). Reads come with the
 * agent row (AgentsService.resolve); this is the one write.
 */
import type { Protection } from '@e2a/sdk/wire';
import type { Database } from '../db/database.js';
import { json } from '../db/database.js';

export class ProtectionRepo {
  constructor(private readonly db: Database) {}

  async replace(agentId: string, value: Protection): Promise<void> {
    await this.db.updateTable('agents').set({ protection: json(value) }).where('id', '=', agentId).execute();
  }
}
