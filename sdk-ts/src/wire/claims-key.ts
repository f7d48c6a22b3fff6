import { z } from 'zod';
import { Timestamp } from './primitives.js';

/**
 * An account's key for the X-E2A-Auth-* claims on its mail (docs/API.md, "Auth claims"). Each account
 * has its own, so no tenant can sign claims another tenant's agents would accept. Account and agent
 * keys may read it (agents verify claims); only account keys may rotate it. After a rotation the
 * previous key still verifies for 24 hours.
 */
export const ClaimsKey = z
  .object({
    /** Signs this account's claims from now on. */
    key: z.string(),
    /** The key before the last rotation, while it still verifies; null otherwise. */
    previous_key: z.string().nullable(),
    previous_key_expires_at: Timestamp.nullable(),
    /** Every key that verifies now, current first: pass them all to verifyAuthClaims. */
    verification_keys: z.array(z.string()).min(1),
    created_at: Timestamp,
    rotated_at: Timestamp.nullable(),
  })
  .meta({ id: 'ClaimsKey' });
export type ClaimsKey = z.infer<typeof ClaimsKey>;
