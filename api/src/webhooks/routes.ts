import {
  CreateWebhookRequest,
  DeleteWebhookQuery,
  PageQuery,
  ReplayDeliveriesRequest,
  ReplayDeliveriesResult,
  UpdateWebhookRequest,
  Webhook,
  WebhookDeliveryPage,
  WebhookPage,
  WebhookTestResult,
  WebhookWithSecret,
} from '@e2a/sdk/wire';
import type { RouteTable } from '../http/route.js';
import type { WebhooksService } from './service.js';

export function webhookRoutes(routes: RouteTable, webhooks: WebhooksService): void {
  const tag = 'webhooks';
  routes.add(
    { method: 'post', path: '/v1/webhooks', operationId: 'webhooks.create', summary: 'Create a webhook; the signing secret is returned once', tag, body: CreateWebhookRequest, response: WebhookWithSecret, status: 201 },
    ({ principal, body }) => webhooks.create(principal, body),
  );
  routes.add(
    { method: 'get', path: '/v1/webhooks', operationId: 'webhooks.list', summary: 'List webhooks', tag, query: PageQuery, response: WebhookPage },
    ({ principal, query }) => webhooks.list(principal, query),
  );
  routes.add(
    { method: 'get', path: '/v1/webhooks/:id', operationId: 'webhooks.get', summary: 'Get a webhook', tag, response: Webhook },
    ({ principal, params }) => webhooks.get(principal, params.id!),
  );
  routes.add(
    { method: 'patch', path: '/v1/webhooks/:id', operationId: 'webhooks.update', summary: 'Update a webhook (enabled: true re-enables one the gateway disabled)', tag, body: UpdateWebhookRequest, response: Webhook },
    ({ principal, params, body }) => webhooks.update(principal, params.id!, body),
  );
  routes.add(
    { method: 'delete', path: '/v1/webhooks/:id', operationId: 'webhooks.delete', summary: 'Delete a webhook and its delivery history (needs ?confirm=DELETE)', tag, query: DeleteWebhookQuery },
    ({ principal, params, query }) => webhooks.delete(principal, params.id!, query.confirm),
  );
  routes.add(
    { method: 'post', path: '/v1/webhooks/:id/rotate-secret', operationId: 'webhooks.rotateSecret', summary: 'New signing secret (returned once); the old one also signs for 24 h', tag, response: WebhookWithSecret },
    ({ principal, params }) => webhooks.rotateSecret(principal, params.id!),
  );
  routes.add(
    { method: 'post', path: '/v1/webhooks/:id/test', operationId: 'webhooks.test', summary: 'Send a signed test event now and report the outcome', tag, response: WebhookTestResult, limit: 'webhook_test' },
    ({ principal, params }) => webhooks.test(principal, params.id!),
  );
  routes.add(
    { method: 'get', path: '/v1/webhooks/:id/deliveries', operationId: 'webhooks.listDeliveries', summary: "A webhook's deliveries, newest event first", tag, query: PageQuery, response: WebhookDeliveryPage },
    ({ principal, params, query }) => webhooks.deliveries(principal, params.id!, query),
  );
  routes.add(
    {
      method: 'post',
      path: '/v1/webhooks/:id/deliveries/replay',
      operationId: 'webhooks.replayDeliveries',
      summary: 'Requeue every dead delivery of an enabled webhook from attempt 1 (same event ids)',
      tag,
      body: ReplayDeliveriesRequest,
      response: ReplayDeliveriesResult,
      status: 202,
      errors: ['conflict'],
    },
    ({ principal, params, body }) => webhooks.replayDeliveries(principal, params.id!, body),
  );
}
