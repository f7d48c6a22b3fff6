/**
 * Agents: the mailboxes. An agent lives on the shared domain or on one of its owner's verified
 * domains. Visibility: an account key sees its user's agents; an agent key sees only its agent;
 * anything else is reported as not found, so ids of other tenants do not leak.
 *
 * Creating one answers only what the caller may know. On a domain that is not the caller's (another
 * tenant's verified domain, or one nobody verified) every address gets the same 422, whether an
 * agent is there or not. On the shared domain, whose names are first come first served, an address
 * that is reserved (agents/reserved.ts) or held by another account gets one and the same 409 text:
 * it must be refused, but the answer does not say which, nor that an agent exists, nor whose.
 * Only the caller's own agent is named as such.
 *
 * Ephemeral agents (docs/EPHEMERAL.md): from its expires_at on, an agent is gone to the API before
 * the worker deletes it: lists leave it out, any use of it answers 410 `gone`, and extending it is
 * refused with that same 410 (an expired agent is not revived: its mail was refused since).
 */
import type { Agent, AgentPage, CreateAgentRequest, ExtendAgentRequest, UpdateAgentRequest } from '@e2a/sdk/wire';
import { classifyAddress } from '@e2a/relay';
import type { Principal } from '../accounts/principal.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { decodeCursor, toPage } from '../paging.js';
import { AppError } from '../errors.js';
import { newId } from '../ids.js';
import type { AccountCaps } from '../limits/account-caps.js';
import { isExpired, requestedExpiry, type ExpiryBounds } from './expiry.js';
import { AgentsRepo } from './repo.js';
import type { ReservedAddresses } from './reserved.js';

export type AgentRow = Awaited<ReturnType<AgentsRepo['findByAddress']>> & {};

export function toWireAgent(row: AgentRow): Agent {
  return {
    id: row.id,
    address: row.address,
    domain: row.domain,
    display_name: row.display_name,
    created_at: new Date(row.created_at).toISOString(),
    expires_at: row.expires_at === null ? null : new Date(row.expires_at).toISOString(),
    retention_days: row.retention_inherits ? 'account' : row.retention_days,
  };
}

/** The spelling an agent address is looked up in: by resolve, and by authentication for the path's agent. */
export function normaliseAgentAddress(address: string): string {
  return address.trim().toLowerCase();
}

/** The one answer for an address the caller cannot have: reserved, or another account's agent. */
export function unavailableAddress(address: string): AppError {
  return new AppError('conflict', `${address} is not available: it is reserved or already taken; pick another name`);
}

export class AgentsService {
  private readonly repo: AgentsRepo;
  private readonly sharedDomain: string;
  private readonly clock: Clock;
  private readonly reserved: ReservedAddresses;
  private readonly db: Database;
  private readonly caps: AccountCaps;
  private readonly expiry: ExpiryBounds;

  constructor(deps: { db: Database; clock: Clock; sharedDomain: string; reserved: ReservedAddresses; caps: AccountCaps; expiry: ExpiryBounds }) {
    this.repo = new AgentsRepo(deps.db);
    this.db = deps.db;
    this.sharedDomain = deps.sharedDomain;
    this.clock = deps.clock;
    this.reserved = deps.reserved;
    this.caps = deps.caps;
    this.expiry = deps.expiry;
  }

  async create(principal: Principal, req: CreateAgentRequest): Promise<Agent> {
    if (principal.scope !== 'account') throw new AppError('forbidden', 'agent-scoped keys cannot create agents; use an account key');
    const expiresAt = requestedExpiry(req, this.clock.now(), this.expiry);
    const requested = (req.address ?? `${req.local_part}@${this.sharedDomain}`).trim();
    // The same syntax rule the SMTP edge applies to RCPT TO, so every agent can receive mail.
    const syntax = classifyAddress(requested);
    if (syntax.kind !== 'clean') {
      throw new AppError('validation_error', `invalid agent address ${requested}: use letters, digits and . _ + - before the @ and a domain name after it`);
    }
    const { address: raw, domain } = syntax;
    // The domain first: on a domain that is not the caller's, nothing about its addresses is told.
    if (domain !== this.sharedDomain && !(await this.repo.isVerifiedDomainOf(principal.userId, domain))) {
      throw new AppError('validation_error', `domain ${domain} is neither the shared domain ${this.sharedDomain} nor one of your verified domains`);
    }
    if (this.reserved.isReserved(syntax.local, domain)) throw unavailableAddress(raw);
    const existing = await this.repo.findByAddress(raw);
    if (existing) throw existing.user_id === principal.userId ? new AppError('conflict', `agent ${raw} already exists in this account`) : unavailableAddress(raw);
    // Lists share the namespace (docs/LISTS.md): a list's address cannot become an agent's.
    const list = await this.repo.listAt(raw);
    if (list) throw list.user_id === principal.userId ? new AppError('conflict', `${raw} is a list of this account; an agent cannot share a list's address`) : unavailableAddress(raw);
    try {
      const row = await this.db.transaction().execute(async (tx) => {
        await this.caps.check(tx, principal.userId, 'agents');
        return new AgentsRepo(tx).insert({
          id: newId('agent'),
          user_id: principal.userId,
          address: raw,
          domain,
          display_name: req.display_name ?? null,
          created_at: this.clock.now(),
          expires_at: expiresAt,
        });
      });
      return toWireAgent(row);
    } catch (err) {
      // Created a moment ago by a concurrent request, possibly another account's: the same answer.
      if ((err as { code?: string }).code === '23505') throw unavailableAddress(raw);
      throw err;
    }
  }

