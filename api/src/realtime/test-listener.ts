/**
 * A WebSocket listener for tests: a real `ws` client that records every server frame and how the
 * connection closed, with waits that fail with what was seen instead of hanging.
 */
import type { EmailEvent, ServerFrame } from '@e2a/sdk/wire';
import WebSocket from 'ws';

export interface Closed {
  code: number;
  reason: string;
}

export class TestListener {
  readonly frames: ServerFrame[] = [];
  readonly closed: Promise<Closed>;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as ServerFrame);
      for (const wake of [...this.waiters]) wake();
    });
    void this.closed.then(() => {
      for (const wake of [...this.waiters]) wake();
    });
  }

  /** Opens `ws(s)://…/v1/agents/{address}/ws`; resolves once the upgrade succeeded. */
  static connect(httpUrl: string, address: string, opts: { key?: string; query?: string; headers?: Record<string, string> } = {}): Promise<TestListener> {
    const url = `${httpUrl.replace(/^http/, 'ws')}/v1/agents/${encodeURIComponent(address)}/ws${opts.query ?? ''}`;
    const ws = new WebSocket(url, { headers: { ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}), ...opts.headers } });
    const listener = new TestListener(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(listener));
      ws.once('error', reject);
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Event envelopes received so far, in arrival order. */
  get events(): EmailEvent[] {
    return this.frames.flatMap((f) => (f.type === 'event' ? [f.event] : []));
  }

  /** Waits until `test` holds over the frames so far; fails after `timeoutMs` showing the frames. */
  async until(test: (frames: ServerFrame[]) => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!test(this.frames)) {
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`connection closed while waiting for ${what}; frames: ${JSON.stringify(this.frames)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(this.frames)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        const waiters = this.waiters;
        function done() {
          clearTimeout(timer);
          waiters.splice(waiters.indexOf(done), 1);
          resolve();
        }
        waiters.push(done);
      });
    }
  }

  ready(): Promise<void> {
    return this.until((f) => f.some((x) => x.type === 'ready'), 'ready');
  }

  /** Waits for `n` event frames in total and returns them. */
  async waitEvents(n: number): Promise<EmailEvent[]> {
    await this.until(() => this.events.length >= n, `${n} events`);
    return this.events;
  }

  /** Acks each id and waits for every `acked` reply, so the acks are committed. */
  async ack(ids: string[]): Promise<void> {
    for (const id of ids) this.send({ type: 'ack', event_id: id });
    await this.until((f) => ids.every((id) => f.some((x) => x.type === 'acked' && x.event_id === id)), `acks of ${ids.join(',')}`);
  }

  /** Waits for the server to close the connection; fails after `timeoutMs` if it is still open. */
  closedWithin(timeoutMs = 10_000): Promise<Closed> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still open after ${timeoutMs} ms; frames: ${JSON.stringify(this.frames)}`)), timeoutMs)));
    return Promise.race([this.closed, timeout]).finally(() => clearTimeout(timer));
  }

  async close(): Promise<Closed> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close(1000);
    return this.closed;
  }
}
