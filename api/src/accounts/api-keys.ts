/** Managing API keys over the API: list, create (account or agent scope), revoke. */
import type { ApiKey, ApiKeyPage, CreateApiKeyRequest, CreatedApiKey } from '@e2a/sdk/wire';
import type { AgentsService } from '../agents/service.js';
import { isoTime } from '../clock.js';
import type { Database } from '../db/database.js';
import { decodeCursor, toPage } from '../paging.js';
import { AppError } from '../errors.js';
import type { Principal } from './principal.js';
import { AccountsRepo } from './repo.js';
import type { AccountCaps } from '../limits/account-caps.js';
import type { AccountsService } from './service.js';

export class ApiKeysService {
  private readonly repo: AccountsRepo;

  constructor(private readonly deps: { db: Database; accounts: AccountsService; agents: AgentsService; caps: AccountCaps }) {
    this.repo = new AccountsRepo(deps.db);
  }

  private requireAccount(principal: Principal): void {
    if (principal.scope !== 'account') throw new AppError('forbidden', 'agent-scoped keys cannot manage API keys; use an account key');
  }

  async list(principal: Principal, opts: { limit: number; cursor?: string | undefined }): Promise<ApiKeyPage> {
    this.requireAccount(principal);
    const rows = await this.repo.listKeys(principal.userId, { limit: opts.limit, beforeId: opts.cursor ? decodeCursor(opts.cursor) : undefined });
    return toPage(rows, opts.limit, (r): ApiKey => ({
      id: r.id,
      name: r.name,
      prefix: r.prefix,
      scope: r.scope,
      agent_address: r.agent_address ?? null,
      created_at: isoTime(r.created_at),
      last_used_at: isoTime(r.last_used_at),
      revoked_at: isoTime(r.revoked_at),
    }));
  }

  async create(principal: Principal, req: { name: string; scope: 'account' | 'agent'; agent_address?: string | undefined }): Promise<CreatedApiKey> {
    this.requireAccount(principal);
    const agent = req.scope === 'agent' ? await this.deps.agents.resolve(principal, req.agent_address!) : null;
    const issued = await this.deps.db.transaction().execute(async (tx) => {
      await this.deps.caps.check(tx, principal.userId, 'api_keys');
      return this.deps.accounts.issueKey(tx, principal.userId, { name: req.name, scope: req.scope, agentId: agent?.id ?? null });
    });
    return {
      id: issued.id,
      key: issued.key,
      name: req.name,
      prefix: issued.prefix,
      scope: req.scope,
      agent_address: agent?.address ?? null,
      created_at: issued.createdAt.toISOString(),
      last_used_at: null,
      revoked_at: null,
    };
  }

  async revoke(principal: Principal, keyId: string): Promise<void> {
    this.requireAccount(principal);
    await this.deps.accounts.revokeKey(principal, keyId);
  }
}

export type { CreateApiKeyRequest };
