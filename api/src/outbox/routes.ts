import { ListOutboxQuery, OutboxMessage, OutboxPage } from '@e2a/sdk/wire';
import { RawBody, type RouteTable } from '../http/route.js';
import type { Outbox } from './outbox.js';

export function outboxRoutes(routes: RouteTable, outbox: Outbox): void {
  const tag = 'outbox';
  routes.add(
    { method: 'get', path: '/v1/outbox', operationId: 'outbox.list', summary: 'Mail captured instead of sent (outbound_smtp.mode outbox), newest first (account keys only)', tag, query: ListOutboxQuery, response: OutboxPage },
    ({ principal, query }) => outbox.list(principal, query),
  );
  routes.add(
    { method: 'get', path: '/v1/outbox/:id', operationId: 'outbox.get', summary: 'One captured mail: its text, the links in it, and the raw message (account keys only)', tag, response: OutboxMessage },
    ({ principal, params }) => outbox.get(principal, params.id!),
  );
  routes.add(
    { method: 'get', path: '/v1/outbox/:id/raw', operationId: 'outbox.raw', summary: 'One captured mail as RFC 5322 bytes, exactly as it would have left (account keys only)', tag, produces: 'message/rfc822' },
    async ({ principal, params }) => new RawBody(await outbox.raw(principal, params.id!), 'message/rfc822'),
  );
}
