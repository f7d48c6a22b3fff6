/**
 * The account's retention period (docs/RETENTION.md): what applies to every agent that has no
 * period of its own (an agent's is set with PATCH /v1/agents/{address}, agents/service.ts).
 */
import type { AccountRetention, UpdateAccountRetentionRequest } from '@e2a/sdk/wire';
import type { Principal } from '../accounts/principal.js';
import type { Database } from '../db/database.js';
import { AppError } from '../errors.js';
import { accountRetentionDays, setAccountRetentionDays } from './repo.js';

export class RetentionSettings {
  constructor(private readonly deps: { db: Database; trashDays: number }) {}

  /** Account and agent keys alike: an agent's mail is kept by this setting unless its own says otherwise. */
  async get(principal: Principal): Promise<AccountRetention> {
    return { retention_days: await accountRetentionDays(this.deps.db, principal.userId), trash_days: this.deps.trashDays };
  }

  async update(principal: Principal, req: UpdateAccountRetentionRequest): Promise<AccountRetention> {
    if (principal.scope !== 'account') throw new AppError('forbidden', "agent-scoped keys cannot change the account's retention; use an account key");
    await setAccountRetentionDays(this.deps.db, principal.userId, req.retention_days);
    return this.get(principal);
  }
}
