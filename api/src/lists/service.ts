/**
 * Lists (docs/LISTS.md): account-level addresses that fan mail out to member agents. Only account
 * keys manage them; another account's list answers as an unknown one (404), so addresses of other
 * tenants do not leak. A list's address shares the agents' namespace: reserved addresses are
 * refused as for agents, and an address an agent holds (or a list, for AgentsService) is 409.
 */
import { classifyAddress } from '@e2a/relay';
import type { AddListMemberRequest, CreateListRequest, List, ListMember, ListMemberPage, ListPage, UpdateListRequest } from '@e2a/sdk/wire';
import type { z } from 'zod';
import type { Principal } from '../accounts/principal.js';
import type { AgentsService } from '../agents/service.js';
import { normaliseAgentAddress, unavailableAddress } from '../agents/service.js';
import type { ReservedAddresses } from '../agents/reserved.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { decodeCursor, toPage } from '../paging.js';
import { AppError } from '../errors.js';
import { newId } from '../ids.js';
import { listIdOf } from './headers.js';
import { ListsRepo, type ListRow } from './repo.js';

type CreateInput = z.output<typeof CreateListRequest>;
type UpdateInput = z.output<typeof UpdateListRequest>;
type AddMemberInput = z.output<typeof AddListMemberRequest>;

export function toWireList(row: ListRow): List {
  return {
    id: row.id,
    address: row.address,
    name: row.name,
    description: row.description,
    post_policy: row.post_policy,
    list_id: listIdOf(row.name, row.address),
    member_count: Number(row.member_count),
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

export class ListsService {
  private readonly repo: ListsRepo;

  constructor(private readonly deps: { db: Database; agents: AgentsService; reserved: ReservedAddresses; sharedDomain: string; clock: Clock }) {
    this.repo = new ListsRepo(deps.db);
  }

  async create(principal: Principal, req: CreateInput): Promise<List> {
    accountOnly(principal, 'create lists');
    const requested = (req.address ?? `${req.local_part}@${this.deps.sharedDomain}`).trim();
    // The SMTP edge's RCPT rule, as for agents, so every list can receive mail.
    const syntax = classifyAddress(requested);
    if (syntax.kind !== 'clean') throw new AppError('validation_error', `invalid list address ${requested}: use letters, digits and . _ + - before the @ and a domain name after it`);
    const { address, domain } = syntax;
    if (domain !== this.deps.sharedDomain) {
      if (!(await this.repo.isVerifiedDomainOf(principal.userId, domain))) throw new AppError('validation_error', `domain ${domain} is neither the shared domain ${this.deps.sharedDomain} nor one of your verified domains`);
    }
    if (this.deps.reserved.isReserved(syntax.local, domain)) throw unavailableAddress(address);
    const agent = await this.repo.agentAt(address);
    if (agent) throw agent.user_id === principal.userId ? new AppError('conflict', `${address} is an agent of this account; a list cannot share an agent's address`) : unavailableAddress(address);
    const existing = await this.repo.byAddress(address);
    if (existing) throw existing.user_id === principal.userId ? new AppError('conflict', `list ${address} already exists in this account`) : unavailableAddress(address);
    try {
      await this.repo.insert({ id: newId('list'), user_id: principal.userId, address, domain, name: req.name?.trim() || syntax.local, description: req.description.trim(), post_policy: req.post_policy, now: this.deps.clock.now() });
    } catch (err) {
      // Created a moment ago by a concurrent request: the same answer as above.
      if ((err as { code?: string }).code === '23505') throw unavailableAddress(address);
      throw err;
    }
    return toWireList((await this.repo.byAddress(address))!);
  }

  async get(principal: Principal, address: string): Promise<List> {
    return toWireList(await this.resolve(principal, address));
  }

  async list(principal: Principal, opts: { limit: number; cursor?: string | undefined }): Promise<ListPage> {
    accountOnly(principal, 'see lists');
    const rows = await this.repo.list(principal.userId, { limit: opts.limit, beforeId: opts.cursor ? decodeCursor(opts.cursor) : undefined });
    return toPage(rows, opts.limit, toWireList);
  }

  async update(principal: Principal, address: string, patch: UpdateInput): Promise<List> {
    const row = await this.resolve(principal, address);
    const changes: { name?: string; description?: string; post_policy?: ListRow['post_policy'] } = {};
    if (patch.name !== undefined) changes.name = patch.name.trim() || row.name;
    if (patch.description !== undefined) changes.description = patch.description.trim();
    if (patch.post_policy !== undefined) changes.post_policy = patch.post_policy;
    await this.repo.update(row.id, changes, this.deps.clock.now());
    return toWireList((await this.repo.byAddress(row.address))!);
  }

  /** Deleting the list removes its memberships (ON DELETE CASCADE); stored copies stay with their agents. */
  async delete(principal: Principal, address: string): Promise<void> {
    await this.repo.delete((await this.resolve(principal, address)).id);
  }

  /**
   * Members are agents of the list's account (AgentsService.resolve answers 404 for anyone else's).
   * A list is never a member (it is not an agent), so no list contains itself, directly or not.
   * Adding a member twice is harmless.
   */
  async addMember(principal: Principal, address: string, req: AddMemberInput): Promise<ListMember> {
    const list = await this.resolve(principal, address);
    const memberAddress = normaliseAgentAddress(req.agent_address);
    if ((await this.repo.byAddress(memberAddress)) !== undefined) {
      throw new AppError('validation_error', `${req.agent_address} is a list: lists contain agents only, so that mail cannot loop between lists`, [{ path: 'body.agent_address', message: 'lists contain agents only' }]);
    }
    const agent = await this.deps.agents.resolve(principal, memberAddress);
    const now = this.deps.clock.now();
    await this.repo.addMember(list.id, agent.id, now);
    const joinedAt = await this.repo.joinedAt(list.id, agent.id);
    return { agent_address: agent.address, joined_at: new Date(joinedAt).toISOString() };
  }

  /** Idempotent: an agent that is not a member answers as one just removed. */
  async removeMember(principal: Principal, address: string, agentAddress: string): Promise<void> {
    const list = await this.resolve(principal, address);
    const agent = await this.deps.agents.resolve(principal, agentAddress);
    await this.repo.removeMember(list.id, agent.id);
  }

  async members(principal: Principal, address: string, opts: { limit: number; cursor?: string | undefined }): Promise<ListMemberPage> {
    const list = await this.resolve(principal, address);
    const rows = await this.repo.members(list.id, { limit: opts.limit, beforeId: opts.cursor ? decodeCursor(opts.cursor) : undefined });
    return toPage(rows, opts.limit, (r) => ({ agent_address: r.address, joined_at: new Date(r.created_at).toISOString() }));
  }

  /** The caller's list at `address`, or the one 404 for unknown and other accounts' lists alike. */
  private async resolve(principal: Principal, address: string): Promise<ListRow> {
    accountOnly(principal, 'manage lists');
    const row = await this.repo.byAddress(normaliseAgentAddress(address));
    if (!row || row.user_id !== principal.userId) throw new AppError('not_found', `list ${address} not found`);
    return row;
  }
}

function accountOnly(principal: Principal, what: string): void {
  if (principal.scope !== 'account') throw new AppError('forbidden', `agent-scoped keys cannot ${what}; use an account key`);
}
