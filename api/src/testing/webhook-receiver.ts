/**
 * A real HTTP webhook receiver on loopback for tests. The script decides each answer by the
 * request's ordinal: a status (with headers and a body, 'ok' unless given), a redirect, or 'hang'
 * (never answer).
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
}

export type ReceiverAnswer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

export interface WebhookReceiver {
  url: string;
  port: number;
  readonly requests: ReceivedRequest[];
  /** Resolves once at least `n` requests have arrived (polls; the test's timeout bounds it). */
  waitFor(n: number, predicate?: (r: ReceivedRequest[]) => boolean): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(
  answer: (req: ReceivedRequest, index: number) => ReceiverAnswer = () => ({ status: 200 }),
  options: { host?: string; port?: number } = {},
): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      const index = requests.push(received) - 1;
      const a = answer(received, index);
      if (a === 'hang') return;
      res.writeHead(a.status, a.headers ?? {}).end(a.body ?? 'ok');
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
