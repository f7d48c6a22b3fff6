import { sql, type Expression, type SqlBool } from 'kysely';
import type { ContactState } from '@e2a/sdk/wire';
import type { Database } from '../db/database.js';
import { appendEventsFrom, type EventDraft } from '../events/outbox.js';
import type { ContactsTable } from '../db/schema.js';

export interface ContactRow {
  id: string;
  agent_id: string;
  address: string;
  peer_address: string;
  peer_agent_id: string | null;
  note: string | null;
  state: ContactsTable['state'];
  code_hash: string;
  code_expires_at: Date;
  attempts: number;
  expires_at: Date | null;
  created_at: Date;
  approved_at: Date | null;
  revoked_at: Date | null;
}

/** The listed state: `expired` is derived from the code's expiry (pending) or the grant's (active). */
export function stateAt(row: Pick<ContactRow, 'state' | 'code_expires_at' | 'expires_at'>, now: Date): ContactState {
  if (row.state === 'pending' && new Date(row.code_expires_at).getTime() <= now.getTime()) return 'expired';
  if (row.state === 'active' && row.expires_at && new Date(row.expires_at).getTime() <= now.getTime()) return 'expired';
  return row.state;
}

/** The same rule as stateAt, as a predicate over `contacts`. */
function inState(state: ContactState, now: Date): Expression<SqlBool> {
  switch (state) {
    case 'pending':
      return sql<SqlBool>`(state = 'pending' and code_expires_at > ${now})`;
    case 'active':
      return sql<SqlBool>`(state = 'active' and (expires_at is null or expires_at > ${now}))`;
    case 'expired':
      return sql<SqlBool>`((state = 'pending' and code_expires_at <= ${now}) or (state = 'active' and expires_at <= ${now}))`;
    default:
      return sql<SqlBool>`state = ${state}`;
  }
}

export class ContactsRepo {
  constructor(private readonly db: Database) {}

  /** Contacts of the agent: those it asked for (outgoing) and those asked of it (incoming); newest first. */
  list(agentId: string, opts: { state: ContactState | null; direction: 'incoming' | 'outgoing' | null; limit: number; now: Date }): Promise<ContactRow[]> {
    let q = this.db.selectFrom('contacts').selectAll();
    q =
      opts.direction === 'outgoing'
        ? q.where('agent_id', '=', agentId)
        : opts.direction === 'incoming'
          ? q.where('peer_agent_id', '=', agentId)
          : q.where((eb) => eb.or([eb('agent_id', '=', agentId), eb('peer_agent_id', '=', agentId)]));
    if (opts.state) q = q.where(inState(opts.state, opts.now));
    return q.orderBy('id', 'desc').limit(opts.limit).execute() as Promise<ContactRow[]>;
  }

  /** One contact of the agent, from either side; undefined for no such id and for someone else's alike. */
  find(agentId: string, id: string): Promise<ContactRow | undefined> {
    return this.db
      .selectFrom('contacts')
      .selectAll()
      .where('id', '=', id)
      .where((eb) => eb.or([eb('agent_id', '=', agentId), eb('peer_agent_id', '=', agentId)]))
      .executeTakeFirst() as Promise<ContactRow | undefined>;
  }

  /**
   * Stores a request, with the agent at `peer_address` when it is on this gateway (and unexpired),
   * and writes contact.requested for that agent's account. Two statements whatever the target:
   * the lookup is a subquery of the insert, and the event is an INSERT … SELECT that writes no row
   * for an address outside, so a request costs the same work whether or not the address is here.
   */
  async insertRequest(
    db: Database,
    row: { id: string; agent_id: string; address: string; peer_address: string; note: string | null; code_hash: string; code_expires_at: Date; expires_at: Date | null; now: Date },
    event: EventDraft,
  ): Promise<void> {
    await db
      .insertInto('contacts')
      .values({
        id: row.id,
        agent_id: row.agent_id,
        address: row.address,
        peer_address: row.peer_address,
        peer_agent_id: (eb) =>
          eb
            .selectFrom('agents')
            .select('id')
            .where('address', '=', row.peer_address)
            .where((w) => w.or([w('expires_at', 'is', null), w('expires_at', '>', row.now)])),
        note: row.note,
        state: 'pending',
        code_hash: row.code_hash,
        code_expires_at: row.code_expires_at,
        expires_at: row.expires_at,
        created_at: row.now,
      })
      .execute();
    await appendEventsFrom(db, [event], sql`SELECT c.id, a.user_id, NULL::text FROM contacts c JOIN agents a ON a.id = c.peer_agent_id WHERE c.id = ${row.id}`, row.now).execute();
  }

  /** Pending requests of the agent whose code is still good (contacts.max_pending_per_agent). */
  async pendingCount(db: Database, agentId: string, now: Date): Promise<number> {
    const r = await db
      .selectFrom('contacts')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('agent_id', '=', agentId)
      .where('state', '=', 'pending')
      .where('code_expires_at', '>', now)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** Counts a wrong code; the MAX-th kills the request. Returns the attempts made and the state after. */
  async wrongCode(id: string, max: number): Promise<{ attempts: number; state: string } | undefined> {
    return this.db
      .updateTable('contacts')
      .set({ attempts: sql`attempts + 1`, state: sql`case when attempts + 1 >= ${max} then 'failed' else state end` })
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .returning(['attempts', 'state'])
      .executeTakeFirst();
  }

  /** pending → active, if the code is still good; false when something else decided first. */
  async approve(db: Database, id: string, now: Date): Promise<boolean> {
    const r = await db.updateTable('contacts').set({ state: 'active', approved_at: now }).where('id', '=', id).where('state', '=', 'pending').where('code_expires_at', '>', now).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** pending or active → revoked; false when it was neither. */
  async revoke(db: Database, id: string, now: Date): Promise<boolean> {
    const r = await db.updateTable('contacts').set({ state: 'revoked', revoked_at: now }).where('id', '=', id).where('state', 'in', ['pending', 'active']).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Both sides' agents (the peer only when it is an agent here), with their accounts, for contact.* events. */
  sides(db: Database, row: Pick<ContactRow, 'agent_id' | 'peer_agent_id'>): Promise<Array<{ id: string; user_id: string; address: string }>> {
    const ids = [row.agent_id, ...(row.peer_agent_id ? [row.peer_agent_id] : [])];
    return db.selectFrom('agents').select(['id', 'user_id', 'address']).where('id', 'in', ids).execute();
  }

  /**
   * The inbound gate's question: does `sender` hold a live grant with the agent, from either side?
   * One indexed probe per side (contacts_live_outgoing, contacts_live_incoming).
   */
  isContact(agentId: string, sender: string, now: Date): Promise<boolean> {
    return this.isContactOfAny([agentId], sender, now);
  }

  /** The same question for several agents at once (a list's members): a grant with any of them. */
  async isContactOfAny(agentIds: string[], sender: string, now: Date): Promise<boolean> {
    if (agentIds.length === 0) return false;
    const row = await this.db
      .selectFrom('contacts')
      .select('id')
      .where('state', '=', 'active')
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .where((eb) =>
        eb.or([eb.and([eb('agent_id', 'in', agentIds), eb('peer_address', '=', sender)]), eb.and([eb('peer_agent_id', 'in', agentIds), eb('address', '=', sender)])]),
      )
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }
}
