import { z } from 'zod';

/** The longest retention period a setting may ask for: a hundred years, about "forever" in days. */
export const MAX_RETENTION_DAYS = 36_500;

/** Days a message is kept, counted from when it was received (or accepted, for sent mail). */
export const RetentionDays = z.number().int().min(1).max(MAX_RETENTION_DAYS);

/**
 * An agent's retention (docs/RETENTION.md): days, `null` to keep its mail forever whatever the
 * account says, or `"account"` to follow the account's setting (GET /v1/account/retention).
 */
export const AgentRetention = z
  .union([RetentionDays, z.null(), z.literal('account')])
  .meta({ id: 'AgentRetention', description: 'Days a message is kept before it goes to the trash; null keeps it forever; "account" follows the account setting' });
export type AgentRetention = z.infer<typeof AgentRetention>;

/** PATCH /v1/agents/{address}: the agent's settings to change (account keys only). */
export const UpdateAgentRequest = z
  .object({
    retention_days: AgentRetention.optional(),
  })
  .meta({ id: 'UpdateAgentRequest' });
export type UpdateAgentRequest = z.infer<typeof UpdateAgentRequest>;

/** The account's retention: what applies to every agent without a period of its own. */
export const AccountRetention = z
  .object({
    /** Days a message is kept before it goes to the trash; null keeps it forever. */
    retention_days: RetentionDays.nullable(),
    /** The server's retention.trash_days: how long a trashed message can be restored before it is purged. */
    trash_days: z.number().int(),
  })
  .meta({ id: 'AccountRetention' });
export type AccountRetention = z.infer<typeof AccountRetention>;

/** PUT /v1/account/retention (account keys only). */
export const UpdateAccountRetentionRequest = z
  .object({
    retention_days: RetentionDays.nullable(),
  })
  .meta({ id: 'UpdateAccountRetentionRequest' });
export type UpdateAccountRetentionRequest = z.infer<typeof UpdateAccountRetentionRequest>;
