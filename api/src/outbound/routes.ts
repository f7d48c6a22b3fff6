/**
 * POST /v1/agents/{address}/messages, …/{id}/reply, …/{id}/forward, and …/{id}/cancel for a
 * scheduled one. Account keys send as any of their agents, agent keys only as their own
 * (AgentsService.resolve). Every send honours Idempotency-Key; `?wait=sent` holds the response
 * until the message is sent or failed.
 */
import { ForwardRequest, ReplyRequest, SendMessageRequest, SendQuery, SendResult } from '@e2a/sdk/wire';
import type { z } from 'zod';
import type { AgentsService } from '../agents/service.js';
import { JsonReply, type RouteContext, type RouteTable } from '../http/route.js';
import { idempotencyKeyOf, type Idempotency, type StoredResponse } from './idempotency.js';
import type { Accepted, AgentForSend, OutboundService } from './service.js';

const DEFAULT_WAIT_SECONDS = 30;

type Query = z.output<typeof SendQuery>;

/** The answer to an accepted send, the one stored under its Idempotency-Key: also how a saved draft's send answers (saved-drafts/routes.ts). */
export async function sendResponse(outbound: OutboundService, agent: AgentForSend, accepted: Accepted, query: Query, requestId: string): Promise<StoredResponse> {
  if (accepted.blocked) {
    return { status: 403, body: { error: { code: 'blocked_by_policy', message: `blocked by the agent's outbound protection: ${accepted.reason}`, request_id: requestId } } };
  }
  if (query.wait === 'sent' && accepted.result.status === 'accepted') {
    const waited = await outbound.waitForFinal(agent, accepted.result.id, (query.timeout ?? DEFAULT_WAIT_SECONDS) * 1000);
    return { status: waited.final && (waited.result.status === 'sent' || waited.result.status === 'failed') ? 200 : 202, body: waited.result };
  }
  return { status: 202, body: accepted.result };
}

export function outboundRoutes(routes: RouteTable, deps: { agents: AgentsService; outbound: OutboundService; idempotency: Idempotency }): void {
  const { agents, outbound, idempotency } = deps;

  const handle = async <B>(ctx: RouteContext<Query, B>, op: string, run: (agent: AgentForSend) => Promise<Accepted>) => {
    const agent = await agents.resolve(ctx.principal, ctx.params.address!);
    const key = idempotencyKeyOf(ctx.headers);
    const response = await idempotency.run({ userId: ctx.principal.userId, key, request: { op, agent: agent.id, original: ctx.params.id ?? null, body: ctx.body } }, async () =>
      sendResponse(outbound, agent, await run(agent), ctx.query, ctx.requestId),
    );
    return new JsonReply(response.status, response.body);
  };

  routes.add(
    {
      method: 'post',
      path: '/v1/agents/:address/messages',
      operationId: 'messages.send',
      idempotent: true,
      summary: 'Send a message as the agent (202 accepted | 202 pending_review | 403 blocked_by_policy; ?wait=sent for the final status)',
      tag: 'outbound',
      query: SendQuery,
      body: SendMessageRequest,
      response: SendResult,
      status: 202,
      limit: 'send',
    },
    (ctx) => handle(ctx, 'send', (agent) => outbound.send(agent, ctx.body)),
  );
  routes.add(
    {
      method: 'post',
      path: '/v1/agents/:address/messages/:id/reply',
      operationId: 'messages.reply',
      idempotent: true,
      errors: ['conflict'],
      summary: 'Reply to a message (In-Reply-To and References set; reply_all adds the original To and Cc)',
      tag: 'outbound',
      query: SendQuery,
      body: ReplyRequest,
      response: SendResult,
      status: 202,
      limit: 'send',
    },
    (ctx) => handle(ctx, 'reply', (agent) => outbound.reply(agent, ctx.params.id!, ctx.body)),
  );
  routes.add(
    {
      method: 'post',
      path: '/v1/agents/:address/messages/:id/forward',
      operationId: 'messages.forward',
      idempotent: true,
      errors: ['conflict'],
      summary: 'Forward a message: the original travels whole as a message/rfc822 attachment',
      tag: 'outbound',
      query: SendQuery,
      body: ForwardRequest,
      response: SendResult,
      status: 202,
      limit: 'send',
    },
    (ctx) => handle(ctx, 'forward', (agent) => outbound.forward(agent, ctx.params.id!, ctx.body)),
  );
  routes.add(
    {
      method: 'post',
      path: '/v1/agents/:address/messages/:id/cancel',
      operationId: 'messages.cancel',
      errors: ['conflict'],
      summary: 'Cancel a scheduled message before its send_at (status cancelled, email.cancelled); 409 once it is being sent or was never scheduled',
      tag: 'outbound',
      response: SendResult,
    },
    async (ctx) => outbound.cancel(await agents.resolve(ctx.principal, ctx.params.address!), ctx.params.id!),
  );
}
