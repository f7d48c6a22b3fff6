/**
 * /v1/agents/{address}/drafts[/{id}] and …/{id}/send. The agent is resolved first (AgentsService
 * .resolve: another account's agent, or another agent for an agent key, is 404), and every draft
 * is looked up under that agent only, so another agent's draft id is 404 exactly as an unknown one.
 * Sending honours Idempotency-Key and `?wait=sent` as POST …/messages does.
 */
import { Draft, DraftPage, DraftRequest, ListDraftsQuery, SendQuery, SendResult } from '@e2a/sdk/wire';
import type { AgentsService } from '../agents/service.js';
import { JsonReply, type RouteTable } from '../http/route.js';
import { idempotencyKeyOf, type Idempotency } from '../outbound/idempotency.js';
import { sendResponse } from '../outbound/routes.js';
import type { OutboundService } from '../outbound/service.js';
import type { SavedDraftsService } from './service.js';

export function savedDraftRoutes(routes: RouteTable, deps: { agents: AgentsService; drafts: SavedDraftsService; outbound: OutboundService; idempotency: Idempotency }): void {
  const { agents, drafts, outbound, idempotency } = deps;

  routes.add(
    {
      method: 'post',
      path: '/v1/agents/:address/drafts',
      operationId: 'drafts.create',
      errors: ['conflict'],
      summary: "Save a draft: a send's fields, every one optional, checked as a send would be (gate aside); 409 past outbound.max_drafts_per_agent",
      tag: 'drafts',
      body: DraftRequest,
      response: Draft,
      status: 201,
    },
    async ({ principal, params, body }) => drafts.create(await agents.resolve(principal, params.address!), body),
  );
  routes.add(
    { method: 'get', path: '/v1/agents/:address/drafts', operationId: 'drafts.list', summary: "The agent's drafts, newest first, without bodies or attachments", tag: 'drafts', query: ListDraftsQuery, response: DraftPage },
    async ({ principal, params, query }) => drafts.list(await agents.resolve(principal, params.address!), query),
  );
  routes.add(
    { method: 'get', path: '/v1/agents/:address/drafts/:id', operationId: 'drafts.get', summary: 'One draft in full', tag: 'drafts', response: Draft },
    async ({ principal, params }) => drafts.get(await agents.resolve(principal, params.address!), params.id!),
  );
  routes.add(
    {
      method: 'put',
      path: '/v1/agents/:address/drafts/:id',
      operationId: 'drafts.update',
      summary: 'Replace a draft (omitted fields take their defaults, as on a send; a GET\'s fields can be PUT back as they are)',
      tag: 'drafts',
      body: DraftRequest,
      response: Draft,
    },
    async ({ principal, params, body }) => drafts.replace(await agents.resolve(principal, params.address!), params.id!, body),
  );
  routes.add(
    { method: 'delete', path: '/v1/agents/:address/drafts/:id', operationId: 'drafts.delete', summary: 'Delete a draft', tag: 'drafts' },
    async ({ principal, params }) => drafts.delete(await agents.resolve(principal, params.address!), params.id!),
  );
  routes.add(
    {
      method: 'post',
      path: '/v1/agents/:address/drafts/:id/send',
      operationId: 'drafts.send',
      idempotent: true,
      summary: 'Send a draft exactly as POST …/messages would (a reply with in_reply_to); accepted, queued, scheduled or held, the draft is deleted',
      tag: 'drafts',
      query: SendQuery,
      response: SendResult,
      status: 202,
      limit: 'send',
    },
    async (ctx) => {
      const agent = await agents.resolve(ctx.principal, ctx.params.address!);
      const request = { op: 'draft.send', agent: agent.id, original: ctx.params.id!, body: {} };
      const response = await idempotency.run({ userId: ctx.principal.userId, key: idempotencyKeyOf(ctx.headers), request }, async () =>
        sendResponse(outbound, agent, await drafts.send(agent, ctx.params.id!), ctx.query, ctx.requestId),
      );
      return new JsonReply(response.status, response.body);
    },
  );
}
