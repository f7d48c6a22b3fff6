/**
 * Who is listening in this process: per-agent groups of listeners, each listener with its own
 * position (cursor) in the agent's event sequence.
 */
import type { CloseCode } from '@e2a/sdk/wire';
import type { EventRow } from './repo.js';

/** The hub's view of one WebSocket: the server adapts a `ws` socket to this. */
export interface ListenerSink {
  /** Queues one text frame; resolves once it is written to the socket. */
  send(frame: string): Promise<void>;
  /** Bytes queued and not yet written. */
  readonly bufferedAmount: number;
  close(code: CloseCode, reason: string): void;
}

export interface AgentEntry {
  id: string;
  listeners: Set<Listener>;
  /** Every event up to here has been fetched live (or existed when the entry was made). */
  seq: number;
  ready: Promise<void>;
  /** Seqs dispatched live recently: a notice for one of these needs no query. */
  recent: Set<number>;
  /** Notified seqs at or below `seq` that were never dispatched: late commits. */
  late: Set<number>;
  wanted: boolean;
  fetching: boolean;
  /** Stops hearing this agent's notices (events/bus.ts watchAgent); set once listening. */
  unwatch: () => void;
}

export interface Listener {
  sink: ListenerSink;
  agent: AgentEntry;
  /** Highest seq sent (or skipped over) on this connection. */
  cursor: number;
  live: boolean;
  pumping: boolean;
  /** A resume received while a replay page was in flight: applied before the next page. */
  restartAt: number | null;
  closed: boolean;
}

/** One serialisation per event, shared by every listener it goes to. */
export function frameOf(row: EventRow): string {
  return JSON.stringify({ type: 'event', event: row.event });
}
