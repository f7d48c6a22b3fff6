/**
 * The OpenAPI 3.1 document, generated from the route table, the descriptions of the operations
 * served beside it (the MCP transport, the WebSocket upgrade) and the wire schemas. Each operation's
 * error responses follow from what the route declares (auth, path parameters, body, limits,
 * idempotency, extra codes) and all point at one `Error` envelope.
 */
import { EVENT_TYPES, ERROR_STATUS, ErrorEnvelope, Event, WEBHOOK_HEADERS, WEBHOOK_TEST_EVENT_TYPE, WebhookTestEvent, type ErrorCode } from '@e2a/sdk';
import { IDEMPOTENCY_KEY, IDEMPOTENCY_TTL_MS } from '../outbound/idempotency.js';
import { schemaCollector, type JsonSchema } from './json-schema.js';
import { paramNames, paramSchema } from './path-params.js';
import type { Method, RegisteredRoute, RouteSpec } from './route.js';

/**
 * Operations that are not JSON API calls carry `x-e2a-kind`: `mcp` (the JSON-RPC transport) and
 * `websocket` (the realtime upgrade). Tests that drive every JSON operation skip these by it.
 */
export type OperationKind = 'mcp' | 'websocket';

/** An operation served outside the route table, described by the module that serves it. */
export interface ExternalOperation {
  method: Method;
  /** OpenAPI template: /v1/agents/{address}/ws */
  path: string;
  kind: OperationKind;
  operationId: string;
  auth: 'required' | 'optional';
  /** Error codes it answers with the envelope; their responses are added from the components. */
  errors: ErrorCode[];
  /** summary, description, tags, parameters, requestBody, and the non-error responses. */
  operation: JsonSchema & { responses: JsonSchema };
}

const RESPONSE_NAMES: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  402: 'QuotaExceeded',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  422: 'ValidationFailed',
  429: 'RateLimited',
};

/** Statuses whose answer says how long to wait (limits/http-limits.ts sets these headers). */
const WITH_WAIT = new Set([402, 429]);

/** The error codes a table route can answer, from the shape of its declaration. */
function errorCodesOf(spec: RouteSpec): ErrorCode[] {
  const auth = spec.auth ?? 'required';
  const codes: ErrorCode[] = ['bad_request', 'validation_error', 'rate_limited'];
  if (auth !== 'none') codes.push('unauthorized');
  if (auth === 'required') codes.push('forbidden');
  if (paramNames(spec.path).length > 0) codes.push('not_found');
  if (spec.body) codes.push('payload_too_large', 'unsupported_media_type');
  if (spec.limit === 'send') codes.push('quota_exceeded');
  if (spec.idempotent) codes.push('idempotency_in_flight', 'idempotency_mismatch');
  return [...codes, ...(spec.errors ?? [])];
}

const security = (auth: 'required' | 'optional' | 'none') =>
  // `{}` in the list is OpenAPI's "no credential" alternative: the key is optional there.
  auth === 'none' ? { security: [] } : auth === 'optional' ? { security: [{}, { bearer: [] }] } : {};

