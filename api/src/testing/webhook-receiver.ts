/**
 * A real HTTP webhook receiver on loopback for tests. The script decides each answer by the
 * request's ordinal: a status (with headers and a body, 'ok' unless given), a redirect, or 'hang'
 * (never answer). It keeps connections alive (Node's default 5 s) and counts them, so a test can
 * see whether two requests shared one.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { until } from './until.js';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, exactly as received: what a verifier must be given. */
  body: string;
  /** The client's port: the same for two requests on one connection. */
  remotePort: number;
}

export type ReceiverAnswer = { status: number; headers?: Record<string, string>; body?: string | Buffer } | 'hang';

export interface WebhookReceiver {
  url: string;
  port: number;
  readonly requests: ReceivedRequest[];
  /**
   * TCP connections accepted, how many have closed since, and how many of those closed on an error
   * (a client that dropped the connection with part of an answer still unread: a reset).
   */
  readonly connections: { opened: number; closed: number; reset: number };
  /** Resolves once at least `n` requests have arrived (polls; the test's timeout bounds it). */
  waitFor(n: number, predicate?: (r: ReceivedRequest[]) => boolean): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(
  answer: (req: ReceivedRequest, index: number) => ReceiverAnswer = () => ({ status: 200 }),
  options: { host?: string; port?: number } = {},
): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const connections = { opened: 0, closed: 0, reset: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), remotePort: req.socket.remotePort ?? 0 };
      const index = requests.push(received) - 1;
      const a = answer(received, index);
      if (a === 'hang') return;
      res.writeHead(a.status, a.headers ?? {}).end(a.body ?? 'ok');
    });
  });
  server.on('connection', (socket) => {
    connections.opened++;
    socket.once('close', (hadError) => {
      connections.closed++;
      if (hadError) connections.reset++;
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}/hook`,
    port,
    requests,
    connections,
    async waitFor(n, predicate) {
      await until(`${n} webhook requests${predicate ? ' matching the predicate' : ''}`, () => requests.length >= n && (!predicate || predicate(requests)));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
