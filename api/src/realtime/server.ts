/**
 * The WebSocket edge: takes HTTP upgrades for `GET /v1/agents/{address}/ws` off the node:http server
 * (express never sees them), refuses credentials in the URL, runs one shared ping sweep for dead-peer
 * detection, and closes every listener with 1001 on shutdown.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { CLOSE } from '@e2a/sdk/wire';
import type { Logger } from 'pino';
import { WebSocketServer, type ServerOptions, type WebSocket } from 'ws';
import { credentialInUrl, isOwnOrigin, requestCredential } from '../http/credentials.js';
import type { AppError } from '../errors.js';
import { checkParams } from '../http/path-params.js';
import { startSession, type SessionDeps } from './session.js';

export interface RealtimeServerOptions extends SessionDeps {
  /** Upgrades without a header credential are limited per client before anything else is done. */
  limitUnauthenticated(ip: string): Promise<AppError | null>;
  /** The client address, by the HTTP edge's trust-proxy rule. */
  clientIp(req: IncomingMessage): string;
  /** config.public_url: the dashboard's origin, whose pages may connect with the session cookie. */
  publicUrl: string | undefined;
}

const PATH = /^\/v1\/agents\/([^/]+)\/ws\/?$/;
/** Query names that carry credentials elsewhere; any value that looks like an e2a key counts too. */
/** Client frames are a few hundred bytes; anything large is a mistake or an attack (ws closes 1009). */
const MAX_FRAME_BYTES = 16 * 1024;
/** How long a shutting-down server waits for close handshakes before dropping sockets. */
const SHUTDOWN_GRACE_MS = 1000;

export class RealtimeServer {
  private readonly wss: WebSocketServer;
  private readonly awaitingPong = new WeakSet<WebSocket>();
  /** One pong handler for every socket (`this` is the socket), not a closure per connection. */
  private readonly onPong: (this: WebSocket) => void;
  private readonly pingTimer: NodeJS.Timeout;
  private closing: Promise<void> | null = null;
  private readonly logger: Logger;

  constructor(private readonly deps: RealtimeServerOptions) {
    this.logger = deps.logger;
    // perMessageDeflate stays off (the default): zlib contexts per socket would cost far more
    // memory than the small JSON frames save, and thousands of idle listeners must stay cheap.
    // closeTimeout (ws ≥ 8.18, not yet in @types/ws): a peer that never answers our close frame is
    // dropped after 2 s instead of the default 30 s.
    const options: ServerOptions & { closeTimeout: number } = { noServer: true, maxPayload: MAX_FRAME_BYTES, closeTimeout: 2000 };
    this.wss = new WebSocketServer(options);
    const awaitingPong = this.awaitingPong;
    this.onPong = function (this: WebSocket) {
      awaitingPong.delete(this);
    };
    // One interval for all sockets: a peer that has not answered the previous ping is dead
    // (RFC 6455 §5.5.2: a pong answers every ping; browsers do it without any client code).
    this.pingTimer = setInterval(() => this.sweep(), deps.pingIntervalMs);
    this.pingTimer.unref();
  }

  /** Routes upgrades on `http`: ours become WebSockets, anything else gets a 404. */
  attach(http: Server): void {
    http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
  }

  get connectionCount(): number {
    return this.wss.clients.size;
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', ignore);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = PATH.exec(url.pathname);
    if (!match) return refuse(socket, 404, 'Not Found');
    if (this.closing) return refuse(socket, 503, 'Service Unavailable');
    let address: string;
    try {
      address = decodeURIComponent(match[1]!);
    } catch {
      return refuse(socket, 400, 'Bad Request');
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req, url, address));
  }

  /**
   * A new WebSocket. Whatever outlives this call (the socket's handlers, the session) must not hold
   * `req` or `url`: a listener may stay open for days, and the upgrade request, its headers and its
   * URL would stay with it (they were the largest part of an idle listener's memory, docs/PERFORMANCE.md).
   */
  private accept(ws: WebSocket, req: IncomingMessage, url: URL, address: string): void {
    if (this.closing) return ws.close(CLOSE.serverShutdown, 'server shutting down');
    // Refused after the upgrade rather than with a 4xx: browsers hide the HTTP status of a failed
    // handshake, but show the close code and reason.
    if (credentialInUrl(url.searchParams)) {
      return ws.close(CLOSE.credentialInUrl, 'credentials in the URL are refused (they end up in logs): use Authorization: Bearer or an auth frame');
    }
    // The REST routes' rule for :address, so junk (a NUL fails the lookup in PostgreSQL) is "no such agent".
    if (checkParams('/v1/agents/:address/ws', { address })) return ws.close(CLOSE.notFound, 'no such agent: an agent address is name@domain');
    ws.on('pong', this.onPong);
    // The session cookie counts only from the gateway's own pages (a browser always sends Origin on
    // an upgrade); from anywhere else the connection authenticates as if it had no cookie.
    const found = requestCredential(req.headers);
    const origin = req.headers.origin;
    const credential = found?.kind === 'session' && (origin === undefined || !isOwnOrigin(origin, { host: req.headers.host, publicUrl: this.deps.publicUrl })) ? null : found;
    const after = url.searchParams.get('after');
    if (credential) return startSession(ws, { address, credential, after }, this.deps);
    this.awaitAuthFrame(ws, this.deps.clientIp(req), address, after);
  }

  /**
   * First-frame auth: the connection costs the client's unauthenticated budget before it may wait.
   * Frames that arrive meanwhile (a client may send its auth frame at once) are kept for the session.
   */
  private awaitAuthFrame(ws: WebSocket, ip: string, address: string, after: string | null): void {
    const early: Array<[WebSocket.RawData, boolean]> = [];
    const keep = (data: WebSocket.RawData, isBinary: boolean): void => void early.push([data, isBinary]);
    ws.on('message', keep);
    void this.deps.limitUnauthenticated(ip).then(
      (refused) => {
        ws.off('message', keep);
        if (refused) return ws.close(CLOSE.rateLimited, refused.message.slice(0, 120));
        startSession(ws, { address, credential: null, after }, this.deps);
        for (const [data, isBinary] of early) ws.emit('message', data, isBinary);
      },
      (err: unknown) => {
        this.logger.warn({ err }, 'WebSocket rate limit not consulted');
        ws.close(CLOSE.internalError, 'internal error; reconnect');
      },
    );
  }

  private sweep(): void {
    for (const ws of this.wss.clients) {
      if (this.awaitingPong.has(ws)) {
        ws.terminate();
        continue;
      }
      this.awaitingPong.add(ws);
      ws.ping();
    }
  }

  /** Closes every connection with 1001 and stops the ping sweep; never waits longer than the grace. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.pingTimer);
      const open = [...this.wss.clients];
      const closed = open.map((ws) => new Promise<void>((resolve) => (ws.readyState === ws.CLOSED ? resolve() : ws.once('close', () => resolve()))));
      for (const ws of open) ws.close(CLOSE.serverShutdown, 'server shutting down; reconnect');
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_GRACE_MS)));
      await Promise.race([Promise.all(closed), grace]);
      clearTimeout(timer);
      for (const ws of this.wss.clients) ws.terminate();
      await new Promise<void>((resolve) => this.wss.close(() => resolve()));
      this.logger.debug({ closed: open.length }, 'realtime listeners closed');
    })();
    return this.closing;
  }
}

/** Errors on a socket being upgraded: the upgrade fails or ws takes the socket over; nothing to do. */
function ignore(): void {}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
