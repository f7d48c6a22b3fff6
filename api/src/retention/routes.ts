import { AccountRetention, Message, UpdateAccountRetentionRequest } from '@e2a/sdk/wire';
import type { AgentsService } from '../agents/service.js';
import type { RouteTable } from '../http/route.js';
import type { RetentionSettings } from './settings.js';
import type { TrashService } from './trash.js';

export function retentionRoutes(routes: RouteTable, deps: { agents: AgentsService; trash: TrashService; settings: RetentionSettings }): void {
  const { agents, trash, settings } = deps;
  routes.add(
    {
      method: 'delete',
      path: '/v1/agents/:address/messages/:id',
      operationId: 'messages.delete',
      summary: 'Move a message to the trash; it can be restored for retention.trash_days, then it is purged',
      tag: 'messages',
      errors: ['conflict'],
    },
    async ({ principal, params }) => trash.trash(await agents.resolve(principal, params.address!), params.id!),
  );
  routes.add(
    {
      method: 'post',
      path: '/v1/agents/:address/messages/:id/restore',
      operationId: 'messages.restore',
      summary: 'Take a message out of the trash (email.restored; 410 once its restore period has ended)',
      tag: 'messages',
      response: Message,
      errors: ['gone'],
    },
    async ({ principal, params }) => trash.restore(await agents.resolve(principal, params.address!), params.id!),
  );
  routes.add(
    { method: 'get', path: '/v1/account/retention', operationId: 'retention.get', summary: "The account's retention period and the server's restore period", tag: 'account', response: AccountRetention },
    ({ principal }) => settings.get(principal),
  );
  routes.add(
    {
      method: 'put',
      path: '/v1/account/retention',
      operationId: 'retention.update',
      summary: "Set the account's retention period in days, or null to keep mail forever (account keys only)",
      tag: 'account',
      body: UpdateAccountRetentionRequest,
      response: AccountRetention,
    },
    ({ principal, body }) => settings.update(principal, body),
  );
}
