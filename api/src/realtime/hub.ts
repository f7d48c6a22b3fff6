/**
 * The realtime hub: which agents have listeners in this process, and feeding them events from the
 * events table. Cheap when idle: listeners are grouped per agent, a notice costs one query per agent
 * (not per listener), and the fallback poll is one statement for all agents with listeners. No
 * per-listener timers.
 *
 * Each listener first replays on its own (replay.ts) up to the agent's live position `agent.seq`;
 * from then on it is fed by the agent's shared fetches of everything after `agent.seq`.
 *
 * Sequence numbers are taken at insert but become visible at commit, so on PostgreSQL a lower seq
 * can commit after a higher one was already fetched. The notice carries the seq, so such a "late"
 * event is fetched by its number and sent when it commits (out of seq order; see docs/REALTIME.md).
 */
import { CLOSE } from '@e2a/sdk/wire';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { EventBus, EventNotice } from '../events/bus.js';
import { frameOf, type AgentEntry, type Listener, type ListenerSink } from './listeners.js';
import { replay } from './replay.js';
import type { EventRow, RealtimeRepo } from './repo.js';

/** The server adapts each `ws` socket to this. */
export type { ListenerSink };

/** What the server holds for one authenticated listener. */
export interface Subscription {
  /** Acknowledge for all listeners of the agent; false for an id that is not this agent's event. */
  ack(eventId: string): Promise<boolean>;
  /** Restart from the unacknowledged events after `eventId`; false if it is not this agent's event. */
  resume(eventId: string): Promise<boolean>;
  leave(): void;
}

export interface HubOptions {
  repo: RealtimeRepo;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  pollIntervalMs: number;
  /** Events per replay page: one page is in flight per listener until the socket drains. */
  replayBatch?: number;
  /** A live listener whose unsent bytes exceed this is closed (slowConsumer); it replays on reconnect. */
  maxBufferedBytes?: number;
}

interface SubscriptionHost {
  ack(listener: Listener, eventId: string): Promise<boolean>;
  resume(listener: Listener, eventId: string): Promise<boolean>;
  leave(listener: Listener): void;
}

/**
 * A listener is also the subscription handed to the server: one object per connection, its methods
 * on the prototype. Idle listeners are many, and each should cost little more than its socket.
 */
class HubListener implements Listener, Subscription {
  live = false;
  pumping = false;
  restartAt: number | null = null;
  closed = false;

  constructor(
    private readonly host: SubscriptionHost,
    readonly sink: ListenerSink,
    readonly agent: AgentEntry,
    public cursor: number,
  ) {}

  ack(eventId: string): Promise<boolean> {
    return this.host.ack(this, eventId);
  }

  resume(eventId: string): Promise<boolean> {
    return this.host.resume(this, eventId);
  }

  leave(): void {
    this.host.leave(this);
  }
}

const LIVE_BATCH = 500;
const RECENT_MAX = 256;

export class RealtimeHub {
  private readonly agents = new Map<string, AgentEntry>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly unsubscribe: () => void;
  private readonly pollTimer: NodeJS.Timeout;
  private polling = false;
  private stopped = false;
  private readonly replayBatch: number;
  private readonly maxBuffered: number;
  /** What every listener's subscription methods call: built once, not per listener. */
  private readonly host: SubscriptionHost;

  constructor(private readonly opts: HubOptions) {
    this.replayBatch = opts.replayBatch ?? 100;
    this.maxBuffered = opts.maxBufferedBytes ?? 8 * 1024 * 1024;
    this.unsubscribe = opts.bus.subscribe((n) => this.onNotice(n));
    this.pollTimer = setInterval(() => this.poll(), opts.pollIntervalMs);
    this.pollTimer.unref();
    const { repo, clock } = opts;
    this.host = {
      ack: (listener, eventId) => repo.ack(listener.agent.id, eventId, clock.now()),
      resume: async (listener, eventId) => {
        const seq = await repo.seqOf(listener.agent.id, eventId);
        if (seq === null || listener.closed) return seq !== null;
        listener.live = false;
        listener.restartAt = seq;
        this.startPump(listener);
        return true;
      },
      leave: (listener) => this.remove(listener),
    };
  }

  /** Number of agents with listeners in this process (diagnostics and tests). */
  get agentCount(): number {
    return this.agents.size;
  }

  /** WebSocket listeners open in this process (the e2a_websocket_listeners gauge). */
  get listenerCount(): number {
    let count = 0;
    for (const agent of this.agents.values()) count += agent.listeners.size;
    return count;
  }

  /** The sequence number of one of the agent's events, or null (unknown, or another agent's). */
  seqOf(agentId: string, eventId: string): Promise<number | null> {
    return this.opts.repo.seqOf(agentId, eventId);
  }

  /** Adds a listener and starts its replay after `afterSeq` (0: from the oldest unacked event). */
  async join(sink: ListenerSink, agentId: string, afterSeq = 0): Promise<Subscription> {
    if (this.stopped) throw new Error('realtime hub stopped');
    const agent = this.entry(agentId);
    const listener = new HubListener(this.host, sink, agent, afterSeq);
    agent.listeners.add(listener);
    try {
      await agent.ready;
    } catch (err) {
      this.remove(listener);
      throw err;
    }
    this.startPump(listener);
    return listener;
  }

