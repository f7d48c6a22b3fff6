import { LabelChanges, LabelList, LabelSet } from '@e2a/sdk/wire';
import type { AgentsService } from '../agents/service.js';
import type { RouteTable } from '../http/route.js';
import type { LabelsService } from './service.js';

export function labelRoutes(routes: RouteTable, agents: AgentsService, labels: LabelsService): void {
  routes.add(
    {
      method: 'post',
      path: '/v1/agents/:address/messages/:id/labels',
      operationId: 'messages.updateLabels',
      summary: "Add and remove a message's labels in one change; answers its labels as they now are (docs/LABELS.md)",
      tag: 'messages',
      body: LabelChanges,
      response: LabelSet,
      errors: ['quota_exceeded'],
    },
    async ({ principal, params, body }) => labels.changeMessage(await agents.resolve(principal, params.address!), params.id!, body),
  );
  routes.add(
    {
      method: 'post',
      path: '/v1/agents/:address/conversations/:id/labels',
      operationId: 'conversations.updateLabels',
      summary: "Add and remove a conversation's own labels in one change; answers its labels as they now are",
      tag: 'conversations',
      body: LabelChanges,
      response: LabelSet,
      errors: ['quota_exceeded'],
    },
    async ({ principal, params, body }) => labels.changeConversation(await agents.resolve(principal, params.address!), params.id!, body),
  );
  routes.add(
    { method: 'get', path: '/v1/agents/:address/labels', operationId: 'labels.list', summary: "The agent's labels with their counts: system labels, then its own by name", tag: 'labels', response: LabelList },
    async ({ principal, params }) => labels.list(await agents.resolve(principal, params.address!)),
  );
  routes.add(
    { method: 'delete', path: '/v1/agents/:address/labels/:label', operationId: 'labels.delete', summary: 'Delete a label: it leaves every message and conversation it was on', tag: 'labels' },
    async ({ principal, params }) => labels.delete(await agents.resolve(principal, params.address!), params.label!),
  );
}
