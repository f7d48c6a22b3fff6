/**
 * Contacts (docs/CONTACTS.md): double opt-in, per-pair grants for the inbound gate's `contacts`
 * policy. Who may act is the agent rule (AgentsService.resolve: account keys of its account, and its
 * own agent key) on the agent in the path, and then the side it is on:
 *
 *   - the requester (an agent here) lists its outgoing requests and may revoke them; it never
 *     approves its own request to an agent of this gateway;
 *   - the target, when it is an agent here, lists the request as incoming; its account keys approve
 *     without the code, its agent key only with the code (an agent a message could talk into
 *     approving must at least hold what the requester passed on out of band);
 *   - a target outside this gateway has nobody here to ask: the requesting agent's account keys
 *     approve (its agent key cannot).
 *
 * Enumeration resistance: a request gets the same 202 and body for every address, and costs the
 * same statements (repo.insertRequest); an id that is unknown and one of someone else's are the
 * same 404.
 */
import type { ApproveContactInput, Contact, ContactList, ContactRequestInput, ContactRequestResult, ListContactsQuery } from '@e2a/sdk/wire';
import type { z } from 'zod';
import type { Principal } from '../accounts/principal.js';
import { AgentsRepo } from '../agents/repo.js';
import type { AgentsService } from '../agents/service.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { AppError } from '../errors.js';
import { eventId, newId } from '../ids.js';
import { appendEvents, type EventDraft } from '../events/outbox.js';
import { contactCodeMatches, hashContactCode, MAX_CODE_ATTEMPTS, newContactCode } from './code.js';
import { ContactsRepo, stateAt, type ContactRow } from './repo.js';

type RequestBody = z.output<typeof ContactRequestInput>;
type ListQuery = z.output<typeof ListContactsQuery>;
type ApproveBody = z.output<typeof ApproveContactInput>;

const ADDRESS = /^[^@\s<>]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/;

/** What the inbound path asks (inbound/service.ts): does `sender` hold a live grant with the agent? */
export interface ContactGrants {
  isContact(agentId: string, sender: string): Promise<boolean>;
}

export interface ContactsDeps {
  db: Database;
  agents: AgentsService;
  clock: Clock;
  /** contacts.code_ttl_minutes, in ms. */
  codeTtlMs: number;
  /** contacts.max_pending_per_agent. */
  maxPendingPerAgent: number;
}

const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString());
const gone = (id: string) => new AppError('not_found', `contact ${id} not found`);

export class ContactsService implements ContactGrants {
  private readonly repo: ContactsRepo;

  constructor(private readonly deps: ContactsDeps) {
    this.repo = new ContactsRepo(deps.db);
  }

  private toWire(row: ContactRow, agentId: string, agentAddress: string): Contact {
    const outgoing = row.agent_id === agentId;
    return {
      id: row.id,
      address: agentAddress,
      peer_address: outgoing ? row.peer_address : row.address,
      direction: outgoing ? 'outgoing' : 'incoming',
      state: stateAt(row, this.deps.clock.now()),
      note: row.note,
      code_expires_at: iso(row.code_expires_at)!,
      expires_at: iso(row.expires_at),
      created_at: iso(row.created_at)!,
      approved_at: iso(row.approved_at),
      revoked_at: iso(row.revoked_at),
    };
  }

  /** One side's event: `agent` is that side's agent, whose account receives it. */
  private event(type: 'contact.requested' | 'contact.approved' | 'contact.revoked', row: Pick<ContactRow, 'id' | 'address' | 'peer_address' | 'expires_at' | 'note'>, agent: { id: string; address: string }): EventDraft {
    return {
      id: eventId(`${row.id}\n${agent.id}`, type),
      type,
      about: row.id,
      data: {
        contact_id: row.id,
        agent_address: agent.address,
        requester_address: row.address,
        peer_address: row.peer_address,
        expires_at: iso(row.expires_at),
        ...(type === 'contact.requested' ? { note: row.note } : {}),
      },
    };
  }

  /** Account-level events, one per side's agent, to that agent's account. */
  private async notify(db: Database, type: 'contact.approved' | 'contact.revoked', row: ContactRow, now: Date): Promise<void> {
    for (const side of await this.repo.sides(db, row)) await appendEvents(db, [this.event(type, row, side)], { userId: side.user_id, agentId: null, at: now });
  }

