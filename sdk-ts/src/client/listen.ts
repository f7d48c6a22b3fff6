/**
 * `client.listen(address)`: the agent's events as an async iterator over the WebSocket API
 * (docs/REALTIME.md). First-frame auth (works in browsers and Node's built-in WebSocket; `ws` is
 * loaded only where there is no WebSocket global), an event is acked when the consumer asks for the
 * next one (it has been handled), reconnects with exponential backoff and full jitter resume after
 * the last event handed out, duplicates across reconnects are dropped by id, and terminal close codes
 * (bad key, no such agent, credential in URL) end the iteration with an error.
 */
import { CLOSE, FATAL_CLOSE_CODES, closeName, type Event } from '../wire/index.js';
import { E2AError } from './errors.js';

export interface ListenOptions {
  signal?: AbortSignal;
  /** Start after this event id instead of at the oldest unacknowledged one. */
  after?: string;
  /** Ack each event once the consumer moves past it (default true). */
  autoAck?: boolean;
  /** Longest wait between reconnect attempts (default 30 s). */
  maxBackoffMs?: number;
  /** Called on each (re)connection, for logs. */
  onStatus?: (status: { state: 'connected' | 'disconnected'; code?: number; reason?: string; retryInMs?: number }) => void;
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

function fixFor(code: number): string {
  if (code === CLOSE.authFailed) return 'check the API key (E2A_API_KEY or `e2a login`)';
  if (code === CLOSE.notFound) return 'check the agent address, and that this key may see it';
  if (code === CLOSE.credentialInUrl) return 'do not put the key in the URL';
  return 'see docs/REALTIME.md';
}

/** `endpoint` is the agent's `…/ws` URL over http(s); the socket uses ws(s) on the same origin. */
export function listen(endpoint: URL, apiKey: string, options: ListenOptions = {}): AsyncIterableIterator<Event> {
  const url = new URL(endpoint);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const autoAck = options.autoAck ?? true;
  const maxBackoff = options.maxBackoffMs ?? 30_000;

  const queue: Event[] = [];
  const seen = new Set<string>();
  let waiter: { resolve: () => void } | null = null;
  let failure: Error | null = null;
  let finished = false;
  let socket: SocketLike | null = null;
  let lastHandedOut: string | undefined = options.after;
  let pendingAck: string | null = null;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const wake = () => {
    waiter?.resolve();
    waiter = null;
  };
  const finish = (err?: Error) => {
    if (finished) return;
    finished = true;
    if (err) failure = err;
    if (timer) clearTimeout(timer);
    try {
      socket?.close(CLOSE.normal, 'done');
    } catch {
      // already closed
    }
    wake();
  };
  const remember = (id: string) => {
    seen.add(id);
    // A Set iterates in insertion order: its first value is the oldest id.
    if (seen.size > 10_000) seen.delete(seen.values().next().value!);
  };
  const sendAck = (id: string) => {
    if (socket && socket.readyState === 1) socket.send(JSON.stringify({ type: 'ack', event_id: id }));
    else pendingAck = id;
  };

  const connect = async () => {
    if (finished) return;
    const Ctor = await webSocketImpl();
    const ws = new Ctor(url.toString());
    socket = ws;
    ws.addEventListener('open', () => {
      ws.send(JSON.stringify({ type: 'auth', token: apiKey, ...(lastHandedOut ? { after: lastHandedOut } : {}) }));
      if (pendingAck) {
        ws.send(JSON.stringify({ type: 'ack', event_id: pendingAck }));
        pendingAck = null;
      }
    });
    ws.addEventListener('message', (msg: { data: unknown }) => {
      let frame: { type?: string; event?: Event };
      try {
        frame = JSON.parse(String(msg.data));
      } catch {
        return;
      }
      if (frame.type === 'ready') {
        attempt = 0;
        options.onStatus?.({ state: 'connected' });
      } else if (frame.type === 'event' && frame.event && !seen.has(frame.event.id)) {
        remember(frame.event.id);
        queue.push(frame.event);
        wake();
      }
    });
    let ended = false;
    const onEnd = (code: number, reason: string) => {
      if (ended) return;
      ended = true;
      if (socket !== ws || finished) return;
      socket = null;
      if ((FATAL_CLOSE_CODES as readonly number[]).includes(code)) {
        finish(new ListenClosedError(code, reason));
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

  const ackHandled = () => {
    if (autoAck && lastHandedOut && lastHandedOut !== options.after) sendAck(lastHandedOut);
  };

  const iterator: AsyncIterableIterator<Event> = {
    async next(): Promise<IteratorResult<Event>> {
      ackHandled();
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
    async return(): Promise<IteratorResult<Event>> {
      ackHandled();
      // Give the ack frame a moment to leave before the socket closes.
      await new Promise((r) => setTimeout(r, 20));
      finish();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
