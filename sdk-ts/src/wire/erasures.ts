/**
 * Erasures (docs/DATA.md): DELETE /v1/account and DELETE /v1/agents/{address}. The scope is disabled
 * at once and erased after the server's grace period (erasure.grace_period_hours), cancellable until
 * then; `erased` reports the rows deleted, table by table.
 */
import { z } from 'zod';
import { Timestamp, page } from './primitives.js';

export const ERASURE_SCOPES = ['account', 'agent'] as const;
export const ERASURE_STATUSES = ['scheduled', 'cancelled', 'erasing', 'done'] as const;
export type ErasureStatus = (typeof ERASURE_STATUSES)[number];

export const Erasure = z
  .object({
    id: z.string(),
    scope: z.enum(ERASURE_SCOPES),
    /** The agent's address or the account's email; null once an account erasure is done. */
    target: z.string().nullable(),
    /** scheduled (disabled, cancellable) → erasing → done; or cancelled. */
    status: z.enum(ERASURE_STATUSES),
    requested_at: Timestamp,
    /** The end of the grace period: erasure starts then, and cancelling is possible until then. */
    erase_after: Timestamp,
    cancelled_at: Timestamp.nullable(),
    completed_at: Timestamp.nullable(),
    /** Rows deleted so far, per table (the report once status is done). */
    erased: z.record(z.string(), z.number().int()),
  })
  .meta({ id: 'Erasure' });
export type Erasure = z.infer<typeof Erasure>;

/** The answer to a deletion request: the erasure and, shown once, the token that cancels it. */
export const ScheduledErasure = Erasure.extend({
  /**
   * Cancels the erasure during the grace period (POST /v1/erasures/{id}/cancel), with no key needed.
   * Only in the answer to the request that scheduled it; a repeated request answers without it.
   */
  cancel_token: z.string().optional(),
}).meta({ id: 'ScheduledErasure' });
export type ScheduledErasure = z.infer<typeof ScheduledErasure>;

export const ErasurePage = page(Erasure).meta({ id: 'ErasurePage' });
export type ErasurePage = z.infer<typeof ErasurePage>;

/**
 * DELETE /v1/agents/{address}?confirm=<the same address>: a deletion must name what it deletes twice
 * (as DELETE /v1/webhooks/{id} needs ?confirm=DELETE); without it the answer is 422 saying so.
 */
export const DeleteAgentQuery = z.object({ confirm: z.string().max(254).optional() });
export type DeleteAgentQuery = z.infer<typeof DeleteAgentQuery>;

/** DELETE /v1/account?confirm=<the account's email>. */
export const DeleteAccountQuery = z.object({ confirm: z.string().max(254).optional() });
export type DeleteAccountQuery = z.infer<typeof DeleteAccountQuery>;

/** POST /v1/erasures/{id}/cancel: the token from the deletion's answer (or the notice mail). */
export const CancelErasureRequest = z.object({ token: z.string().min(1).max(200) }).meta({ id: 'CancelErasureRequest' });
export type CancelErasureRequest = z.infer<typeof CancelErasureRequest>;
