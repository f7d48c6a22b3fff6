import type {
  CreateWebhookRequest,
  ReplayDeliveriesRequest,
  ReplayDeliveriesResult,
  UpdateWebhookRequest,
  Webhook,
  WebhookDeliveryPage,
  WebhookPage,
  WebhookTestResult,
  WebhookWithSecret,
} from '../../wire/index.js';
import type { HttpClient } from '../http.js';
import type { PageParams } from '../pagination.js';

const enc = encodeURIComponent;

export class WebhooksResource {
  constructor(private readonly http: HttpClient) {}

  /** The signing secret (whsec_…) is in this response only. */
  create(body: CreateWebhookRequest, opts: { idempotencyKey?: string } = {}): Promise<WebhookWithSecret> {
    return this.http.request('POST', '/v1/webhooks', { body, ...opts });
  }

  list(params: PageParams = {}): Promise<WebhookPage> {
    return this.http.request('GET', '/v1/webhooks', { query: params });
  }

  get(id: string): Promise<Webhook> {
    return this.http.request('GET', `/v1/webhooks/${enc(id)}`);
  }

  update(id: string, body: UpdateWebhookRequest): Promise<Webhook> {
    return this.http.request('PATCH', `/v1/webhooks/${enc(id)}`, { body });
  }

  delete(id: string): Promise<void> {
    return this.http.request('DELETE', `/v1/webhooks/${enc(id)}`, { query: { confirm: 'DELETE' } });
  }

  /** A new secret; the old one keeps signing beside it for 24 hours. */
  rotateSecret(id: string): Promise<WebhookWithSecret> {
    return this.http.request('POST', `/v1/webhooks/${enc(id)}/rotate-secret`);
  }

  test(id: string): Promise<WebhookTestResult> {
    return this.http.request('POST', `/v1/webhooks/${enc(id)}/test`);
  }

  deliveries(id: string, params: PageParams = {}): Promise<WebhookDeliveryPage> {
    return this.http.request('GET', `/v1/webhooks/${enc(id)}/deliveries`, { query: params });
  }

  /**
   * Requeues every dead delivery of the webhook from attempt 1, with the same event ids. The
   * webhook must be enabled (a disabled one answers 409 ConflictError).
   */
  replayDeliveries(id: string, body: ReplayDeliveriesRequest = { status: 'dead' }): Promise<ReplayDeliveriesResult> {
    return this.http.request('POST', `/v1/webhooks/${enc(id)}/deliveries/replay`, { body });
  }
}