  /** Stops listening and polling and waits for in-flight queries; the server closes the sockets. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    clearInterval(this.pollTimer);
    for (const agent of this.agents.values()) {
      agent.unwatch();
      for (const l of agent.listeners) l.closed = true;
    }
    this.agents.clear();
    await Promise.allSettled([...this.inflight]);
  }

  private entry(agentId: string): AgentEntry {
    const existing = this.agents.get(agentId);
    if (existing) return existing;
    const created: AgentEntry = { id: agentId, listeners: new Set(), seq: 0, ready: Promise.resolve(), recent: new Set(), late: new Set(), wanted: false, fetching: false, unwatch: () => {} };
    // Listening first, then the position: an event committed after the position was read is announced.
    created.ready = this.track(
      this.opts.bus.watchAgent(agentId).then((unwatch) => {
        // The last listener may have left while the LISTEN was under way.
        if (this.agents.get(agentId) === created && !this.stopped) created.unwatch = unwatch;
        else unwatch();
        return this.opts.repo.maxSeq(agentId);
      }),
    ).then((seq) => {
      created.seq = seq;
    });
    // A failed start is reported to join(); drop the entry so the next join retries.
    created.ready.catch(() => {
      if (this.agents.get(agentId) === created) this.agents.delete(agentId);
      created.unwatch();
    });
    this.agents.set(agentId, created);
    return created;
  }

  private remove(listener: Listener): void {
    listener.closed = true;
    const { agent } = listener;
    agent.listeners.delete(listener);
    if (agent.listeners.size === 0 && this.agents.get(agent.id) === agent) {
      this.agents.delete(agent.id);
      agent.unwatch();
    }
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    const done = () => this.inflight.delete(p);
    p.then(done, done);
    return p;
  }

  // ---- replay -------------------------------------------------------------------------------

  private startPump(listener: Listener): void {
    if (listener.pumping) return;
    listener.pumping = true;
    this.track(
      replay(listener, this.opts.repo, this.replayBatch)
        .catch((err) => {
          this.opts.logger.error({ err, agentId: listener.agent.id }, 'realtime replay failed');
          if (!listener.closed) listener.sink.close(CLOSE.internalError, 'replay failed; reconnect');
          this.remove(listener);
        })
        .finally(() => {
          listener.pumping = false;
        }),
    );
  }

  // ---- live ---------------------------------------------------------------------------------

  private onNotice(notice: EventNotice): void {
    const agent = notice.agentId ? this.agents.get(notice.agentId) : undefined;
    if (!agent) return;
    if (agent.recent.has(notice.seq)) return;
    // Every notified seq is remembered until it has been sent, not only those below the position
    // now: a fetch already in flight may return a higher seq and move the position past this one
    // before this one is read (it committed later than its number says).
    agent.late.add(notice.seq);
    this.wake(agent);
  }

  private wake(agent: AgentEntry): void {
    agent.wanted = true;
    if (agent.fetching || this.stopped) return;
    agent.fetching = true;
    this.track(
      this.fetchLive(agent)
        .catch((err) => {
          // The poll retries from agent.seq; late seqs were put back by fetchLive.
          this.opts.logger.warn({ err, agentId: agent.id }, 'realtime fetch failed');
        })
        .finally(() => {
          agent.fetching = false;
        }),
    );
  }

  private async fetchLive(agent: AgentEntry): Promise<void> {
    await agent.ready;
    while (agent.wanted && agent.listeners.size > 0 && !this.stopped) {
      agent.wanted = false;
      // Notified seqs at or below the position were passed over by an earlier fetch: ask for them
      // by number. Those above it come with the ordinary "after the position" read.
      const late = [...agent.late].filter((seq) => seq <= agent.seq);
      // On failure the late seqs stay in agent.late for the next try (the poll wakes it).
      const rows = await this.opts.repo.since(agent.id, agent.seq, late, LIVE_BATCH);
      this.dispatch(agent, rows);
      for (const seq of late) agent.late.delete(seq); // asked for by number: sent now, or gone
      for (const seq of agent.late) {
        if (agent.recent.has(seq)) agent.late.delete(seq);
        else if (seq <= agent.seq) agent.wanted = true; // the position moved past it: ask next round
      }
      if (rows.length === LIVE_BATCH) agent.wanted = true;
    }
  }

  private dispatch(agent: AgentEntry, rows: EventRow[]): void {
    const before = agent.seq;
    for (const row of rows) {
      const frame = frameOf(row);
      const late = row.seq <= before;
      for (const l of agent.listeners) {
        if (l.closed) continue;
        // A replaying listener reads new events itself (they are above its ceiling) but has passed
        // a late one already if its cursor is beyond it.
        const deliver = late ? l.live || row.seq <= l.cursor : l.live && row.seq > l.cursor;
        if (!deliver) continue;
        if (l.sink.bufferedAmount > this.maxBuffered) {
          l.sink.close(CLOSE.slowConsumer, 'send buffer full: read faster; unacknowledged events replay on reconnect');
          this.remove(l);
          continue;
        }
        void l.sink.send(frame).catch(() => {});
        if (!late) l.cursor = row.seq;
      }
      if (!late) agent.seq = row.seq;
      agent.recent.add(row.seq);
      if (agent.recent.size > RECENT_MAX) agent.recent.delete(agent.recent.values().next().value!);
    }
  }

  /** The safety net for lost notices: one statement asks which agents have events past agent.seq. */
  private poll(): void {
    if (this.polling || this.stopped || this.agents.size === 0) return;
    this.polling = true;
    const cursors = new Map<string, number>();
    for (const agent of this.agents.values()) if (!agent.fetching) cursors.set(agent.id, agent.seq);
    this.track(
      this.opts.repo
        .agentsWithNewEvents(cursors)
        .then((ids) => {
          for (const id of ids) {
            const agent = this.agents.get(id);
            if (agent) this.wake(agent);
          }
        })
        .catch((err) => this.opts.logger.warn({ err }, 'realtime poll failed'))
        .finally(() => {
          this.polling = false;
        }),
    );
  }
}
