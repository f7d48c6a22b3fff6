/**
 * The WebSocket contract of `GET /v1/agents/{address}/ws` (docs/REALTIME.md): the frames both sides
 * send, and the one table of close codes. The server closes with these codes and the SDK maps them
 * back to a reason; nothing else on either side invents a code.
 */
import { z } from 'zod';
import { EmailEvent } from './events.js';

/**
 * Close codes. 1000–1015 are RFC 6455 §7.4.1 codes; 4000–4999 are reserved for applications
 * (RFC 6455 §7.4.2), which is where every e2a-specific reason lives. What each means is in
 * CLOSE_MEANINGS, which the AsyncAPI and OpenAPI documents publish.
 */
export const CLOSE = {
  normal: 1000,
  serverShutdown: 1001,
  tooBig: 1009,
  internalError: 1011,
  authTimeout: 4000,
  authFailed: 4001,
  credentialInUrl: 4002,
  notFound: 4003,
  badFrame: 4004,
  slowConsumer: 4005,
  revoked: 4006,
  rateLimited: 4007,
  tooManyListeners: 4008,
} as const;

/** What each close code means, and what the client should do about it. */
export const CLOSE_MEANINGS: Record<keyof typeof CLOSE, string> = {
  normal: 'Client or server ended the session normally.',
  serverShutdown: 'The server is shutting down (or restarting); reconnect, to this or another replica.',
  tooBig: 'A frame larger than the server accepts (set by the ws library).',
  internalError: 'The server failed unexpectedly; reconnect with backoff.',
  authTimeout: 'No credential: neither an Authorization header nor an auth frame within the auth timeout.',
  authFailed: 'The API key is malformed, unknown or revoked. Do not retry with the same key.',
  credentialInUrl: 'A credential (token, key) was put in the URL; it is refused so it never reaches access logs.',
  notFound: 'The agent does not exist or this key may not see it (one code, so existence does not leak).',
  badFrame: 'A frame that is not JSON, not a known type, or out of order (e.g. ack before auth).',
  slowConsumer: "The client read too slowly and the server's send buffer filled; unacked events replay on reconnect.",
  revoked:
    'The key this connection authenticated with was revoked, or the agent was deleted, while it was open. Do not reconnect with the same key: create a new key, or check the agent still exists.',
  rateLimited: 'Too many connections from this key, or unauthenticated ones from this client; the reason says when to retry.',
  tooManyListeners: 'The agent already has as many listeners open as allowed (api_limits.max_listeners_per_agent); retry later.',
};
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

export const AuthFrame = z.object({
  type: z.literal('auth'),
  token: z.string().min(1).max(512),
  /** Start after this event id instead of at the oldest unacknowledged one (same as `resume`). */
  after: z.string().max(128).optional(),
}).meta({ id: 'AuthFrame', description: "First frame when the client cannot send an Authorization header (browsers, Node's WebSocket)." });
export const AckFrame = z.object({ type: z.literal('ack'), event_id: z.string().min(1).max(128) }).meta({ id: 'AckFrame', description: 'Marks an event delivered for every listener of the agent: it is not replayed again.' });
export const ResumeFrame = z.object({ type: z.literal('resume'), after: z.string().min(1).max(128) }).meta({ id: 'ResumeFrame', description: 'Continue with the unacknowledged events after this one, in order.' });

export const ClientFrame = z.discriminatedUnion('type', [AuthFrame, AckFrame, ResumeFrame]);
export type ClientFrame = z.infer<typeof ClientFrame>;
export type AuthFrame = z.infer<typeof AuthFrame>;
export type AckFrame = z.infer<typeof AckFrame>;
export type ResumeFrame = z.infer<typeof ResumeFrame>;

// ---- server → client -------------------------------------------------------------------------

export const ReadyFrame = z.object({
  type: z.literal('ready'),
  agent: z.object({ id: z.string(), address: z.string() }),
  /** The server pings at this interval; a peer that misses a pong is dropped. */
  ping_interval_ms: z.number().int(),
}).meta({ id: 'ReadyFrame', description: 'Sent once, after authentication; replayed and live events follow.' });
export const EventFrame = z.object({ type: z.literal('event'), event: EmailEvent }).meta({ id: 'EventFrame', description: 'One event: the same envelope (and id) as webhooks and `GET /v1/events`.' });
export const AckedFrame = z.object({ type: z.literal('acked'), event_id: z.string() }).meta({ id: 'AckedFrame', description: 'The ack was recorded (or the event was already acknowledged).' });

export const REALTIME_ERROR_CODES = ['unknown_event', 'bad_frame', 'already_authenticated'] as const;
export const ErrorFrame = z.object({
  type: z.literal('error'),
  code: z.enum(REALTIME_ERROR_CODES),
  message: z.string(),
  event_id: z.string().optional(),
}).meta({ id: 'ErrorFrame', description: 'A recoverable problem with one client frame; the session stays open.' });

export const ServerFrame = z.discriminatedUnion('type', [ReadyFrame, EventFrame, AckedFrame, ErrorFrame]);
export type ServerFrame = z.infer<typeof ServerFrame>;
export type ReadyFrame = z.infer<typeof ReadyFrame>;
export type EventFrame = z.infer<typeof EventFrame>;
export type AckedFrame = z.infer<typeof AckedFrame>;
export type ErrorFrame = z.infer<typeof ErrorFrame>;
