import { z } from 'zod';
import { Timestamp, page } from './primitives.js';

export const ApiKey = z
  .object({
    id: z.string(),
    name: z.string(),
    /** The first characters of the key, for recognising it; the key itself is shown once. */
    prefix: z.string(),
    scope: z.enum(['account', 'agent']),
    agent_address: z.string().nullable(),
    created_at: Timestamp,
    last_used_at: Timestamp.nullable(),
    revoked_at: Timestamp.nullable(),
  })
  .meta({ id: 'ApiKey' });
export type ApiKey = z.infer<typeof ApiKey>;

export const CreatedApiKey = ApiKey.extend({ key: z.string() }).meta({ id: 'CreatedApiKey' });
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;

export const CreateApiKeyRequest = z
  .object({
    name: z.string().max(100).default(''),
    scope: z.enum(['account', 'agent']).default('account'),
    agent_address: z.string().max(254).optional(),
  })
  .refine((v) => (v.scope === 'agent') === (v.agent_address !== undefined), {
    message: 'agent_address is required for scope "agent" and not allowed for scope "account"',
  })
  .meta({ id: 'CreateApiKeyRequest' });
export type CreateApiKeyRequest = z.input<typeof CreateApiKeyRequest>;

export const ApiKeyPage = page(ApiKey).meta({ id: 'ApiKeyPage' });
export type ApiKeyPage = z.infer<typeof ApiKeyPage>;
