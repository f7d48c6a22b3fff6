import { z } from 'zod';
import { Timestamp, page } from './primitives.js';

export const Agent = z
  .object({
    id: z.string(),
    address: z.string(),
    domain: z.string(),
    display_name: z.string().nullable(),
    created_at: Timestamp,
  })
  .meta({ id: 'Agent' });
export type Agent = z.infer<typeof Agent>;

/**
 * Create an agent either by full `address` (on the shared domain or one of your verified domains)
 * or by `local_part`, which lands on the shared domain.
 */
export const CreateAgentRequest = z
  .object({
    address: z.string().max(254).optional(),
    local_part: z.string().min(1).max(64).optional(),
    display_name: z.string().max(200).nullable().optional(),
  })
  .refine((v) => (v.address === undefined) !== (v.local_part === undefined), {
    message: 'give exactly one of address or local_part',
  })
  .meta({ id: 'CreateAgentRequest' });
export type CreateAgentRequest = z.infer<typeof CreateAgentRequest>;

export const AgentPage = page(Agent).meta({ id: 'AgentPage' });
export type AgentPage = z.infer<typeof AgentPage>;
