/**
 * "An event was committed": the signal that wakes WebSocket fan-out and the webhook worker in every
 * process on the same database. PostgreSQL LISTEN/NOTIFY (the events trigger notifies at commit) on
 * a dedicated connection that reconnects; PGlite's own listen() in the embedded case. Notifications
 * can be lost (a reconnect gap), so consumers also poll: this is a latency shortcut, never the
 * source of truth, which is the events table.
 *
 * The same connection carries revocation notices (revocations.ts): a key revoked or an agent deleted
 * on any replica, so each process can close the connections that authenticated with it.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import { CONNECTION_OPTIONS, type DatabaseHandle } from '../db/database.js';
import { parseRevocation, REVOCATIONS_CHANNEL, type Revocation, type RevocationFeed } from './revocations.js';

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

/** One set of subscribers; a subscriber that throws is logged and does not stop the others. */
function fanOut<T>(logger: Logger, what: string) {
  const listeners = new Set<(value: T) => void>();
  return {
    emit(value: T) {
      for (const listener of listeners) {
        try {
          listener(value);
        } catch (err) {
          logger.error({ err }, `${what} listener failed`);
        }
      }
    },
    subscribe(listener: (value: T) => void) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}

export async function createEventBus(handle: DatabaseHandle, logger: Logger): Promise<EventBus & RevocationFeed> {
  const events = fanOut<EventNotice>(logger, 'event');
  const revocations = fanOut<Revocation>(logger, 'revocation');
  const emit = (payload: string | undefined) => {
    const notice = parseNotice(payload);
    if (notice) events.emit(notice);
  };
  const emitRevocation = (payload: string | undefined) => {
    const revocation = parseRevocation(payload);
    if (revocation) revocations.emit(revocation);
  };
  const subscribe = events.subscribe;
  const onRevocation = revocations.subscribe;

  if (handle.pglite) {
    const unlisten = await handle.pglite.listen(EVENTS_CHANNEL, emit);
    const unlistenRevocations = await handle.pglite.listen(REVOCATIONS_CHANNEL, emitRevocation);
    return {
      subscribe,
      onRevocation,
      close: async () => {
        await unlisten();
        await unlistenRevocations();
      },
    };
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
    c.on('notification', (msg) => (msg.channel === REVOCATIONS_CHANNEL ? emitRevocation(msg.payload) : emit(msg.payload)));
    c.on('error', (err) => fail(err, 'event bus connection lost; reconnecting'));
    try {
      await c.connect();
      await c.query(`LISTEN ${EVENTS_CHANNEL}; LISTEN ${REVOCATIONS_CHANNEL}`);
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
    onRevocation,
    async close() {
      closed = true;
      await client?.end().catch(() => {});
    },
  };
}
