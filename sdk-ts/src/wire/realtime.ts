/**
 * The WebSocket contract of `GET /v1/agents/{address}/ws` (docs/REALTIME.md): the frames both sides
 * send, and the one table of close codes. The server closes with these codes and the SDK maps them
 * back to a reason; nothing else on either side invents a code.
 */
import { z } from 'zod';
import { Event } from './events.js';

/**
 * Close codes. 1000–1015 are RFC 6455 §7.4.1 codes; 4000–4999 are reserved for applications
 * (RFC 6455 §7.4.2), which is where every e2a-specific reason lives.
 */
export const CLOSE = {
  /** Client or server ended the session normally. */
  normal: 1000,
  /** The server is shutting down (or restarting); reconnect, to this or another replica. */
  serverShutdown: 1001,
  /** A frame larger than the server accepts (set by the ws library). */
  tooBig: 1009,
  /** The server failed unexpectedly; reconnect with backoff. */
  internalError: 1011,
  /** No credential: neither an Authorization header nor an auth frame within the auth timeout. */
  authTimeout: 4000,
  /** The API key is malformed, unknown or revoked. Do not retry with the same key. */
  authFailed: 4001,
  /** A credential (token, key) was put in the URL; it is refused so it never reaches access logs. */
  credentialInUrl: 4002,
  /** The agent does not exist or this key may not see it (one code, so existence does not leak). */
  notFound: 4003,
  /** A frame that is not JSON, not a known type, or out of order (e.g. ack before auth). */
  badFrame: 4004,
  /** The client read too slowly and the server's send buffer filled; unacked events replay on reconnect. */
  slowConsumer: 4005,
  /**
   * The key this connection authenticated with was revoked, or the agent was deleted, while it was
   * open. Do not reconnect with the same key: create a new key, or check the agent still exists.
   */
  revoked: 4006,
  /** Too many connections from this key, or unauthenticated ones from this client; the reason says when to retry. */
  rateLimited: 4007,
  /** The agent already has as many listeners open as allowed (api_limits.max_listeners_per_agent); retry later. */
  tooManyListeners: 4008,
} as const;
export type CloseName = keyof typeof CLOSE;
export type CloseCode = (typeof CLOSE)[CloseName];

/** The table's name for a close code, or null for a code it does not define. */
export function closeName(code: number): CloseName | null {
  for (const [name, value] of Object.entries(CLOSE)) if (value === code) return name as CloseName;
  return null;
}

/** Close codes after which reconnecting with the same request cannot succeed. */
export const FATAL_CLOSE_CODES: readonly CloseCode[] = [CLOSE.authFailed, CLOSE.credentialInUrl, CLOSE.notFound, CLOSE.revoked];

// ---- client → server -------------------------------------------------------------------------

/** First frame when the client cannot send an Authorization header (browsers, Node's WebSocket). */
export const AuthFrame = z.object({
  type: z.literal('auth'),
  token: z.string().min(1).max(512),
  /** Start after this event id instead of at the oldest unacknowledged one (same as `resume`). */
  after: z.string().max(128).optional(),
});
/** Marks an event delivered for every listener of the agent: it is not replayed again. */
export const AckFrame = z.object({ type: z.literal('ack'), event_id: z.string().min(1).max(128) });
/** Continue with the unacknowledged events after this one, in order. */
export const ResumeFrame = z.object({ type: z.literal('resume'), after: z.string().min(1).max(128) });

export const ClientFrame = z.discriminatedUnion('type', [AuthFrame, AckFrame, ResumeFrame]);
export type ClientFrame = z.infer<typeof ClientFrame>;
export type AuthFrame = z.infer<typeof AuthFrame>;
export type AckFrame = z.infer<typeof AckFrame>;
export type ResumeFrame = z.infer<typeof ResumeFrame>;

// ---- server → client -------------------------------------------------------------------------

/** Sent once, after authentication; replayed and live events follow. */
export const ReadyFrame = z.object({
  type: z.literal('ready'),
  agent: z.object({ id: z.string(), address: z.string() }),
  /** The server pings at this interval; a peer that misses a pong is dropped. */
  ping_interval_ms: z.number().int(),
});
/** One event: the same envelope (and id) as webhooks and `GET /v1/events`. */
export const EventFrame = z.object({ type: z.literal('event'), event: Event });
/** The ack was recorded (or the event was already acknowledged). */
export const AckedFrame = z.object({ type: z.literal('acked'), event_id: z.string() });

export const REALTIME_ERROR_CODES = ['unknown_event', 'bad_frame', 'already_authenticated'] as const;
/** A recoverable problem with one client frame; the session stays open. */
export const ErrorFrame = z.object({
  type: z.literal('error'),
  code: z.enum(REALTIME_ERROR_CODES),
  message: z.string(),
  event_id: z.string().optional(),
});

export const ServerFrame = z.discriminatedUnion('type', [ReadyFrame, EventFrame, AckedFrame, ErrorFrame]);
export type ServerFrame = z.infer<typeof ServerFrame>;
export type ReadyFrame = z.infer<typeof ReadyFrame>;
export type EventFrame = z.infer<typeof EventFrame>;
export type AckedFrame = z.infer<typeof AckedFrame>;
export type ErrorFrame = z.infer<typeof ErrorFrame>;
