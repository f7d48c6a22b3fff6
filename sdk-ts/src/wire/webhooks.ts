import { z } from 'zod';
import { EVENT_TYPES } from './events.js';
import { Timestamp, page } from './primitives.js';

export const WebhookFilters = z.object({
  agent_addresses: z.array(z.string().max(254)).max(100).default([]),
  conversation_ids: z.array(z.string().max(64)).max(100).default([]),
});

export const Webhook = z
  .object({
    id: z.string(),
    url: z.string(),
    /** Event types sent to this URL; empty means all. */
    events: z.array(z.enum(EVENT_TYPES)),
    filters: z.object({ agent_addresses: z.array(z.string()), conversation_ids: z.array(z.string()) }),
    description: z.string(),
    enabled: z.boolean(),
    /** Why the gateway disabled it (e.g. failing for days), or null. */
    disabled_reason: z.string().nullable(),
    failing_since: Timestamp.nullable(),
    last_success_at: Timestamp.nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Webhook' });
export type Webhook = z.infer<typeof Webhook>;

/** Returned by create and rotate-secret only: the signing secret is shown once. */
export const WebhookWithSecret = Webhook.extend({ secret: z.string() }).meta({ id: 'WebhookWithSecret' });
export type WebhookWithSecret = z.infer<typeof WebhookWithSecret>;

export const CreateWebhookRequest = z
  .object({
    url: z.url().max(2048),
    events: z.array(z.enum(EVENT_TYPES)).max(EVENT_TYPES.length).default([]),
    filters: WebhookFilters.default({ agent_addresses: [], conversation_ids: [] }),
    description: z.string().max(500).default(''),
    enabled: z.boolean().default(true),
  })
  .meta({ id: 'CreateWebhookRequest' });
export type CreateWebhookRequest = z.input<typeof CreateWebhookRequest>;

export const UpdateWebhookRequest = z
  .object({
    url: z.url().max(2048).optional(),
    events: z.array(z.enum(EVENT_TYPES)).max(EVENT_TYPES.length).optional(),
    filters: WebhookFilters.partial().optional(),
    description: z.string().max(500).optional(),
    enabled: z.boolean().optional(),
  })
  .meta({ id: 'UpdateWebhookRequest' });
export type UpdateWebhookRequest = z.input<typeof UpdateWebhookRequest>;

export const WebhookPage = page(Webhook).meta({ id: 'WebhookPage' });
export type WebhookPage = z.infer<typeof WebhookPage>;

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'succeeded', 'dead'] as const;

export const WebhookDelivery = z
  .object({
    id: z.string(),
    webhook_id: z.string(),
    event_id: z.string(),
    event_type: z.enum(EVENT_TYPES),
    status: z.enum(WEBHOOK_DELIVERY_STATUSES),
    attempts: z.number().int(),
    next_attempt_at: Timestamp.nullable(),
    last_status: z.number().int().nullable(),
    last_error: z.string().nullable(),
    /** Last attempt: milliseconds from the request's start to the response headers, or to the failure. */
    last_latency_ms: z.number().int().nullable(),
    /**
     * Last attempt: the start of the response body as plain text (first 1 KiB read, decoded as
     * UTF-8, control characters but newline and tab blanked, at most 512 characters); null when no
     * body arrived. Receiver-controlled: display it as text, never as HTML.
     */
    last_response_excerpt: z.string().nullable(),
    created_at: Timestamp,
    completed_at: Timestamp.nullable(),
  })
  .meta({ id: 'WebhookDelivery' });
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;
export const WebhookDeliveryPage = page(WebhookDelivery).meta({ id: 'WebhookDeliveryPage' });
export type WebhookDeliveryPage = z.infer<typeof WebhookDeliveryPage>;

/** Which deliveries POST /v1/webhooks/{id}/deliveries/replay requeues; only `dead` for now. */
export const REPLAYABLE_DELIVERY_STATUSES = ['dead'] as const;
export type ReplayableDeliveryStatus = (typeof REPLAYABLE_DELIVERY_STATUSES)[number];

export const ReplayDeliveriesRequest = z
  .object({ status: z.enum(REPLAYABLE_DELIVERY_STATUSES) })
  .meta({ id: 'ReplayDeliveriesRequest' });
export type ReplayDeliveriesRequest = z.input<typeof ReplayDeliveriesRequest>;

/** How many deliveries went back to pending, each from attempt 1. */
export const ReplayDeliveriesResult = z
  .object({ replayed: z.number().int() })
  .meta({ id: 'ReplayDeliveriesResult' });
export type ReplayDeliveriesResult = z.infer<typeof ReplayDeliveriesResult>;

/** DELETE /v1/webhooks/{id} is permanent, so it must say so: `?confirm=DELETE`. */
export const DeleteWebhookQuery = z.object({ confirm: z.string().max(16).optional() });

/**
 * The event POST /v1/webhooks/{id}/test sends. It is signed like every other request but is not
 * stored, not retried and not listed under /v1/events.
 */
export const WEBHOOK_TEST_EVENT_TYPE = 'webhook.test' as const;
export const WebhookTestEvent = z
  .object({
    id: z.string(),
    type: z.literal(WEBHOOK_TEST_EVENT_TYPE),
    schema_version: z.number().int(),
    created_at: Timestamp,
    data: z.object({ webhook_id: z.string(), message: z.string() }),
  })
  .meta({ id: 'WebhookTestEvent' });
export type WebhookTestEvent = z.infer<typeof WebhookTestEvent>;

/** What happened when the test event was sent: `success` only for a 2xx answer. */
export const WebhookTestResult = z
  .object({
    event_id: z.string(),
    success: z.boolean(),
    /** The receiver's HTTP status, or null if no response arrived (refused, timeout, TLS, DNS). */
    status: z.number().int().nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: 'WebhookTestResult' });
export type WebhookTestResult = z.infer<typeof WebhookTestResult>;
