import { ListMessagesQuery, Message, MessagePage, SearchPage, SearchQuery, UpdateMessageRequest } from '@e2a/sdk/wire';
import type { AgentsService } from '../agents/service.js';
import { dispositionHeader } from '../http/header-values.js';
import { RawBody, type RouteTable } from '../http/route.js';
import type { MessagesService } from './service.js';

export function messageRoutes(routes: RouteTable, agents: AgentsService, messages: MessagesService): void {
  routes.add(
    { method: 'get', path: '/v1/agents/:address/messages', operationId: 'messages.list', summary: "List an agent's messages, newest first; with q, search them, best match first", tag: 'messages', query: ListMessagesQuery, response: MessagePage },
    async ({ principal, params, query }) => messages.list(await agents.resolve(principal, params.address!), query),
  );
  routes.add(
    { method: 'get', path: '/v1/search', operationId: 'search.messages', summary: 'Search every mailbox the key may read (an agent key: its own), best match first', tag: 'messages', query: SearchQuery, response: SearchPage },
    async ({ principal, query }) => messages.search.mailboxes(principal, query),
  );
  routes.add(
    { method: 'get', path: '/v1/agents/:address/messages/:id', operationId: 'messages.get', summary: 'Get a message with bodies, verdict and signed claims', tag: 'messages', response: Message },
    async ({ principal, params }) => messages.get(await agents.resolve(principal, params.address!), params.id!),
  );
  routes.add(
    { method: 'patch', path: '/v1/agents/:address/messages/:id', operationId: 'messages.update', summary: 'Mark a message read or unread', tag: 'messages', body: UpdateMessageRequest, response: Message },
    async ({ principal, params, body }) => messages.markRead(await agents.resolve(principal, params.address!), params.id!, body.read),
  );
  routes.add(
    { method: 'get', path: '/v1/agents/:address/messages/:id/raw', operationId: 'messages.getRaw', summary: 'The stored RFC 5322 message with signed X-E2A-Auth-* headers prepended', tag: 'messages', produces: 'message/rfc822' },
    async ({ principal, params }) => new RawBody(await messages.raw(await agents.resolve(principal, params.address!), params.id!), 'message/rfc822'),
  );
  routes.add(
    { method: 'get', path: '/v1/agents/:address/messages/:id/attachments/:index', operationId: 'messages.getAttachment', summary: 'Download one attachment', tag: 'messages', produces: 'application/octet-stream' },
    async ({ principal, params }) => {
      // The route table has checked :index (http/path-params.ts): digits, at most 2^31 - 1.
      const agent = await agents.resolve(principal, params.address!);
      const att = await messages.attachment(agent, params.id!, Number(params.index));
      // The stored content type and file name are the sender's; the route table serves a content
      // type that is not a valid media type as application/octet-stream.
      return new RawBody(att.content, att.contentType, {
        'Content-Disposition': dispositionHeader(att.disposition === 'inline' ? 'inline' : 'attachment', att.filename),
        'X-Content-Type-Options': 'nosniff',
        // Sender-chosen content must not run as this origin's page.
        'Content-Security-Policy': "default-src 'none'; sandbox",
      });
    },
  );
}
