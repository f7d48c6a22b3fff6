/**
 * `client.listen(address)`: the agent's events as an async iterator over the WebSocket API
 * (docs/REALTIME.md). First-frame auth (works in browsers and Node's built-in WebSocket; `ws` is
 * loaded only where there is no WebSocket global), reconnects with exponential backoff and full
 * jitter, drops duplicates across reconnects by id, and ends with an error on a close code after
 * which retrying cannot help (FATAL_CLOSE_CODES: bad key, no such agent, credential in the URL, key
 * revoked or agent deleted while listening).
 *
 * Acknowledgement is at least once: an event is acked only once the consumer is finished with it,
 * which the iterator learns when the consumer asks for the next one (autoAck) or calls `ack()`.
 * Leaving the loop (`break`, `return`, or an exception in its body, which all call the iterator's
 * `return()` and look the same to it) acks nothing more: the event in hand and those queued behind
 * it come again on the next listen(). `return()` waits (briefly) for the acks already sent to be
 * confirmed, so they are not lost with the socket.
 *
 * A reconnect starts again where the first connection did (the oldest unacknowledged event, or
 * `after`), not after the last event handed out: the server replays urgent mail first
 * (docs/PRIORITIES.md), so that event is no position in the sequence, and resuming after it could
 * pass over older mail not yet received. What was received already is dropped by id.
 *
 * `priority` filters here, in the client: the WebSocket protocol has no subscription frame. Events
 * about mail of another priority are neither handed out nor acked; they stay unacknowledged for a
 * listener without the filter (or a later listen()), so nothing is lost.
 */
import type { EmailEvent, MessagePriority } from '../wire/index.js';
// From values, not wire: the schemas (zod) stay out of a bundle that only listens.
import { CLOSE, FATAL_CLOSE_CODES, closeName } from '../values.js';
import { E2AError } from './errors.js';

export interface ListenOptions {
  signal?: AbortSignal;
  /** Start after this event id instead of at the oldest unacknowledged one (reconnects too). */
  after?: string;
  /**
   * Hand out only events about mail of this priority (`data.priority`). The others are skipped
   * and not acked: they stay for a listener without the filter, or the next listen().
   */
  priority?: MessagePriority;
  /**
   * Ack an event when the consumer asks for the next one (default true). With false, only
   * `stream.ack(event)` acks.
   */
  autoAck?: boolean;
  /** Longest wait between reconnect attempts (default 30 s). */
  maxBackoffMs?: number;
  /** Called on each (re)connection, for logs. */
  onStatus?: (status: { state: 'connected' | 'disconnected'; code?: number; reason?: string; retryInMs?: number }) => void;
}

/** What listen() returns: the events, and a way to ack one explicitly. */
export interface EventStream extends AsyncIterableIterator<EmailEvent> {
  /**
   * Acks an event now (for every listener of the agent: it is not replayed again). Resolves once
   * the server has recorded it; an ack sent while disconnected is sent again after the reconnect.
   * Rejects if the stream ends first: the event will then be delivered again.
   */
  ack(event: EmailEvent | string): Promise<void>;
}

interface SocketLike {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: any) => void): void;
}
type SocketCtor = new (url: string) => SocketLike;

async function webSocketImpl(): Promise<SocketCtor> {
  const global = (globalThis as { WebSocket?: SocketCtor }).WebSocket;
  if (global) return global;
  const mod = (await import('ws')) as unknown as { WebSocket: SocketCtor };
  return mod.WebSocket;
}

export class ListenClosedError extends E2AError {
  override name = 'ListenClosedError';
  constructor(
    readonly closeCode: number,
    reason: string,
  ) {
    super(`e2a listen: the server closed the connection (${closeName(closeCode) ?? closeCode}${reason ? `: ${reason}` : ''}); ${fixFor(closeCode)}`, 'unauthorized', null, null);
  }
}

