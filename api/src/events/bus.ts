/**
 * "An event was committed": the signal that wakes WebSocket fan-out and the webhook worker in every
 * process on the same database. PostgreSQL LISTEN/NOTIFY (the events trigger notifies at commit) on
 * a dedicated connection that reconnects; PGlite's own listen() in the embedded case. Notifications
 * can be lost (a reconnect gap), so consumers also poll: this is a latency shortcut, never the
 * source of truth, which is the events table.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import { CONNECTION_OPTIONS, type DatabaseHandle } from '../db/database.js';

export const EVENTS_CHANNEL = 'e2a_events';

export interface EventNotice {
  agentId: string | null;
  seq: number;
  /** The event type, e.g. email.received. */
  type: string;
  /** Webhook deliveries the event queued (0: the webhook worker has nothing new). */
  deliveries: number;
}

export interface EventBus {
  subscribe(listener: (notice: EventNotice) => void): () => void;
  close(): Promise<void>;
}

function parseNotice(payload: string | undefined): EventNotice | null {
  if (!payload) return null;
  const [agent, seq, type, deliveries] = payload.split(' ');
  const n = Number(seq);
  if (!Number.isFinite(n)) return null;
  return { agentId: agent || null, seq: n, type: type ?? '', deliveries: Number(deliveries ?? 0) || 0 };
}

export async function createEventBus(handle: DatabaseHandle, logger: Logger): Promise<EventBus> {
  const listeners = new Set<(notice: EventNotice) => void>();
  const emit = (payload: string | undefined) => {
    const notice = parseNotice(payload);
    if (!notice) return;
    for (const listener of listeners) {
      try {
        listener(notice);
      } catch (err) {
        logger.error({ err }, 'event listener failed');
      }
    }
  };
  const subscribe = (listener: (notice: EventNotice) => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };

  if (handle.pglite) {
    const unlisten = await handle.pglite.listen(EVENTS_CHANNEL, emit);
    return { subscribe, close: () => unlisten() };
  }

  let closed = false;
  let client: pg.Client | null = null;
  let retryMs = 100;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: handle.url!, ...CONNECTION_OPTIONS });
    let failed = false;
    // A lost connection may surface as both an 'error' event and a rejected query: reconnect once.
    const fail = (err: unknown, message: string) => {
      if (failed) return;
      failed = true;
      logger.warn({ err }, message);
      void c.end().catch(() => {});
      if (client === c) client = null;
      if (!closed) setTimeout(() => void connect(), retryMs).unref();
      retryMs = Math.min(retryMs * 2, 5000);
    };
    c.on('notification', (msg) => emit(msg.payload));
    c.on('error', (err) => fail(err, 'event bus connection lost; reconnecting'));
    try {
      await c.connect();
      await c.query(`LISTEN ${EVENTS_CHANNEL}`);
    } catch (err) {
      return fail(err, 'event bus could not listen; retrying');
    }
    if (closed) {
      // close() ran while this reconnect was under way.
      await c.end().catch(() => {});
      return;
    }
    client = c;
    retryMs = 100;
  };
  await connect();
  return {
    subscribe,
    async close() {
      closed = true;
      await client?.end().catch(() => {});
    },
  };
}
