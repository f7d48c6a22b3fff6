import { sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { LIST_POST_POLICIES } from '@e2a/sdk/values';

export interface ListRow {
  id: string;
  user_id: string;
  address: string;
  domain: string;
  name: string;
  description: string;
  post_policy: (typeof LIST_POST_POLICIES)[number];
  created_at: Date;
  updated_at: Date;
  member_count: number;
}

/** A member as fan-out needs it: the agent, its account, its protection, and whether it has expired. */
export interface MemberRow {
  agent_id: string;
  address: string;
  user_id: string;
  protection: unknown;
  expires_at: Date | null;
  /** Scheduled for deletion (docs/DATA.md): gets no copy. */
  erasure_id: string | null;
}

export class ListsRepo {
  constructor(private readonly db: Database) {}

  private lists() {
    return this.db
      .selectFrom('lists as l')
      .select(['l.id', 'l.user_id', 'l.address', 'l.domain', 'l.name', 'l.description', 'l.post_policy', 'l.created_at', 'l.updated_at'])
      .select(sql<number>`(SELECT count(*)::int FROM list_members lm WHERE lm.list_id = l.id)`.as('member_count'));
  }

  byAddress(address: string): Promise<ListRow | undefined> {
    return this.lists().where('l.address', '=', address).executeTakeFirst();
  }

  list(userId: string, opts: { limit: number; beforeId?: string | undefined }): Promise<ListRow[]> {
    let q = this.lists().where('l.user_id', '=', userId);
    if (opts.beforeId) q = q.where('l.id', '<', opts.beforeId);
    return q.orderBy('l.id', 'desc').limit(opts.limit + 1).execute();
  }

  async insert(row: { id: string; user_id: string; address: string; domain: string; name: string; description: string; post_policy: ListRow['post_policy']; now: Date }): Promise<void> {
    const { now, ...values } = row;
    await this.db.insertInto('lists').values({ ...values, created_at: now, updated_at: now }).execute();
  }

  async update(id: string, patch: { name?: string; description?: string; post_policy?: ListRow['post_policy'] }, now: Date): Promise<void> {
    await this.db.updateTable('lists').set({ ...patch, updated_at: now }).where('id', '=', id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('lists').where('id', '=', id).execute();
  }

  /** The agent holding `address`, if any (lists and agents share one namespace). */
  agentAt(address: string): Promise<{ user_id: string } | undefined> {
    return this.db.selectFrom('agents').select('user_id').where('address', '=', address).executeTakeFirst();
  }

  /** True when `domain` is one of the user's verified domains. */
  async isVerifiedDomainOf(userId: string, domain: string): Promise<boolean> {
    return (await this.db.selectFrom('domains').select('id').where('name', '=', domain).where('user_id', '=', userId).where('verified_at', 'is not', null).executeTakeFirst()) !== undefined;
  }

  async addMember(listId: string, agentId: string, now: Date): Promise<void> {
    await this.db.insertInto('list_members').values({ list_id: listId, agent_id: agentId, created_at: now }).onConflict((oc) => oc.columns(['list_id', 'agent_id']).doNothing()).execute();
  }

  /** When the agent joined the list (it is a member). */
  async joinedAt(listId: string, agentId: string): Promise<Date> {
    const row = await this.db.selectFrom('list_members').select('created_at').where('list_id', '=', listId).where('agent_id', '=', agentId).executeTakeFirstOrThrow();
    return row.created_at;
  }

  async removeMember(listId: string, agentId: string): Promise<void> {
    await this.db.deleteFrom('list_members').where('list_id', '=', listId).where('agent_id', '=', agentId).execute();
  }

  /** Members, newest agent first (the agent id is the cursor). */
  members(listId: string, opts: { limit: number; beforeId?: string | undefined }): Promise<Array<{ id: string; address: string; created_at: Date }>> {
    let q = this.db.selectFrom('list_members as lm').innerJoin('agents as a', 'a.id', 'lm.agent_id').select(['a.id', 'a.address', 'lm.created_at']).where('lm.list_id', '=', listId);
    if (opts.beforeId) q = q.where('a.id', '<', opts.beforeId);
    return q.orderBy('a.id', 'desc').limit(opts.limit + 1).execute();
  }

  /** Every member, for fan-out: one statement whatever the list's size. */
  allMembers(listId: string): Promise<MemberRow[]> {
    return this.db
      .selectFrom('list_members as lm')
      .innerJoin('agents as a', 'a.id', 'lm.agent_id')
      .select(['lm.agent_id', 'a.address', 'a.user_id', 'a.protection', 'a.expires_at', 'a.erasure_id'])
      .where('lm.list_id', '=', listId)
      .orderBy('a.address')
      .execute();
  }
}