  async request(principal: Principal, address: string, body: RequestBody): Promise<ContactRequestResult> {
    const agent = await this.deps.agents.resolve(principal, address);
    const peer = body.address.trim().toLowerCase();
    if (!ADDRESS.test(peer)) throw new AppError('validation_error', `address: "${body.address}" is not an email address`, [{ path: 'body.address', message: 'expected an email address' }]);
    if (peer === agent.address) throw new AppError('validation_error', 'address: an agent cannot request contact with itself', [{ path: 'body.address', message: 'expected another address' }]);
    const now = this.deps.clock.now();
    const expiresAt = body.expires_at ? new Date(body.expires_at) : null;
    if (expiresAt && expiresAt.getTime() <= now.getTime()) {
      throw new AppError('validation_error', 'expires_at: the grant would have expired already; give a time in the future, or leave it out', [{ path: 'body.expires_at', message: 'expected a future time' }]);
    }
    const code = newContactCode();
    const codeExpiresAt = new Date(now.getTime() + this.deps.codeTtlMs);
    const id = newId('contact');
    const note = body.note?.trim() || null;
    await this.deps.db.transaction().execute(async (tx) => {
      // The requester's row, locked: two requests at once cannot both pass the count below.
      await new AgentsRepo(tx).lock(agent.id);
      if ((await this.repo.pendingCount(tx, agent.id, now)) >= this.deps.maxPendingPerAgent) {
        throw new AppError(
          'conflict',
          `${agent.address} already has ${this.deps.maxPendingPerAgent} pending contact requests (contacts.max_pending_per_agent); wait for one to be approved or to expire, or revoke one`,
        );
      }
      const row = { id, agent_id: agent.id, address: agent.address, peer_address: peer, note, code_hash: hashContactCode(code), code_expires_at: codeExpiresAt, expires_at: expiresAt, now };
      // For the target's account; the target's id is not known before the insert, its address is.
      await this.repo.insertRequest(tx, row, { ...this.event('contact.requested', row, { id: peer, address: peer }), id: eventId(id, 'contact.requested') });
    });
    return { id, state: 'pending', code, code_expires_at: codeExpiresAt.toISOString() };
  }

  async list(principal: Principal, address: string, query: ListQuery): Promise<ContactList> {
    const agent = await this.deps.agents.resolve(principal, address);
    const rows = await this.repo.list(agent.id, { state: query.state ?? null, direction: query.direction ?? null, limit: query.limit, now: this.deps.clock.now() });
    return { items: rows.map((r) => this.toWire(r, agent.id, agent.address)) };
  }

  async get(principal: Principal, address: string, id: string): Promise<Contact> {
    const agent = await this.deps.agents.resolve(principal, address);
    const row = await this.repo.find(agent.id, id);
    if (!row) throw gone(id);
    return this.toWire(row, agent.id, agent.address);
  }

  async approve(principal: Principal, address: string, id: string, body: ApproveBody): Promise<Contact> {
    const agent = await this.deps.agents.resolve(principal, address);
    const row = await this.repo.find(agent.id, id);
    if (!row) throw gone(id);
    const incoming = row.peer_agent_id === agent.id;
    if (!incoming) {
      // Checked first, so an agent key learns nothing about where the other address lives.
      if (principal.scope !== 'account') throw new AppError('forbidden', 'an agent cannot approve its own contact request; the other side approves it (or, for an address outside this gateway, an account key)');
      if (row.peer_agent_id !== null) throw new AppError('forbidden', `${row.peer_address} is an agent of this gateway: its owner approves the request, with the code you were given`);
    }
    const now = this.deps.clock.now();
    const state = stateAt(row, now);
    if (state === 'expired' || state === 'failed') throw new AppError('gone', `contact request ${id} is ${state === 'failed' ? 'dead after too many wrong codes' : 'expired'}; the requester must ask again`);
    if (state !== 'pending') throw new AppError('conflict', `contact ${id} is ${state}, not pending`);
    const needsCode = incoming && principal.scope !== 'account';
    if (needsCode && !body.code) throw new AppError('validation_error', 'code: an agent key approves only with the code the requester was given; an account key may approve without it', [{ path: 'body.code', message: 'required' }]);
    // A code given is checked, whoever gives it: a wrong one counts against the request either way.
    if (body.code && !contactCodeMatches(body.code, row.code_hash)) {
      const after = await this.repo.wrongCode(id, MAX_CODE_ATTEMPTS);
      if (!after || after.state === 'failed') throw new AppError('gone', `wrong code: contact request ${id} is dead after ${MAX_CODE_ATTEMPTS} wrong codes; the requester must ask again`);
      throw new AppError('forbidden', `wrong code for contact request ${id}; ${MAX_CODE_ATTEMPTS - after.attempts} attempt(s) left before it dies`);
    }
    await this.deps.db.transaction().execute(async (tx) => {
      if (!(await this.repo.approve(tx, id, now))) throw new AppError('conflict', `contact ${id} changed while approving it; list it again`);
      await this.notify(tx, 'contact.approved', row, now);
    });
    return this.toWire((await this.repo.find(agent.id, id))!, agent.id, agent.address);
  }

  /** Either side; idempotent (revoking a revoked, expired or failed contact changes nothing). */
  async revoke(principal: Principal, address: string, id: string): Promise<void> {
    const agent = await this.deps.agents.resolve(principal, address);
    const row = await this.repo.find(agent.id, id);
    if (!row) throw gone(id);
    const now = this.deps.clock.now();
    await this.deps.db.transaction().execute(async (tx) => {
      if (await this.repo.revoke(tx, id, now)) await this.notify(tx, 'contact.revoked', row, now);
    });
  }

  isContact(agentId: string, sender: string): Promise<boolean> {
    return this.repo.isContact(agentId, sender.toLowerCase(), this.deps.clock.now());
  }
}
