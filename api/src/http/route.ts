/**
 * Declarative routes: each route states its method, path, schemas and whether it needs a key. The
 * same declarations validate requests and generate /v1/openapi.json, so the document cannot drift
 * from what the server accepts. Feature routes.ts files use only this module, never express.
 */
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Principal } from '../accounts/principal.js';
import { AppError } from './errors.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteSpec<Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  method: Method;
  /** Express-style path: /v1/agents/:address */
  path: string;
  summary: string;
  tag: string;
  /** 'required' (default) | 'optional' (handler sees principal or null) | 'none'. */
  auth?: 'required' | 'optional' | 'none';
  query?: Q;
  body?: B;
  response?: z.ZodType;
  /** Content type of a non-JSON response (raw message, attachment). */
  produces?: string;
  status?: number;
}

export interface RouteContext<Q, B> {
  principal: Principal;
  params: Record<string, string>;
  query: Q;
  body: B;
  headers: Record<string, string | string[] | undefined>;
  requestId: string;
}

/** A non-JSON response. */
export class RawBody {
  constructor(
    readonly body: Buffer,
    readonly contentType: string,
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
    readonly body: unknown,
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
    this.routes.push({ spec, handler: handler as Handler<unknown, unknown> });
  }
}

export function validate<T extends z.ZodType>(schema: T, value: unknown, where: 'query' | 'body'): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = result.error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));
  const first = details[0]!;
  throw new AppError('validation_error', `${first.path}: ${first.message}`, details);
}

export function makeExpressHandler(route: RegisteredRoute) {
  const { spec, handler } = route;
  return async (req: Request, res: Response) => {
    const query = spec.query ? validate(spec.query, req.query, 'query') : req.query;
    if (spec.body && req.body === undefined && spec.method !== 'get') {
      throw new AppError('unsupported_media_type', 'send a JSON body with Content-Type: application/json');
    }
    const body = spec.body ? validate(spec.body, req.body, 'body') : req.body;
    const result = await handler({
      principal: res.locals.principal as Principal,
      params: req.params as Record<string, string>,
      query,
      body,
      headers: req.headers,
      requestId: res.locals.requestId as string,
    });
    if (result instanceof RawBody) {
      res.status(spec.status ?? 200).set({ 'Content-Type': result.contentType, ...result.headers }).send(result.body);
    } else if (result instanceof JsonReply) {
      res.status(result.status).json(result.body);
    } else if (result === undefined) {
      res.status(spec.status ?? 204).end();
    } else {
      res.status(spec.status ?? 200).json(result);
    }
  };
}
