/**
 * listen() against a scripted WebSocket server that records every connection attempt: which close
 * codes end the stream for good and which are reconnected.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { CLOSE } from '../wire/index.js';
import { listen, ListenRevokedError } from './listen.js';

/** Speaks the server side of docs/REALTIME.md far enough for listen(): auth frame, then ready. */
class ScriptedServer {
  readonly attempts = new Map<string, number>();
  private readonly sockets = new Map<string, WebSocket>();
  private waiters: Array<() => void> = [];
  private constructor(private readonly wss: WebSocketServer) {
    wss.on('connection', (ws) => {
      ws.once('message', (data) => {
        const { token } = JSON.parse(data.toString()) as { token: string };
        this.attempts.set(token, (this.attempts.get(token) ?? 0) + 1);
        this.sockets.set(token, ws);
        ws.send(JSON.stringify({ type: 'ready', agent: { id: 'agent_1', address: 'bot@agents.test' }, ping_interval_ms: 30_000 }));
        for (const wake of this.waiters.splice(0)) wake();
      });
    });
  }

  static async start(): Promise<ScriptedServer> {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    return new ScriptedServer(wss);
  }

  get url(): URL {
    return new URL(`http://127.0.0.1:${(this.wss.address() as AddressInfo).port}/v1/agents/bot%40agents.test/ws`);
  }

  /** Waits until `token` has connected `n` times in all (bounded). */
  async connected(token: string, n: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.attempts.get(token) ?? 0) < n) {
      if (Date.now() > deadline) throw new Error(`${token} connected ${this.attempts.get(token) ?? 0} times, not ${n}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(token: string, code: number, reason: string): void {
    this.sockets.get(token)!.close(code, reason);
  }

  stop(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }
}

describe('listen() close codes', () => {
  let server: ScriptedServer | null = null;
  afterEach(() => server?.stop());

  it('does not reconnect after revoked, and says what to do; a normal close is reconnected', async () => {
    server = await ScriptedServer.start();
    const abort = new AbortController();
    // No backoff: a reconnect, if there were one, would come at once.
    const revoked = listen(server.url, 'e2a_revoked', { maxBackoffMs: 0, signal: abort.signal });
    const control = listen(server.url, 'e2a_control', { maxBackoffMs: 0, signal: abort.signal });
    const revokedEnd = (async () => {
      for await (const _ of revoked);
    })().then(
      () => null,
      (err: unknown) => err,
    );
    await server.connected('e2a_revoked', 1);
    await server.connected('e2a_control', 1);

    server.close('e2a_revoked', CLOSE.revoked, 'API key revoked: create a new key and connect with it');
    server.close('e2a_control', CLOSE.serverShutdown, 'server shutting down; reconnect');
    // The positive signal: the control listener reconnects, twice over, with the same backoff.
    await server.connected('e2a_control', 2);
    server.close('e2a_control', CLOSE.serverShutdown, 'server shutting down; reconnect');
    await server.connected('e2a_control', 3);

    expect(server.attempts.get('e2a_revoked')).toBe(1);
    const err = await revokedEnd;
    expect(err).toBeInstanceOf(ListenRevokedError);
    expect((err as ListenRevokedError).closeCode).toBe(CLOSE.revoked);
    expect((err as Error).message).toContain('API key revoked');
    expect((err as Error).message).toContain('create a new one');
    abort.abort();
    await control.return!();
  });
});
