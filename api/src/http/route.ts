/**
 * Declarative routes: each route states its method, path, schemas and whether it needs a key. The
 * same declarations validate requests and generate /v1/openapi.json, so the document cannot drift
 * from what the server accepts. Feature routes.ts files use only this module, never express.
 */
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Principal } from '../accounts/principal.js';
import { AppError } from '../errors.js';
import { safeHeaderValue, safeMediaType } from './header-values.js';
import { strictSchema } from './strict-schema.js';
import { validate } from './validate.js';
import type { RouteLimit } from '../limits/http-limits.js';
import type { ErrorCode } from '@e2a/sdk/wire';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteSpec<Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  method: Method;
  /** Express-style path: /v1/agents/:address */
  path: string;
  /**
   * The operation's name in /v1/openapi.json: `resource.verb` in camelCase (`messages.send`,
   * `webhooks.rotateSecret`), unique across the table. Required, so a new route names itself.
   */
  operationId: `${string}.${string}`;
  summary: string;
  tag: string;
  /** 'required' (default) | 'optional' (handler sees principal or null) | 'none'. */
  auth?: 'required' | 'optional' | 'none';
  /** Query parameters; a route without one takes none. Made strict when the route is added. */
  query?: Q;
  /** JSON body; a route without one takes none (or `{}`). Made strict when the route is added. */
  body?: B;
  response?: z.ZodType;
  /** Content type of a non-JSON response (raw message, attachment). */
  produces?: string;
  status?: number;
  /** What the request costs beyond the per-key and per-client budgets every request spends (limits/http-limits.ts). */
  limit?: RouteLimit;
  /** Ignores whatever query parameters come (health checks with cache-busters); every other route is strict. */
  ignoreQuery?: boolean;
  /** Honours the Idempotency-Key header (outbound/idempotency.ts); documented as a header parameter. */
  idempotent?: boolean;
  /**
   * Error codes this route answers beyond the ones its shape implies (openapi.ts derives 400, 401,
   * 402, 403, 404, 413, 415, 422, 429 from auth, path, body and limit): e.g. `conflict`.
   */
  errors?: ErrorCode[];
  /**
   * A page route's (`produces: 'text/html'`) failures that are HTML pages for a person, not the
   * error envelope: status → what the page says (a sign-in link unknown, used or expired).
   */
  pages?: Record<number, string>;
}

export interface RouteContext<Q, B> {
  principal: Principal;
  params: Record<string, string>;
  query: Q;
  body: B;
  headers: Record<string, string | string[] | undefined>;
  requestId: string;
}

/**
 * A non-JSON response. Its content type and header values are made header-safe when it is sent
 * (header-values.ts). `status` overrides the route's (a redirect, an HTML error page).
 */
export class RawBody {
  constructor(
    readonly body: Buffer,
    readonly contentType: string,
    readonly headers: Record<string, string | string[]> = {},
    readonly status?: number,
  ) {}
}

/**
 * A non-JSON response too big to hold in memory (an export archive): its pieces are written as they
 * come, each only once the previous one drained, with the Content-Length known up front. A failure
 * mid-way cuts the connection, so the client sees a short transfer rather than a complete-looking one.
 */
export class StreamBody {
  constructor(
    readonly pieces: AsyncIterable<Buffer>,
    readonly contentType: string,
    readonly length: number,
    readonly headers: Record<string, string> = {},
  ) {}
}

/**
 * A JSON response whose status the handler decides: 202 queued vs 200 sent for `?wait=sent`, and an
 * Idempotency-Key replay answering with the status of the original response.
 */
export class JsonReply {
  constructor(
    readonly status: number,
    /** undefined: no body (204). */
    readonly body: unknown,
    /** Extra headers (Set-Cookie on sign-out). */
    readonly headers: Record<string, string | string[]> = {},
  ) {}
}

export type Handler<Q, B> = (ctx: RouteContext<Q, B>) => Promise<unknown>;

export interface RegisteredRoute {
  spec: RouteSpec;
  handler: Handler<unknown, unknown>;
}

export class RouteTable {
  readonly routes: RegisteredRoute[] = [];

  add<Q extends z.ZodType = z.ZodUnknown, B extends z.ZodType = z.ZodUnknown>(
    spec: RouteSpec<Q, B>,
    handler: Handler<z.output<Q>, z.output<B>>,
  ): void {
    if (!OPERATION_ID.test(spec.operationId)) {
      throw new Error(`route ${spec.method.toUpperCase()} ${spec.path}: operationId ${JSON.stringify(spec.operationId)} must be resource.verb in camelCase, e.g. "messages.send"`);
    }
    const taken = this.routes.find((r) => r.spec.operationId === spec.operationId);
    if (taken) throw new Error(`route ${spec.method.toUpperCase()} ${spec.path}: operationId "${spec.operationId}" is already used by ${taken.spec.method.toUpperCase()} ${taken.spec.path}`);
    const strict = { ...spec, ...(spec.query ? { query: strictSchema(spec.query) } : {}), ...(spec.body ? { body: strictSchema(spec.body) } : {}) };
    this.routes.push({ spec: strict, handler: handler as Handler<unknown, unknown> });
  }
}

/** `resource.verb`, camelCase parts: what SDK generators turn into `client.resource.verb()`. */
export const OPERATION_ID = /^[a-z][a-zA-Z0-9]*(\.[a-z][a-zA-Z0-9]*)+$/;

const NO_QUERY = z.strictObject({});
const NO_BODY = z.strictObject({}).optional();

export function makeExpressHandler(route: RegisteredRoute) {
  const { spec, handler } = route;
  return async (req: Request, res: Response) => {
    const query = spec.ignoreQuery ? {} : validate(spec.query ?? NO_QUERY, req.query, 'query');
    if (spec.body && req.body === undefined && spec.method !== 'get') {
      throw new AppError('unsupported_media_type', 'send a JSON body with Content-Type: application/json');
    }
    const body = spec.body ? validate(spec.body, req.body, 'body') : validate(NO_BODY, req.body, 'body');
    const result = await handler({
      principal: res.locals.principal as Principal,
      params: req.params as Record<string, string>,
      query,
      body,
      headers: req.headers,
      requestId: res.locals.requestId as string,
    });
    if (result instanceof StreamBody) {
      const headers = Object.fromEntries(Object.entries(result.headers).map(([name, value]) => [name, safeHeaderValue(value)]));
      res.status(spec.status ?? 200).set({ 'Content-Type': safeMediaType(result.contentType), 'Content-Length': String(result.length), ...headers });
      try {
        for await (const piece of result.pieces) {
          if (res.destroyed) break;
          if (!res.write(piece)) {
            await new Promise<void>((resolve) => {
              const go = () => {
                res.off('drain', go).off('close', go);
                resolve();
              };
              res.on('drain', go).on('close', go);
            });
          }
        }
        res.end();
      } catch (err) {
        res.destroy(err as Error);
      }
    } else if (result instanceof RawBody) {
      const headers = Object.fromEntries(Object.entries(result.headers).map(([name, value]) => [name, Array.isArray(value) ? value.map(safeHeaderValue) : safeHeaderValue(value)]));
      res.status(result.status ?? spec.status ?? 200).set({ 'Content-Type': safeMediaType(result.contentType), ...headers }).send(result.body);
    } else if (result instanceof JsonReply) {
      res.status(result.status).set(result.headers);
      if (result.body === undefined) res.end();
      else res.json(result.body);
    } else if (result === undefined) {
      res.status(spec.status ?? 204).end();
    } else {
      res.status(spec.status ?? 200).json(result);
    }
  };
}
