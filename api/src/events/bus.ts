/**
 * "An event was committed": the signal that wakes WebSocket fan-out and the workers of the processes
 * on the same database that can have work from it. PostgreSQL LISTEN/NOTIFY (the events trigger
 * notifies at commit, on the channels and in the format outbox.ts owns) on a dedicated connection
 * that reconnects; PGlite's own listen() in the embedded case. Every process hears the events that
 * queued webhook deliveries or made mail due; an agent's feed events only while something in the
 * process watches that agent (watchAgent: its WebSocket listeners, a send waiting for its outcome),
 * so a replica without them spends nothing on the mail the others receive. Notifications can be
 * lost (a reconnect gap), so consumers also poll: this is a latency shortcut, never the source of
 * truth, which is the events table.
 *
 * The same connection carries revocation notices (revocations.ts): a key revoked or an agent deleted
 * on any replica, so each process can close the connections that authenticated with it; and agent
 * change notices (AGENTS_CHANNEL, written by a trigger, migrations/0016): each process forgets what
 * it cached about that agent. After a reconnect, whose gap may have lost notices, agent-change
 * listeners hear `null`: forget everything.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import { CONNECTION_OPTIONS, type DatabaseHandle } from '../db/database.js';
import { agentChannel, DELIVERIES_CHANNEL, MAIL_DUE_CHANNEL, parseNotice, type EventNotice } from './outbox.js';
import { parseRevocation, REVOCATIONS_CHANNEL, type Revocation, type RevocationFeed } from './revocations.js';

export type { EventNotice };

/** Written by the agents_changed trigger (migrations/0016_agent_change_notice.sql); the payload is the agent's id. */
export const AGENTS_CHANNEL = 'e2a_agents';

/** "What you know about this agent may be stale" (its id), or null: "about any agent". */
export interface AgentChangeFeed {
  onAgentChange(listener: (agentId: string | null) => void): () => void;
}

