import { ConversationDetail, ConversationPage, ListConversationsQuery } from '@e2a/sdk/wire';
import type { AgentsService } from '../agents/service.js';
import type { RouteTable } from '../http/route.js';
import type { ConversationsService } from './service.js';

export function conversationRoutes(routes: RouteTable, agents: AgentsService, conversations: ConversationsService): void {
  routes.add(
    { method: 'get', path: '/v1/agents/:address/conversations', operationId: 'conversations.list', summary: "List an agent's conversations, most recently active first", tag: 'conversations', query: ListConversationsQuery, response: ConversationPage },
    async ({ principal, params, query }) => conversations.list(await agents.resolve(principal, params.address!), query),
  );
  routes.add(
    { method: 'get', path: '/v1/agents/:address/conversations/:id', operationId: 'conversations.get', summary: 'A conversation with its messages, oldest first', tag: 'conversations', response: ConversationDetail },
    async ({ principal, params }) => conversations.get(await agents.resolve(principal, params.address!), params.id!),
  );
}
