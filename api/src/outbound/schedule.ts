/**
 * Scheduled sending: when a send asked to go out (`send_at`), checked at acceptance like every other
 * limit (a 422 that names the field and the key). The gate runs at acceptance too, not when the
 * time comes: a held message waits for its reviewer now, who sees it long before it would leave,
 * and an agent learns of a block while it can still act on it (docs/OUTBOUND.md).
 *
 * The message row is the job, as for any send: status `scheduled` with next_attempt_at = send_at,
 * claimed by the outbound worker's ordinary lease-taking claim (outbound/repo.ts claimDue) once due,
 * which makes it `queued` in the same statement. Cancelling is a conditional UPDATE on
 * `status = 'scheduled'`, so a cancel and a claim on the same row cannot both win.
 */
import { AppError } from '../errors.js';

const DAY_MS = 86_400_000;

const invalid = (path: string, message: string) => new AppError('validation_error', `${path} ${message}`, [{ path, message }]);

/**
 * The time to send at, or null to send now. `send_at` must be in the future and at most
 * `maxDays` ahead (outbound.max_schedule_days); a per-message `expires_at` must come after it, or
 * the copies would vanish before they arrive.
 */
export function scheduledSendAt(request: { sendAt: string | null | undefined; expiresAt: string | null | undefined }, now: Date, maxDays: number): Date | null {
  if (!request.sendAt) return null;
  const at = new Date(request.sendAt);
  if (at <= now) throw invalid('body.send_at', 'must be in the future: it is when the message is to go out (omit it to send now)');
  if (at.getTime() - now.getTime() > maxDays * DAY_MS) {
    throw invalid('body.send_at', `is more than outbound.max_schedule_days = ${maxDays} days ahead`);
  }
  if (request.expiresAt && new Date(request.expiresAt) <= at) {
    throw invalid('body.expires_at', 'must be after send_at: copies would expire before the message is sent');
  }
  return at;
}

/** Status and due time of an accepted message the gate let through: scheduled for later, or queued now. */
export function releaseAt(sendAt: Date | null, now: Date): { status: 'scheduled' | 'queued'; nextAttemptAt: Date } {
  return sendAt && sendAt > now ? { status: 'scheduled', nextAttemptAt: sendAt } : { status: 'queued', nextAttemptAt: now };
}