export interface EventBus {
  /** Every notice this process hears, each once: the shared channels and the agents watched. */
  subscribe(listener: (notice: EventNotice) => void): () => void;
  /**
   * Hear the events in this agent's feeds too, until the returned function is called (counted: the
   * agent stays heard while anyone watches it). Resolves once listening, so an event committed
   * after that is announced; if the connection is down it resolves at once and the reconnect
   * listens (the gap is a lost notice, which consumers' polls cover).
   */
  watchAgent(agentId: string): Promise<() => void>;
  close(): Promise<void>;
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

export async function createEventBus(handle: DatabaseHandle, logger: Logger): Promise<EventBus & RevocationFeed & AgentChangeFeed> {
  const events = fanOut<EventNotice>(logger, 'event');
  const revocations = fanOut<Revocation>(logger, 'revocation');
  const agentChanges = fanOut<string | null>(logger, 'agent change');
  const emitAgentChange = (payload: string | undefined) => {
    if (payload) agentChanges.emit(payload);
  };
  const onAgentChange = agentChanges.subscribe;
  // An event notified on two channels this process hears comes twice, one notice right after the
  // other on another channel (a transaction's notices arrive in order): pass it on once.
  let last = { seq: -1, channel: '' };
  const emit = (channel: string, payload: string | undefined) => {
    const notice = parseNotice(payload);
    if (!notice) return;
    const again = notice.seq === last.seq && channel !== last.channel;
    last = { seq: notice.seq, channel };
    if (!again) events.emit(notice);
  };
  /** Channels of watched agents: how many watch each, and its LISTEN. */
  const watched = new Map<string, { count: number; listening: Promise<void> }>();
  const watchAgentWith = (listen: (channel: string) => Promise<void>, unlisten: (channel: string) => void) => async (agentId: string) => {
    const channel = agentChannel(agentId);
    let entry = watched.get(channel);
    if (!entry) {
      entry = { count: 0, listening: listen(channel) };
      watched.set(channel, entry);
    }
    const mine = entry;
    mine.count++;
    await mine.listening;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--mine.count > 0 || watched.get(channel) !== mine) return;
      watched.delete(channel);
      unlisten(channel);
    };
  };
  const emitRevocation = (payload: string | undefined) => {
    const revocation = parseRevocation(payload);
    if (revocation) revocations.emit(revocation);
  };
  const subscribe = events.subscribe;
  const onRevocation = revocations.subscribe;

  if (handle.pglite) {
    const pglite = handle.pglite;
    const unlistens = await Promise.all([
      pglite.listen(DELIVERIES_CHANNEL, (payload) => emit(DELIVERIES_CHANNEL, payload)),
      pglite.listen(MAIL_DUE_CHANNEL, (payload) => emit(MAIL_DUE_CHANNEL, payload)),
      pglite.listen(REVOCATIONS_CHANNEL, emitRevocation),
      pglite.listen(AGENTS_CHANNEL, emitAgentChange),
    ]);
    const agentUnlistens = new Map<string, () => Promise<void>>();
    const watchAgent = watchAgentWith(
      async (channel) => {
        // Quoted: PGlite folds an unquoted name to lower case, as PostgreSQL does.
        agentUnlistens.set(channel, await pglite.listen(`"${channel}"`, (payload) => emit(channel, payload)));
      },
      // Called at once (not after an await), so a LISTEN asked for next is queued after it.
      (channel) => {
        const unlisten = agentUnlistens.get(channel);
        agentUnlistens.delete(channel);
        void unlisten?.().catch(() => {});
      },
    );
    return {
      subscribe,
      watchAgent,
      onRevocation,
      onAgentChange,
      close: async () => {
        for (const unlisten of unlistens) await unlisten();
        for (const unlisten of agentUnlistens.values()) await unlisten();
        agentUnlistens.clear();
      },
    };
  }

  let closed = false;
  let client: pg.Client | null = null;
  let retryMs = 100;
  let hadConnection = false;
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
    // Every other channel this connection listens to carries event notices.
    c.on('notification', (msg) =>
      msg.channel === REVOCATIONS_CHANNEL ? emitRevocation(msg.payload) : msg.channel === AGENTS_CHANNEL ? emitAgentChange(msg.payload) : emit(msg.channel, msg.payload),
    );
    c.on('error', (err) => fail(err, 'event bus connection lost; reconnecting'));
    try {
      await c.connect();
      await c.query([DELIVERIES_CHANNEL, MAIL_DUE_CHANNEL, REVOCATIONS_CHANNEL, AGENTS_CHANNEL].map((channel) => `LISTEN ${quoteChannel(channel)}`).join('; '));
    } catch (err) {
      return fail(err, 'event bus could not listen; retrying');
    }
    if (closed) {
      // close() ran while this reconnect was under way.
      await c.end().catch(() => {});
      return;
    }
    // Notices committed while no connection listened are lost: caches start over.
    if (hadConnection) agentChanges.emit(null);
    hadConnection = true;
    client = c;
    retryMs = 100;
    // The agents watched so far; from here on watchAgent listens on this connection itself, and the
    // client runs the statements in the order they were given.
    const agents = [...watched.keys()];
    if (agents.length > 0) await c.query(agents.map((channel) => `LISTEN ${quoteChannel(channel)}`).join('; ')).catch(() => {});
  };
  await connect();
  // A lost connection fails these, and the reconnect listens to every watched channel again.
  const watchAgent = watchAgentWith(
    (channel) => (client ? client.query(`LISTEN ${quoteChannel(channel)}`).then(() => {}, () => {}) : Promise.resolve()),
    (channel) => void client?.query(`UNLISTEN ${quoteChannel(channel)}`).catch(() => {}),
  );
  return {
    subscribe,
    watchAgent,
    onRevocation,
    onAgentChange,
    async close() {
      closed = true;
      await client?.end().catch(() => {});
    },
  };
}

/** A channel name as a quoted identifier (an agent's id may end in characters LISTEN would fold). */
function quoteChannel(channel: string): string {
  return `"${channel.replaceAll('"', '""')}"`;
}
