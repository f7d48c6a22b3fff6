/**
 * The WebSocket contract of `GET /v1/agents/{address}/ws` (docs/REALTIME.md): the frames both sides
 * send, and the one table of close codes. The server closes with these codes and the SDK maps them
 * back to a reason; nothing else on either side invents a code.
 */
import { z } from 'zod';
import { EmailEvent } from './events.js';
import { CLOSE, CLOSE_MEANINGS, closeName, FATAL_CLOSE_CODES, type CloseCode, type CloseName } from '../values.js';

export { CLOSE, CLOSE_MEANINGS, closeName, FATAL_CLOSE_CODES, type CloseCode, type CloseName };

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
