import { sql } from 'kysely';
import type { Principal } from '../accounts/principal.js';
import type { Database } from '../db/database.js';
import { json } from '../db/database.js';
import type { DirectoryPosition } from './directory-cursor.js';
import { visibleCards } from './visibility.js';

export interface CardRow {
  agent_id: string;
  address: string;
  visibility: 'account' | 'public';
  card: Record<string, unknown>;
  updated_at: Date;
}

export interface DirectoryRow extends CardRow {
  rank: number;
}

export class CardsRepo {
  constructor(private readonly db: Database) {}

  private cards() {
    return this.db
      .selectFrom('agent_cards as c')
      .innerJoin('agents as a', 'a.id', 'c.agent_id')
      .select(['c.agent_id', 'a.address', 'c.visibility', 'c.card', 'c.updated_at']);
  }

  byAgent(agentId: string): Promise<CardRow | undefined> {
    return this.cards().where('c.agent_id', '=', agentId).executeTakeFirst();
  }

  /** A `public` card by its agent's (normalised) address; undefined for no agent and for a card that is not public alike. */
  publicByAddress(address: string): Promise<CardRow | undefined> {
    return this.cards().where('a.address', '=', address).where('c.visibility', '=', 'public').where('a.erasure_id', 'is', null).executeTakeFirst();
  }

  async upsert(row: { agent_id: string; visibility: 'account' | 'public'; card: Record<string, unknown>; now: Date }): Promise<void> {
    await this.db
      .insertInto('agent_cards')
      .values({ agent_id: row.agent_id, visibility: row.visibility, card: json(row.card), created_at: row.now, updated_at: row.now })
      .onConflict((oc) => oc.column('agent_id').doUpdateSet({ visibility: row.visibility, card: json(row.card), updated_at: row.now }))
      .execute();
  }

  async delete(agentId: string): Promise<void> {
    await this.db.deleteFrom('agent_cards').where('agent_id', '=', agentId).execute();
  }

  /**
   * Cards the principal may see (visibility.ts), matching `q` (websearch_to_tsquery over the
   * generated vector, ranked by ts_rank) and carrying skill `tag`; best first, then newest agent.
   * Without `q` every rank is 0 and the order is by agent id alone.
   */
  search(principal: Principal, opts: { q: string | null; tag: string | null; limit: number; after: DirectoryPosition | null }): Promise<DirectoryRow[]> {
    const query = opts.q === null ? null : sql`websearch_to_tsquery('simple', ${opts.q})`;
    const rank = query === null ? sql<number>`0::float8` : sql<number>`ts_rank(c.search, ${query})::float8`;
    // An agent scheduled for deletion is gone from the directory (docs/DATA.md), as from every listing.
    let q = this.cards().select(rank.as('rank')).where(visibleCards(principal)).where('a.erasure_id', 'is', null);
    if (query !== null) q = q.where(sql<boolean>`c.search @@ ${query}`);
    if (opts.tag !== null) q = q.where(sql<boolean>`c.card->'skills' @> ${JSON.stringify([opts.tag])}::jsonb`);
    if (opts.after) q = q.where(sql<boolean>`(${rank}, c.agent_id) < (${String(opts.after.rank)}::float8, ${opts.after.agentId})`);
    return q.orderBy(sql`${rank}`, 'desc').orderBy('c.agent_id', 'desc').limit(opts.limit + 1).execute();
  }
}
