import { CancelErasureRequest, DeleteAccountQuery, DeleteAgentQuery, Erasure, ErasurePage, PageQuery, ScheduledErasure } from '@e2a/sdk/wire';
import type { RouteTable } from '../http/route.js';
import type { ErasureService } from './service.js';

export function erasureRoutes(routes: RouteTable, erasures: ErasureService): void {
  routes.add(
    {
      method: 'delete',
      path: '/v1/agents/:address',
      operationId: 'agents.delete',
      summary: 'Delete an agent and everything of it (needs ?confirm=<its address>): disabled at once, erased after the grace period, cancellable until then',
      tag: 'agents',
      query: DeleteAgentQuery,
      response: ScheduledErasure,
      status: 202,
    },
    ({ principal, params, query }) => erasures.deleteAgent(principal, params.address!, query.confirm),
  );
  routes.add(
    {
      method: 'delete',
      path: '/v1/account',
      operationId: 'account.delete',
      summary: "Delete the account and everything of it (needs ?confirm=<the account's email>): disabled at once, erased after the grace period; the answer's cancel_token is the way back",
      tag: 'account',
      query: DeleteAccountQuery,
      response: ScheduledErasure,
      status: 202,
    },
    ({ principal, query }) => erasures.deleteAccount(principal, query.confirm),
  );
  routes.add(
    { method: 'get', path: '/v1/account/erasures', operationId: 'erasures.list', summary: "The account's deletions of agents (and their reports), newest first (account keys only)", tag: 'account', query: PageQuery, response: ErasurePage },
    ({ principal, query }) => erasures.list(principal, query),
  );
  routes.add(
    { method: 'get', path: '/v1/account/erasures/:id', operationId: 'erasures.get', summary: 'A deletion: its status and what it erased, table by table (account keys only)', tag: 'account', response: Erasure },
    ({ principal, params }) => erasures.get(principal, params.id!),
  );
  routes.add(
    {
      method: 'post',
      path: '/v1/account/erasures/:id/cancel',
      operationId: 'erasures.cancel',
      summary: "Cancel an agent's deletion during its grace period and restore the agent (account keys only)",
      tag: 'account',
      response: Erasure,
      errors: ['conflict'],
    },
    ({ principal, params }) => erasures.cancelWithKey(principal, params.id!),
  );
  routes.add(
    {
      method: 'post',
      path: '/v1/erasures/:id/cancel',
      operationId: 'erasures.cancelWithToken',
      summary: "Cancel a deletion (an agent's or the account's) during its grace period with the cancel token it answered with; no key needed",
      tag: 'account',
      auth: 'none',
      body: CancelErasureRequest,
      response: Erasure,
      errors: ['conflict'],
    },
    ({ params, body }) => erasures.cancelWithToken(params.id!, body.token),
  );
}
