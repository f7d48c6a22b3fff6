/**
 * Ephemeral inboxes (docs/EPHEMERAL.md): when an agent expires, and the one test of "is it gone".
 * Expiry is checked where the agent is used (RCPT, API keys, AgentsService.resolve, WebSocket
 * credential checks, local delivery) against the injected clock, so it is exact to the instant
 * whether or not the worker (workers/agent-expiry.ts) has deleted the agent yet.
 */
import { MIN_AGENT_TTL_SECONDS } from '@e2a/sdk/wire';
import { AppError } from '../errors.js';

/** The bounds of a TTL: `agents.max_ttl_days` from config, and the wire's minimum. */
export interface ExpiryBounds {
  maxTtlDays: number;
}

/** True once `expiresAt` is reached: an agent is gone from its expires_at on, not a millisecond later. */
export function isExpired(expiresAt: Date | string | null | undefined, now: Date): boolean {
  return expiresAt !== null && expiresAt !== undefined && new Date(expiresAt).getTime() <= now.getTime();
}

/**
 * The expiry a create or extend asks for, checked against the bounds; null when it asks for none.
 * A value outside them is a 422 naming the bound, so the caller knows what it may ask.
 */
export function requestedExpiry(req: { ttl_seconds?: number | undefined; expires_at?: string | undefined }, now: Date, bounds: ExpiryBounds): Date | null {
  const maxSeconds = Math.floor(bounds.maxTtlDays * 86_400);
  let seconds: number;
  let field: 'ttl_seconds' | 'expires_at';
  if (req.ttl_seconds !== undefined) {
    field = 'ttl_seconds';
    seconds = req.ttl_seconds;
  } else if (req.expires_at !== undefined) {
    field = 'expires_at';
    seconds = (new Date(req.expires_at).getTime() - now.getTime()) / 1000;
  } else {
    return null;
  }
  if (seconds < MIN_AGENT_TTL_SECONDS) {
    throw new AppError('validation_error', `${field} must be at least ${MIN_AGENT_TTL_SECONDS} seconds from now`, [
      { path: field, message: `at least ${MIN_AGENT_TTL_SECONDS} seconds from now` },
    ]);
  }
  if (seconds > maxSeconds) {
    throw new AppError('validation_error', `${field} must be at most ${bounds.maxTtlDays} days from now (agents.max_ttl_days)`, [
      { path: field, message: `at most ${bounds.maxTtlDays} days (${maxSeconds} seconds) from now` },
    ]);
  }
  return field === 'ttl_seconds' ? new Date(now.getTime() + seconds * 1000) : new Date(req.expires_at!);
}
