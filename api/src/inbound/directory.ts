/** The relay's RecipientDirectory, answered from the agents and domains tables. */
import type { Recipient, RecipientDirectory } from '@e2a/relay';
import { isExpired } from '../agents/expiry.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import type { ListFanOut } from '../lists/fan-out.js';
import { isOperatorAddress, type PostmasterRoute } from './postmaster.js';

/** Carried from RCPT to DATA in Recipient.context: saves InboundService a query per message. */
export interface RecipientContext {
  userId: string;
  protection: unknown;
}

export function isRecipientContext(value: unknown): value is RecipientContext {
  return typeof value === 'object' && value !== null && typeof (value as RecipientContext).userId === 'string' && 'protection' in value;
}

export class AgentDirectory implements RecipientDirectory {
  constructor(private readonly deps: { db: Database; sharedDomain: string; postmaster: PostmasterRoute; clock: Clock; lists: Pick<ListFanOut, 'recipientAt'> }) {}

  async lookup(address: string): Promise<Recipient | null> {
    // The relay asks only for addresses at our domains (or a bare "postmaster", RFC 5321 §4.5.1).
    if (isOperatorAddress(address)) return this.deps.postmaster.recipient(address, (a) => this.agentAt(a));
    // Lists share the agents' namespace (docs/LISTS.md): an address is one or the other.
    return (await this.agentAt(address)) ?? this.deps.lists.recipientAt(address);
  }

  private async agentAt(address: string): Promise<Recipient | null> {
    const row = await this.deps.db
      .selectFrom('agents')
      .select(['id', 'address', 'user_id', 'protection', 'expires_at'])
      .where('address', '=', address.toLowerCase())
      .executeTakeFirst();
    // An expired agent (docs/EPHEMERAL.md) is unknown from its expires_at on, before the worker
    // deletes it: the same 550 5.1.1 as an address that never existed, so expiry tells nothing.
    if (!row || isExpired(row.expires_at, this.deps.clock.now())) return null;
    const context: RecipientContext = { userId: row.user_id, protection: row.protection };
    return { agentId: row.id, address: row.address, context };
  }

  async isLocalDomain(domain: string): Promise<boolean> {
    const name = domain.toLowerCase();
    if (name === this.deps.sharedDomain) return true;
    const row = await this.deps.db.selectFrom('domains').select('id').where('name', '=', name).where('verified_at', 'is not', null).executeTakeFirst();
    return row !== undefined;
  }
}