/** The key was revoked, or the agent deleted, while listening (close code `revoked`). */
export class ListenRevokedError extends ListenClosedError {
  override name = 'ListenRevokedError';
}

function fixFor(code: number): string {
  if (code === CLOSE.authFailed) return 'check the API key (E2A_API_KEY or `e2a login`)';
  if (code === CLOSE.notFound) return 'check the agent address, and that this key may see it';
  if (code === CLOSE.credentialInUrl) return 'do not put the key in the URL';
  if (code === CLOSE.revoked) return 'this key will not work again: create a new one (`e2a keys create`), check the agent still exists (`e2a agents list`), and listen again';
  return 'see docs/REALTIME.md';
}

/** How long return() waits for the server to confirm acks already sent before closing. */
const ACK_FLUSH_MS = 5000;

/** `endpoint` is the agent's `…/ws` URL over http(s); the socket uses ws(s) on the same origin. */
export function listen(endpoint: URL, apiKey: string, options: ListenOptions = {}): EventStream {
  const url = new URL(endpoint);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const autoAck = options.autoAck ?? true;
  const maxBackoff = options.maxBackoffMs ?? 30_000;

  const queue: EmailEvent[] = [];
  const seen = new Set<string>();
  let waiter: { resolve: () => void } | null = null;
  let failure: Error | null = null;
  let finished = false;
  let socket: SocketLike | null = null;
  let lastHandedOut: string | undefined = options.after;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  /** Acks sent (or waiting for a connection) and not yet confirmed by an `acked` frame. */
  const unconfirmed = new Map<string, { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void }>();
  /** Acks confirmed recently: a second ack() of the same event resolves at once. */
  const confirmed = new Set<string>();
  /** return() calls waiting for `unconfirmed` to empty. */
  const flushWaiters: Array<() => void> = [];

  const wake = () => {
    waiter?.resolve();
    waiter = null;
  };
  const closeSocket = () => {
    try {
      socket?.close(CLOSE.normal, 'done');
    } catch {
      // already closed
    }
  };
  const finish = (err?: Error) => {
    if (finished) return;
    finished = true;
    if (err) failure = err;
    if (timer) clearTimeout(timer);
    closeSocket();
    for (const [id, ack] of unconfirmed) ack.reject(new E2AError(`e2a listen: the stream ended before the ack of ${id} was confirmed; the event will be delivered again`, 'network_error', null, null));
    unconfirmed.clear();
    wake();
  };
  const bounded = (set: Set<string>, id: string) => {
    set.add(id);
    // A Set iterates in insertion order: its first value is the oldest id.
    if (set.size > 10_000) set.delete(set.values().next().value!);
  };
  const sendAck = (id: string) => {
    if (socket && socket.readyState === 1) socket.send(JSON.stringify({ type: 'ack', event_id: id }));
  };
  const settleAck = (id: string, err?: Error) => {
    const ack = unconfirmed.get(id);
    if (!ack) return;
    unconfirmed.delete(id);
    if (err) ack.reject(err);
    else {
      bounded(confirmed, id);
      ack.resolve();
    }
    if (unconfirmed.size === 0) for (const done of flushWaiters.splice(0)) done();
  };
  const ack = (id: string): Promise<void> => {
    if (confirmed.has(id)) return Promise.resolve();
    const existing = unconfirmed.get(id);
    if (existing) return existing.promise;
    if (finished) return Promise.reject(new E2AError(`e2a listen: the stream has ended; ${id} was not acked and will be delivered again`, 'network_error', null, null));
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Nobody may await an autoAck: its failure is not an unhandled rejection.
    promise.catch(() => {});
    unconfirmed.set(id, { promise, resolve, reject });
    sendAck(id);
    return promise;
  };

  const connect = async () => {
    if (finished) return;
    const Ctor = await webSocketImpl();
    const ws = new Ctor(url.toString());
    socket = ws;
    ws.addEventListener('open', () => {
      ws.send(JSON.stringify({ type: 'auth', token: apiKey, ...(options.after ? { after: options.after } : {}) }));
      // Frames are handled in order, so these follow the authentication.
      for (const id of unconfirmed.keys()) ws.send(JSON.stringify({ type: 'ack', event_id: id }));
    });
    ws.addEventListener('message', (msg: { data: unknown }) => {
      let frame: { type?: string; event?: EmailEvent; event_id?: string; code?: string; message?: string };
      try {
        frame = JSON.parse(String(msg.data));
      } catch {
        return;
      }
      if (frame.type === 'ready') {
        attempt = 0;
        options.onStatus?.({ state: 'connected' });
      } else if (frame.type === 'event' && frame.event && !seen.has(frame.event.id)) {
        bounded(seen, frame.event.id);
        // Events from a server older than priorities carry none: their mail is normal.
        if (options.priority && (frame.event.data?.priority ?? 'normal') !== options.priority) return;
        queue.push(frame.event);
        wake();
      } else if (frame.type === 'acked' && frame.event_id) {
        settleAck(frame.event_id);
      } else if (frame.type === 'error' && frame.code === 'unknown_event' && frame.event_id && unconfirmed.has(frame.event_id)) {
        settleAck(frame.event_id, new E2AError(`e2a listen: ${frame.message ?? 'unknown event'}`, 'not_found', null, null));
      }
    });
    let ended = false;
    const onEnd = (code: number, reason: string) => {
      if (ended) return;
      ended = true;
      if (socket !== ws || finished) return;
      socket = null;
      if ((FATAL_CLOSE_CODES as readonly number[]).includes(code)) {
        finish(code === CLOSE.revoked ? new ListenRevokedError(code, reason) : new ListenClosedError(code, reason));
        return;
      }
      // Exponential backoff with full jitter (AWS architecture blog): spreads reconnect storms.
      const cap = Math.min(maxBackoff, 250 * 2 ** attempt++);
      const wait = Math.round(Math.random() * cap);
      options.onStatus?.({ state: 'disconnected', code, reason, retryInMs: wait });
      timer = setTimeout(() => void connect().catch((err: Error) => finish(err)), wait);
    };
    ws.addEventListener('close', (ev: { code: number; reason: string }) => onEnd(ev.code, ev.reason));
    // Node's built-in WebSocket reports a refused connection with 'error' and no 'close'; where a
    // 'close' does follow, give it the moment it needs to report the real code first.
    ws.addEventListener('error', () => setTimeout(() => onEnd(1006, 'connection failed'), 50));
  };

  options.signal?.addEventListener('abort', () => finish(), { once: true });
  if (options.signal?.aborted) finished = true;
  else void connect().catch((err: Error) => finish(err));

  const stream: EventStream = {
    async next(): Promise<IteratorResult<EmailEvent>> {
      // Asking for the next event says the consumer is finished with the previous one.
      if (autoAck && lastHandedOut && lastHandedOut !== options.after && !finished) void ack(lastHandedOut);
      for (;;) {
        const event = queue.shift();
        if (event) {
          lastHandedOut = event.id;
          return { value: event, done: false };
        }
        if (finished) {
          if (failure) throw failure;
          return { value: undefined, done: true };
        }
        await new Promise<void>((resolve) => (waiter = { resolve }));
      }
    },
    async return(): Promise<IteratorResult<EmailEvent>> {
      // No ack for the event in hand: the consumer may be leaving because it failed on it.
      if (unconfirmed.size > 0 && !finished) {
        let timeout: ReturnType<typeof setTimeout> | undefined;
        await new Promise<void>((resolve) => {
          flushWaiters.push(resolve);
          timeout = setTimeout(resolve, ACK_FLUSH_MS);
        });
        clearTimeout(timeout);
      }
      finish();
      return { value: undefined, done: true };
    },
    ack(event) {
      return ack(typeof event === 'string' ? event : event.id);
    },
    [Symbol.asyncIterator]() {
      return stream;
    },
  };
  return stream;
}
