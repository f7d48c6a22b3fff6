import { Agent, AgentPage, CreateAgentRequest, ExtendAgentRequest, PageQuery, UpdateAgentRequest } from '@e2a/sdk/wire';
import type { RouteTable } from '../http/route.js';
import type { AgentsService } from './service.js';
import { toWireAgent } from './service.js';

export function agentRoutes(routes: RouteTable, agents: AgentsService): void {
  routes.add(
    { method: 'post', path: '/v1/agents', operationId: 'agents.create', errors: ['conflict'], summary: 'Create an agent (a mailbox)', tag: 'agents', body: CreateAgentRequest, response: Agent, status: 201 },
    ({ principal, body }) => agents.create(principal, body),
  );
  routes.add(
    { method: 'get', path: '/v1/agents', operationId: 'agents.list', summary: 'List agents', tag: 'agents', query: PageQuery, response: AgentPage },
    ({ principal, query }) => agents.list(principal, query),
  );
  routes.add(
    { method: 'get', path: '/v1/agents/:address', operationId: 'agents.get', summary: 'Get an agent', tag: 'agents', response: Agent, errors: ['gone'] },
    async ({ principal, params }) => toWireAgent(await agents.resolve(principal, params.address!)),
  );
  routes.add(
    {
      method: 'post',
      path: '/v1/agents/:address/extend',
      operationId: 'agents.extend',
      summary: 'Set a new expiry for an ephemeral agent (410 once it has expired)',
      tag: 'agents',
      body: ExtendAgentRequest,
      response: Agent,
      errors: ['gone'],
    },
    ({ principal, params, body }) => agents.extend(principal, params.address!, body),
  );
  routes.add(
    {
      method: 'patch',
      path: '/v1/agents/:address',
      operationId: 'agents.update',
      summary: "Change an agent's settings: its retention period, days, null (forever) or \"account\" (account keys only)",
      tag: 'agents',
      body: UpdateAgentRequest,
      response: Agent,
      errors: ['gone'],
    },
    ({ principal, params, body }) => agents.update(principal, params.address!, body),
  );
  // DELETE /v1/agents/{address} is an erasure (erasure/routes.ts): confirmed, with a grace period.
}