export function buildOpenApi(routes: RegisteredRoute[], external: ExternalOperation[], info: { version: string; publicUrl: string }): JsonSchema {
  const { toSchema, components } = schemaCollector();
  const errorRef = toSchema(ErrorEnvelope, 'output');
  const usedResponses = new Set<number>();
  let usesIdempotency = false;

  const errorResponses = (codes: ErrorCode[]) => {
    const statuses = [...new Set(codes.map((code) => ERROR_STATUS[code]))].filter((s) => s < 500).sort();
    const out: Record<string, unknown> = {};
    for (const status of statuses) {
      usedResponses.add(status);
      out[String(status)] = { $ref: `#/components/responses/${responseName(status)}` };
    }
    out.default = { $ref: '#/components/responses/ServerError' };
    return out;
  };

  const paths: Record<string, Record<string, unknown>> = {};
  for (const { spec } of routes) {
    const path = spec.path.replace(/:([a-zA-Z_]+)/g, '{$1}');
    const params: JsonSchema[] = paramNames(spec.path).map((name) => ({ name, in: 'path', required: true, schema: paramSchema(name) }));
    if (spec.query) {
      const q = toSchema(spec.query, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
      for (const [name, schema] of Object.entries(q.properties ?? {})) {
        params.push({ name, in: 'query', required: (q.required ?? []).includes(name), schema });
      }
    }
    if (spec.idempotent) {
      usesIdempotency = true;
      params.push({ $ref: '#/components/parameters/IdempotencyKey' });
    }
    const status = String(spec.status ?? (spec.response || spec.produces ? 200 : 204));
    const success = status.startsWith('3')
      ? { description: 'Redirect', headers: { Location: { description: 'Where the browser goes next', schema: { type: 'string' } } } }
      : spec.produces
      ? { description: 'OK', content: { [spec.produces]: { schema: { type: 'string', format: 'binary' } } } }
      : spec.response
        ? { description: 'OK', content: { 'application/json': { schema: toSchema(spec.response, 'output') } } }
        : { description: 'No content' };
    (paths[path] ??= {})[spec.method] = {
      operationId: spec.operationId,
      summary: spec.summary,
      tags: [spec.tag],
      parameters: params,
      ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: toSchema(spec.body, 'input') } } } } : {}),
      responses: {
        [status]: success,
        ...errorResponses(errorCodesOf(spec)),
        ...Object.fromEntries(Object.entries(spec.pages ?? {}).map(([code, description]) => [code, { description, content: { 'text/html': { schema: { type: 'string' } } } }])),
      },
      ...security(spec.auth ?? 'required'),
    };
  }
  for (const op of external) {
    (paths[op.path] ??= {})[op.method] = {
      operationId: op.operationId,
      'x-e2a-kind': op.kind,
      ...op.operation,
      responses: { ...op.operation.responses, ...errorResponses(op.errors) },
      ...security(op.auth),
    };
  }

  const waitHeaders = {
    'Retry-After': { $ref: '#/components/headers/Retry-After' },
    RateLimit: { $ref: '#/components/headers/RateLimit' },
    'RateLimit-Policy': { $ref: '#/components/headers/RateLimit-Policy' },
  };
  const responses: Record<string, unknown> = {};
  for (const status of [...usedResponses].sort()) {
    const codes = Object.entries(ERROR_STATUS).filter(([, s]) => s === status).map(([code]) => `\`${code}\``);
    responses[responseName(status)] = {
      description: `Error envelope; error.code is ${codes.join(' or ')}.`,
      ...(WITH_WAIT.has(status) ? { headers: waitHeaders } : {}),
      content: { 'application/json': { schema: errorRef } },
    };
  }
  responses.ServerError = {
    description: 'Error envelope; `internal_error` (500) or `unavailable` (503, with Retry-After).',
    content: { 'application/json': { schema: errorRef } },
  };

  const tags = [...new Set([...routes.map((r) => r.spec.tag), ...external.flatMap((op) => (op.operation.tags as string[] | undefined) ?? [])])].sort();
  return {
    openapi: '3.1.0',
    info: {
      title: 'e2a API',
      version: info.version,
      description: 'The e2a gateway API: agents, their mail, webhooks and events. Errors are the `Error` envelope; see docs/API.md.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: info.publicUrl }],
    security: [{ bearer: [] }],
    tags: tags.map((name) => ({ name, description: `The ${name} operations.` })),
    paths,
    webhooks: webhooks(toSchema),
    components: {
      schemas: components,
      responses,
      headers: {
        'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 0 } },
        RateLimit: { description: 'draft-ietf-httpapi-ratelimit-headers: `"rule";r=<remaining>;t=<seconds to reset>`.', schema: { type: 'string' } },
        'RateLimit-Policy': { description: 'draft-ietf-httpapi-ratelimit-headers: `"rule";q=<quota>;w=<window seconds>`.', schema: { type: 'string' } },
      },
      ...(usesIdempotency
        ? {
            parameters: {
              IdempotencyKey: {
                name: 'Idempotency-Key',
                in: 'header',
                required: false,
                description:
                  `Makes a retry safe: the same key with the same request answers with the first response (for ${IDEMPOTENCY_TTL_MS / 3_600_000} hours); with a different request, 422 \`idempotency_mismatch\`; while the first is still running, 409 \`idempotency_in_flight\`.`,
                schema: { type: 'string', pattern: IDEMPOTENCY_KEY.source },
              },
            },
          }
        : {}),
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'API key: e2a_…' } },
    },
  };
}

function responseName(status: number): string {
  return RESPONSE_NAMES[status] ?? `Error${status}`;
}

/** OpenAPI 3.1 `webhooks`: the signed POST each event type sends to a subscribed URL. */
function webhooks(toSchema: ReturnType<typeof schemaCollector>['toSchema']): Record<string, unknown> {
  const eventRef = toSchema(Event, 'output');
  const headers = Object.values(WEBHOOK_HEADERS).map((name) => ({
    name,
    in: 'header',
    required: true,
    description: 'Standard Webhooks 1.0 signature header; verify with the SDK (verifyWebhook, constructEvent).',
    schema: { type: 'string' },
  }));
  const operation = (type: string, payload: JsonSchema, summary: string) => ({
    post: {
      operationId: `webhookEvents.${type.replace(/[._]([a-z])/g, (_, c: string) => c.toUpperCase())}`,
      summary,
      tags: ['webhooks'],
      security: [],
      parameters: headers,
      requestBody: { required: true, content: { 'application/json': { schema: payload } } },
      responses: {
        '200': { description: 'Any 2xx acknowledges the delivery; anything else (or no answer) is retried on the webhook schedule.' },
      },
    },
  });
  const out: Record<string, unknown> = {};
  for (const type of EVENT_TYPES) {
    out[type] = operation(type, { allOf: [eventRef, { type: 'object', properties: { type: { const: type } } }] }, `The ${type} event`);
  }
  out[WEBHOOK_TEST_EVENT_TYPE] = operation(WEBHOOK_TEST_EVENT_TYPE, toSchema(WebhookTestEvent, 'output'), 'The event POST /v1/webhooks/{id}/test sends (not stored, not retried)');
  return out;
}
