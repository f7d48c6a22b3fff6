/**
 * The client address of a raw node:http request, by the same trust rule express applies to `req.ip`
 * (`trust proxy`): WebSocket upgrades never pass through express, yet are limited per client like
 * every other request. The walk is proxy-addr's (express's own): from the socket peer back through
 * X-Forwarded-For while each hop is trusted.
 */
import type { IncomingMessage } from 'node:http';

export type TrustFn = (address: string, hop: number) => boolean;

export function clientIp(req: IncomingMessage, trust: TrustFn): string {
  const forwarded = String(req.headers['x-forwarded-for'] ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '')
    .reverse();
  const hops = [req.socket.remoteAddress ?? '', ...forwarded];
  for (let i = 0; i < hops.length - 1; i++) if (!trust(hops[i]!, i)) return hops[i]!;
  return hops[hops.length - 1]!;
}
