import { z } from 'zod';

/** Sender-authentication results as RFC 7601 names them. */
export const AUTH_STATUSES = ['pass', 'fail', 'softfail', 'neutral', 'none', 'temperror', 'permerror', 'policy'] as const;
export const AuthStatus = z.enum(AUTH_STATUSES);
export type AuthStatus = z.infer<typeof AuthStatus>;

/** The structured verdict that travels beside the signed X-E2A-Auth-* claims. */
export const Authentication = z
  .object({
    spf: z.object({ status: AuthStatus, domain: z.string().nullable(), aligned: z.boolean() }),
    dkim: z.array(
      z.object({ status: AuthStatus, domain: z.string().nullable(), selector: z.string().nullable(), aligned: z.boolean() }),
    ),
    dmarc: z.object({ status: AuthStatus, domain: z.string().nullable(), policy: z.string().nullable() }),
    arc: z.object({ status: AuthStatus }),
    verified: z.boolean(),
    sender: z.string().nullable(),
  })
  .meta({ id: 'Authentication' });
export type Authentication = z.infer<typeof Authentication>;
