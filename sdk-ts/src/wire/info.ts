import { z } from 'zod';

export const Health = z.object({ status: z.enum(['ok', 'unavailable']) }).meta({ id: 'Health' });

export const Info = z
  .object({
    name: z.literal('e2a'),
    version: z.string(),
    public_url: z.string(),
    shared_domain: z.string(),
    smtp: z.object({ host: z.string(), port: z.number().int(), max_message_bytes: z.number().int() }),
    /** Present when the request carried a valid API key. */
    auth: z
      .object({
        user_id: z.string(),
        email: z.string(),
        scope: z.enum(['account', 'agent']),
        agent_address: z.string().nullable(),
      })
      .nullable(),
  })
  .meta({ id: 'Info' });
export type Info = z.infer<typeof Info>;
