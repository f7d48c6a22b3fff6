import { ListMessagesQuery, Message, MessagePage, UpdateMessageRequest } from '@e2a/sdk/wire';
import type { AgentsService } from '../agents/service.js';
import { AppError } from '../http/errors.js';
import { RawBody, type RouteTable } from '../http/route.js';
import type { MessagesService } from './service.js';

/** RFC 6266 filename parameter, ASCII fallback plus RFC 5987 UTF-8 form. */
function contentDisposition(kind: string, filename: string | null): string {
  if (!filename) return kind === 'inline' ? 'inline' : 'attachment';
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `${kind === 'inline' ? 'inline' : 'attachment'}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

export function messageRoutes(routes: RouteTable, agents: AgentsService, messages: MessagesService): void {
  routes.add(
    { method: 'get', path: '/v1/agents/:address/messages', summary: "List an agent's messages, newest first", tag: 'messages', query: ListMessagesQuery, response: MessagePage },
    async ({ principal, params, query }) => messages.list(await agents.resolve(principal, params.address!), query),
  );
  routes.add(
    { method: 'get', path: '/v1/agents/:address/messages/:id', summary: 'Get a message with bodies, verdict and signed claims', tag: 'messages', response: Message },
    async ({ principal, params }) => messages.get(await agents.resolve(principal, params.address!), params.id!),
  );
  routes.add(
    { method: 'patch', path: '/v1/agents/:address/messages/:id', summary: 'Mark a message read or unread', tag: 'messages', body: UpdateMessageRequest, response: Message },
    async ({ principal, params, body }) => messages.markRead(await agents.resolve(principal, params.address!), params.id!, body.read),
  );
  routes.add(
    { method: 'get', path: '/v1/agents/:address/messages/:id/raw', summary: 'The stored RFC 5322 message with signed X-E2A-Auth-* headers prepended', tag: 'messages', produces: 'message/rfc822' },
    async ({ principal, params }) => new RawBody(await messages.raw(await agents.resolve(principal, params.address!), params.id!), 'message/rfc822'),
  );
  routes.add(
    { method: 'get', path: '/v1/agents/:address/messages/:id/attachments/:index', summary: 'Download one attachment', tag: 'messages', produces: 'application/octet-stream' },
    async ({ principal, params }) => {
      const index = Number(params.index);
      if (!Number.isInteger(index) || index < 0) throw new AppError('validation_error', 'attachment index must be a non-negative integer');
      const agent = await agents.resolve(principal, params.address!);
      const att = await messages.attachment(agent, params.id!, index);
      return new RawBody(att.content, att.contentType, {
        'Content-Disposition': contentDisposition(att.disposition, att.filename),
        'X-Content-Type-Options': 'nosniff',
        // Sender-chosen content must not run as this origin's page.
        'Content-Security-Policy': "default-src 'none'; sandbox",
      });
    },
  );
}