  async list(principal: Principal, opts: { limit: number; cursor?: string | undefined }): Promise<AgentPage> {
    const rows = await this.repo.list(principal.userId, {
      limit: opts.limit,
      beforeId: opts.cursor ? decodeCursor(opts.cursor) : undefined,
      onlyId: principal.scope === 'agent' ? principal.agentId : null,
      now: this.clock.now(),
    });
    return toPage(rows, opts.limit, toWireAgent);
  }

  /**
   * The agent at `address` if the principal may see it; otherwise not_found. The row the
   * authenticating statement loaded for this same address (Principal.pathAgent) stands in for the
   * query; the rules below apply to either alike.
   */
  async resolve(principal: Principal, address: string): Promise<AgentRow> {
    const row = await this.find(principal, address);
    if (isExpired(row.expires_at, this.clock.now())) throw expiredAgent(row);
    if (row.erasure_id) throw erasingAgent(row);
    return row;
  }

  /**
   * The agent a deletion names (docs/DATA.md): resolve's rules without the expiry and erasure
   * tests, since an expired agent may be deleted (the worker would) and deleting an agent already
   * scheduled for deletion answers with that erasure. Account keys only.
   */
  async forDeletion(principal: Principal, address: string): Promise<AgentRow> {
    if (principal.scope !== 'account') throw new AppError('forbidden', 'agent-scoped keys cannot delete agents; use an account key');
    return this.find(principal, address);
  }

  /** resolve without the expiry test: deleting an expired agent is allowed (the worker would). */
  private async find(principal: Principal, address: string): Promise<AgentRow> {
    const normalised = normaliseAgentAddress(address);
    const preloaded = principal.pathAgent;
    const row = preloaded?.address === normalised ? preloaded.row : await this.repo.findByAddress(normalised);
    if (!row || row.user_id !== principal.userId || (principal.scope === 'agent' && row.id !== principal.agentId)) {
      throw new AppError('not_found', `agent ${address} not found`);
    }
    return row;
  }

  /**
   * A new expiry for an agent, from now (`ttl_seconds`) or at `expires_at`, within the same bounds
   * as at creation; it may be sooner than the current one. An agent created without expiry gets
   * one. An expired agent cannot be extended: 410, as for any other use of it.
   */
  async extend(principal: Principal, address: string, req: ExtendAgentRequest): Promise<Agent> {
    if (principal.scope !== 'account') throw new AppError('forbidden', 'agent-scoped keys cannot extend agents; use an account key');
    const now = this.clock.now();
    const expiresAt = requestedExpiry(req, now, this.expiry)!;
    const current = await this.resolve(principal, address);
    // Conditional on the agent still being unexpired at `now`, so a race with expiry cannot revive it.
    const row = await this.repo.extend(current.id, expiresAt, now);
    if (!row) throw expiredAgent(current);
    return toWireAgent(row);
  }

  /**
   * The agent's settings: its retention (docs/RETENTION.md), days, null (forever) or "account".
   * Account keys only: what an agent keeps is its owner's decision, as its gates are.
   */
  async update(principal: Principal, address: string, req: UpdateAgentRequest): Promise<Agent> {
    if (principal.scope !== 'account') throw new AppError('forbidden', 'agent-scoped keys cannot change agent settings; use an account key');
    const current = await this.resolve(principal, address);
    if (req.retention_days === undefined) return toWireAgent(current);
    const retention = req.retention_days === 'account' ? { retention_days: null, retention_inherits: true } : { retention_days: req.retention_days, retention_inherits: false };
    const row = await this.repo.update(current.id, retention);
    if (!row) throw new AppError('not_found', `agent ${address} not found`);
    return toWireAgent(row);
  }
}

function erasingAgent(row: AgentRow): AppError {
  return new AppError('gone', `agent ${row.address} is scheduled for deletion (erasure ${row.erasure_id}) and disabled; an account key can cancel it with POST /v1/account/erasures/${row.erasure_id}/cancel until the grace period ends`);
}

function expiredAgent(row: AgentRow): AppError {
  return new AppError('gone', `agent ${row.address} expired at ${new Date(row.expires_at!).toISOString()}: its mailbox and keys are gone and it cannot be extended; create a new agent`);
}
