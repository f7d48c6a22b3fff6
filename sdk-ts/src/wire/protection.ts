import { z } from 'zod';
import { GATE_ACTIONS, GATE_POLICIES, SCAN_SENSITIVITIES } from '../values.js';

export { GATE_ACTIONS, GATE_POLICIES, SCAN_SENSITIVITIES };

/**
 * One direction's gate. `open`: anyone. `allowlist`: only listed addresses (inbound: only when the
 * sender is DMARC-aligned and verified). `domain`: only the agent's own domain and the listed ones.
 * Mail that does not pass gets `action`.
 */
export const Gate = z.object({
  policy: z.enum(GATE_POLICIES).default('open'),
  /** Addresses (`a@example.com`) or domains (`@example.com`). */
  allowlist: z.array(z.string().max(254)).max(1000).default([]),
  action: z.enum(GATE_ACTIONS).default('review'),
});

export const Protection = z
  .object({
    inbound: Gate.prefault({}),
    outbound: Gate.prefault({}),
    /** Prompt-injection and secret/data-exfiltration scan over visible and hidden text. */
    content_scan: z
      .object({
        sensitivity: z.enum(SCAN_SENSITIVITIES).default('off'),
        action: z.enum(GATE_ACTIONS).default('review'),
      })
      .prefault({}),
    holds: z
      .object({
        ttl_seconds: z.number().int().min(60).max(30 * 86_400).default(86_400),
        on_expiry: z.enum(['approve', 'reject']).default('reject'),
      })
      .prefault({}),
    /** Reviewer addresses; empty means the account owner. */
    review_notify: z.array(z.string().max(254)).max(20).default([]),
  })
  .meta({ id: 'Protection' });
export type Protection = z.infer<typeof Protection>;
export type ProtectionInput = z.input<typeof Protection>;
