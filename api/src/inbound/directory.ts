/** The relay's RecipientDirectory, answered from the agents and domains tables. */
import type { Recipient, RecipientDirectory } from '@e2a/relay';
import type { Database } from '../db/database.js';

export class AgentDirectory implements RecipientDirectory {
  constructor(private readonly deps: { db: Database; sharedDomain: string }) {}

  async lookup(address: string): Promise<Recipient | null> {
    const row = await this.deps.db.selectFrom('agents').select(['id', 'address']).where('address', '=', address.toLowerCase()).executeTakeFirst();
    return row ? { agentId: row.id, address: row.address } : null;
  }

  async isLocalDomain(domain: string): Promise<boolean> {
    const name = domain.toLowerCase();
    if (name === this.deps.sharedDomain) return true;
    const row = await this.deps.db.selectFrom('domains').select('id').where('name', '=', name).where('verified_at', 'is not', null).executeTakeFirst();
    return row !== undefined;
  }
}
