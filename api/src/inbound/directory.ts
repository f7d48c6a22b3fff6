/** The relay's RecipientDirectory, answered from the agents and domains tables. */
import type { Recipient, RecipientDirectory } from '@e2a/relay';
import { isExpired } from '../agents/expiry.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import type { AgentChangeFeed } from '../events/bus.js';
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

interface AgentRow {
  id: string;
  address: string;
  user_id: string;
  protection: unknown;
  expires_at: Date | null;
  /** Scheduled for deletion (docs/DATA.md): unknown here from the request on. */
  erasure_id: string | null;
}

/** Addresses remembered at most; the oldest is forgotten first. Only agents that exist are cached. */
const CACHE_ENTRIES = 10_000;
/** A bound on staleness should a change notice ever go missing without a reconnect. */
const CACHE_TTL_MS = 60_000;

/**
 * RCPT TO asks for the same few addresses all day: every message cost a statement for them. The
 * answer is cached per process and forgotten when the agent changes (the agents_changed trigger's
 * notice, on every replica, at commit; everything after a bus reconnect). A lookup that raced a
 * change is not cached: the generation moved while it ran. Expiry is checked at use, not at caching.
 */
class AgentCache {
  private readonly byAddress = new Map<string, { row: AgentRow; at: number }>();
  private generation = 0;

  constructor(changes: AgentChangeFeed) {
    changes.onAgentChange((agentId) => {
      this.generation++;
      if (agentId === null) return this.byAddress.clear();
      for (const [address, entry] of this.byAddress) if (entry.row.id === agentId) this.byAddress.delete(address);
    });
  }

  async get(address: string, load: () => Promise<AgentRow | undefined>): Promise<AgentRow | undefined> {
    const now = Date.now();
    const hit = this.byAddress.get(address);
    if (hit && now - hit.at < CACHE_TTL_MS) return hit.row;
    const generation = this.generation;
    const row = await load();
    if (row && generation === this.generation) {
      this.byAddress.delete(address);
      this.byAddress.set(address, { row, at: now });
      if (this.byAddress.size > CACHE_ENTRIES) this.byAddress.delete(this.byAddress.keys().next().value!);
    }
    return row;
  }
}

export class AgentDirectory implements RecipientDirectory {
  private readonly cache: AgentCache | null;

  constructor(
    private readonly deps: {
      db: Database;
      sharedDomain: string;
      postmaster: PostmasterRoute;
      clock: Clock;
      lists: Pick<ListFanOut, 'recipientAt'>;
      /** Change notices; without them nothing is cached. */
      changes?: AgentChangeFeed;
    },
  ) {
    this.cache = deps.changes ? new AgentCache(deps.changes) : null;
  }

  async lookup(address: string): Promise<Recipient | null> {
    // The relay asks only for addresses at our domains (or a bare "postmaster", RFC 5321 §4.5.1).
    if (isOperatorAddress(address)) return this.deps.postmaster.recipient(address, (a) => this.agentAt(a));
    // Lists share the agents' namespace (docs/LISTS.md): an address is one or the other.
    return (await this.agentAt(address)) ?? this.deps.lists.recipientAt(address);
  }

  private async agentAt(address: string): Promise<Recipient | null> {
    const key = address.toLowerCase();
    const load = () => this.deps.db.selectFrom('agents').select(['id', 'address', 'user_id', 'protection', 'expires_at', 'erasure_id']).where('address', '=', key).executeTakeFirst();
    const row = this.cache ? await this.cache.get(key, load) : await load();
    // An expired agent (docs/EPHEMERAL.md) is unknown from its expires_at on, before the worker
    // deletes it: the same 550 5.1.1 as an address that never existed, so expiry tells nothing.
    // So is an agent scheduled for deletion, or of an account scheduled for it (docs/DATA.md).
    if (!row || isExpired(row.expires_at, this.deps.clock.now()) || row.erasure_id !== null) return null;
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
