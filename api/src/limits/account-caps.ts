/**
 * Caps on what one account may hold (agents, live API keys, webhooks), checked in the transaction
 * that creates one: the account's row is locked first, so two creates at once cannot both slip
 * under the cap. Over it: 402 `quota_exceeded`, naming the cap and its setting. 0 is no cap.
 */
import { sql } from 'kysely';
import type { Database } from '../db/database.js';
import { AppError } from '../errors.js';

export type CappedResource = 'agents' | 'api_keys' | 'webhooks';

const SETTING: Record<CappedResource, string> = {
  agents: 'api_limits.max_agents_per_account',
  api_keys: 'api_limits.max_api_keys_per_account',
  webhooks: 'api_limits.max_webhooks_per_account',
};

export class AccountCaps {
  constructor(private readonly caps: Readonly<Record<CappedResource, number>>) {}

  /** Call inside the creating transaction, before the insert. */
  async check(tx: Database, userId: string, resource: CappedResource): Promise<void> {
    const cap = this.caps[resource];
    if (cap <= 0) return;
    await sql`SELECT id FROM users WHERE id = ${userId} FOR UPDATE`.execute(tx);
    const held = await count(tx, userId, resource);
    if (held >= cap) {
      throw new AppError('quota_exceeded', `this account already has ${held} ${resource.replace('_', ' ')}, the cap (${SETTING[resource]} = ${cap}); delete one or ask the operator to raise it`);
    }
  }
}

async function count(tx: Database, userId: string, resource: CappedResource): Promise<number> {
  const n = sql<number>`count(*)::int`.as('n');
  const row =
    resource === 'agents'
      ? await tx.selectFrom('agents').select(n).where('user_id', '=', userId).executeTakeFirstOrThrow()
      : resource === 'webhooks'
        ? await tx.selectFrom('webhooks').select(n).where('user_id', '=', userId).executeTakeFirstOrThrow()
        : await tx.selectFrom('api_keys').select(n).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirstOrThrow();
  return row.n;
}
