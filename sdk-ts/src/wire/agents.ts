import { z } from 'zod';
import { Timestamp, page } from './primitives.js';
import { AgentRetention } from './retention.js';

/** The shortest TTL an agent may be given (docs/EPHEMERAL.md); the longest is the server's `agents.max_ttl_days`. */
export const MIN_AGENT_TTL_SECONDS = 60;

export const Agent = z
  .object({
    id: z.string(),
    address: z.string(),
    domain: z.string(),
    display_name: z.string().nullable(),
    created_at: Timestamp,
    /** Ephemeral inboxes: when the agent, its mailbox and its agent keys stop existing; null never. */
    expires_at: Timestamp.nullable(),
    /**
     * Its retention (docs/RETENTION.md): days, null (forever) or "account" (the account's setting
     * applies). Absent only from servers older than retention.
     */
    retention_days: AgentRetention.optional(),
  })
  .meta({ id: 'Agent' });
export type Agent = z.infer<typeof Agent>;

const ttlSeconds = z
  .number()
  .int()
  .min(MIN_AGENT_TTL_SECONDS)
  .describe(`Seconds from now until the agent expires (at least ${MIN_AGENT_TTL_SECONDS}; at most the server's agents.max_ttl_days)`);
const expiresAt = Timestamp.describe('When the agent expires (RFC 3339); the same bounds as ttl_seconds');

/**
 * Create an agent either by full `address` (on the shared domain or one of your verified domains)
 * or by `local_part`, which lands on the shared domain. `ttl_seconds` or `expires_at` (at most one)
 * makes it ephemeral (docs/EPHEMERAL.md).
 */
export const CreateAgentRequest = z
  .object({
    address: z.string().max(254).optional(),
    local_part: z.string().min(1).max(64).optional(),
    display_name: z.string().max(200).nullable().optional(),
    ttl_seconds: ttlSeconds.optional(),
    expires_at: expiresAt.optional(),
  })
  .refine((v) => (v.address === undefined) !== (v.local_part === undefined), {
    message: 'give exactly one of address or local_part',
  })
  .refine((v) => v.ttl_seconds === undefined || v.expires_at === undefined, {
    message: 'give at most one of ttl_seconds or expires_at',
    path: ['ttl_seconds'],
  })
  .meta({ id: 'CreateAgentRequest' });
export type CreateAgentRequest = z.infer<typeof CreateAgentRequest>;

/** POST /v1/agents/{address}/extend: a new expiry, as `ttl_seconds` from now or as `expires_at` (exactly one). */
export const ExtendAgentRequest = z
  .object({
    ttl_seconds: ttlSeconds.optional(),
    expires_at: expiresAt.optional(),
  })
  .refine((v) => (v.ttl_seconds === undefined) !== (v.expires_at === undefined), {
    message: 'give exactly one of ttl_seconds or expires_at',
    path: ['ttl_seconds'],
  })
  .meta({ id: 'ExtendAgentRequest' });
export type ExtendAgentRequest = z.infer<typeof ExtendAgentRequest>;

export const AgentPage = page(Agent).meta({ id: 'AgentPage' });
export type AgentPage = z.infer<typeof AgentPage>;
